"""Load demo data: one instructor, one grader, several students, and the demo course.

Idempotent: existing demo accounts are left alone (their passwords are printed only
when the account is created), so `make run` can call it every time.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role, User
from accounts.services import user_set_site_role
from lessons.models import Enrollment
from lessons.services import course_import

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


class Command(BaseCommand):
    help = "Create demo accounts and the demo course (safe to run repeatedly)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        created = []
        for username, name, role in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                password = secrets.token_urlsafe(9)
                user = User.objects.create_user(
                    username=username,
                    email=f"{username}@example.org",
                    password=password,
                    display_name=name,
                )
                user_set_site_role(user=user, role=role)
                created.append((username, role, password))
        report = course_import(path=DEMO_COURSE)
        course = report.course
        enrolled = 0
        for username, _name, role in DEMO_USERS:
            # get_or_create: re-running never duplicates nor changes an existing role.
            _, new = Enrollment.objects.get_or_create(
                user=User.objects.get(username=username), course=course, defaults={"role": role}
            )
            enrolled += new
        self.stdout.write(
            f"Demo course {course.slug}: {len(report.created)} created, "
            f"{len(report.updated)} updated; {enrolled} new enrollment(s). "
            f"Enrollment key: {course.enrollment_key}"
        )
        if created:
            self.stdout.write(self.style.SUCCESS("Demo accounts (passwords are shown only now):"))
            for username, role, password in created:
                self.stdout.write(f"  {role:<11} {username:<11} {password}")
        else:
            self.stdout.write(
                "Demo accounts already exist; their passwords were printed when created."
            )
