"""The demo course and its people, for `manage.py seed_demo` and `make run`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.conf import settings

from accounts.models import Role, User

from .models import Course, Enrollment
from .services import ImportReport, course_import

DEMO_COURSE = settings.BASE_DIR / "courses" / "python-web-development"

DEMO_USERS = [
    ("instructor", "Ada Instructor", Role.INSTRUCTOR),
    ("grader", "Grace Grader", Role.GRADER),
    ("student1", "Sam Student", Role.STUDENT),
    ("student2", "Noor Student", Role.STUDENT),
    ("student3", "Luca Student", Role.STUDENT),
    ("student4", "Mei Student", Role.STUDENT),
    ("student5", "Tom Student", Role.STUDENT),
]


@dataclass
class DemoCourse:
    course: Course
    report: ImportReport
    users: dict[str, User]
    new_enrollments: int = 0
    # (username, role, password) of the accounts created now: shown once, never stored.
    new_accounts: list[tuple[str, str, str]] = field(default_factory=list)


def demo_course_seed() -> DemoCourse:
    """Create the demo accounts, import the demo course and enroll everyone (idempotent)."""
    users, new_accounts = {}, []
    for username, name, role in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(9)
            user = User.objects.create_user(
                username=username,
                email=f"{username}@example.org",
                password=password,
                display_name=name,
                email_confirmed=True,  # example.org: nobody's mailbox to confirm from
            )
            new_accounts.append((username, role, password))
        users[username] = user
    report = course_import(path=DEMO_COURSE)
    demo = DemoCourse(course=report.course, report=report, users=users, new_accounts=new_accounts)
    for username, _name, role in DEMO_USERS:
        # get_or_create: re-running never duplicates nor changes an existing role.
        _, new = Enrollment.objects.get_or_create(
            user=users[username], course=demo.course, defaults={"role": role}
        )
        demo.new_enrollments += new
    return demo
