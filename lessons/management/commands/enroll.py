"""Give someone a role in a course, for example:
``manage.py enroll alice@example.org python-web-development instructor``.

Roles are per course (student, grader, instructor) and live on the enrollment; an
instructor of any course reaches the back office. For site-wide control, use
``createsuperuser``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from lessons.models import Course, Enrollment
from lessons.services import enrollment_set_role


class Command(BaseCommand):
    help = "Enroll a user in a course with a role, or change their role there."

    def add_arguments(self, parser):
        parser.add_argument("login", help="username or email")
        parser.add_argument("course", help="the course's slug")
        parser.add_argument("role", choices=Role.values)

    def handle(self, *args, login: str, course: str, role: str, **options):
        try:
            user = User.objects.get_by_login(login)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user with username or email {login!r}.") from exc
        found = Course.objects.filter(slug=course).first()
        if found is None:
            raise CommandError(f"No course with slug {course!r}.")
        # Read from the enrollment, not the policy: a deactivated account has no role to
        # the policy, and was told "is now" each time (probe 93).
        before = Enrollment.objects.filter(user=user, course=found).values_list("role", flat=True)
        before = before.first()
        try:
            enrollment_set_role(user=user, course=found, role=role)
        except ValidationError as exc:  # the course's last instructor, say: in words
            raise CommandError(" ".join(exc.messages)) from exc
        article = "an" if role[0] in "aeiou" else "a"
        # "Is now" for a role they had already read as a change (probe 89).
        now = "was already" if before == role else "is now"
        self.stdout.write(self.style.SUCCESS(f"{user.username} {now} {article} {role} of {found}."))
        if not user.is_active:
            self.stdout.write(
                self.style.WARNING(
                    f"{user.username}'s account is deactivated: they cannot sign in until it "
                    "is made active again (the back office: Users, the person, Active)."
                )
            )
