"""The demo course's group project, so `make run` shows every role something to do."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from lessons.demo import DemoCourse
from projects.models import ProjectAssignment

from .groups import group_create, group_join
from .submissions import submission_create

DEMO_BRIEF = """\
Build a small web application in Django as a team of two to four.

## What to deliver

- A Django project with at least two models, their admin, and pages to list and edit them.
- Authentication: visitors can sign up, log in and only edit what they own.
- A JSON endpoint for one of your models.
- Tests (`pytest`) and a README that says how to run and test the project in one command each.

Submit a zip of your repository (without the virtualenv) or its URL with the commit to grade.
"""

DEMO_SUBMISSION = {
    "blog/manage.py": "#!/usr/bin/env python\nimport os\nimport sys\n\n"
    'if __name__ == "__main__":\n'
    '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blog.settings")\n'
    "    from django.core.management import execute_from_command_line\n\n"
    "    execute_from_command_line(sys.argv)\n",
    "blog/posts/models.py": "from django.conf import settings\nfrom django.db import models\n\n\n"
    "class Post(models.Model):\n"
    "    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n"
    "    title = models.CharField(max_length=200)\n"
    "    body = models.TextField()\n"
    "    created_at = models.DateTimeField(auto_now_add=True)\n\n"
    "    def __str__(self):\n        return self.title\n",
    "blog/posts/views.py": "from django.shortcuts import get_object_or_404, render\n\n"
    "from .models import Post\n\n\n"
    "def post_list(request):\n"
    '    posts = Post.objects.select_related("author").order_by("-created_at")\n'
    '    return render(request, "posts/list.html", {"posts": posts})\n\n\n'
    "def post_detail(request, pk):\n"
    '    return render(request, "posts/detail.html", {"post": get_object_or_404(Post, pk=pk)})\n',
    "blog/README.md": "# Blog\n\n`make run` starts it, `make test` tests it.\n",
}


def _demo_zip() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in DEMO_SUBMISSION.items():
            archive.writestr(name, content)
    return SimpleUploadedFile("team-alpha.zip", buffer.getvalue(), "application/zip")


@transaction.atomic
def demo_project_seed(*, demo: DemoCourse) -> ProjectAssignment:
    """Create the demo group project with one group that has submitted.

    Does nothing if the project already exists.
    """
    existing = ProjectAssignment.objects.filter(course=demo.course, slug="group-project").first()
    if existing is not None:
        return existing
    now = timezone.now()
    assignment = ProjectAssignment.objects.create(
        course=demo.course,
        title="Group project: a web application in Django",
        slug="group-project",
        brief=DEMO_BRIEF,
        opens_at=now - timedelta(days=7),
        due_at=now + timedelta(days=21),
        late_penalty_per_day=Decimal("10"),
        late_penalty_cap=Decimal("50"),
        min_group_size=2,
        max_group_size=4,
        is_published=True,
    )
    users = demo.users
    group = group_create(assignment=assignment, student=users["student1"], name="Team Alpha")
    group_join(assignment=assignment, student=users["student2"], join_code=group.join_code)
    submission_create(
        group=group, student=users["student1"], archive=_demo_zip(), note="First version."
    )
    return assignment
