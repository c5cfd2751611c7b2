from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from accounts.services import user_set_site_role


class Command(BaseCommand):
    help = "Make a user a site-wide instructor (admin access), grader, or plain student."

    def add_arguments(self, parser):
        parser.add_argument("login", help="username or email")
        parser.add_argument("role", choices=Role.values)

    def handle(self, *args, login: str, role: str, **options):
        try:
            user = User.objects.get_by_login(login)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user with username or email {login!r}.") from exc
        user_set_site_role(user=user, role=role)
        self.stdout.write(self.style.SUCCESS(f"{user.username} is now a {role}."))
