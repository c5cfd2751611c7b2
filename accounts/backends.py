from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from access import policy
from coursesite.converters import parse_id
from coursesite.prepared import prepared

from .models import User


@prepared
def _user_by_pk(user_id: int):
    return User.objects.filter(pk=user_id).order_by()


@prepared
def _user_with_enrollments_by_pk(user_id: int):
    return policy.with_enrollments(User.objects.filter(pk=user_id).order_by())


class UsernameOrEmailBackend(ModelBackend):
    """Authenticate with either the username or the email address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        login = username or kwargs.get(User.USERNAME_FIELD)
        if not login or password is None:
            return None
        try:
            user = User.objects.get_by_login(login.strip())
        except User.DoesNotExist:
            # Run the hasher anyway to reduce the timing difference between an
            # existing and a non-existing user (Django #20760).
            User().set_password(password)
            return None
        if user.check_password(password):
            if self.user_can_authenticate(user):
                return user
            if request is not None:
                # The login form tells whoever knows the password that the account is
                # closed (LoginForm), rather than that the password is wrong.
                request.closed_account_login = True
        return None

    def get_user(self, user_id):
        """Return the user of a session, from the cache when AUTH_USER_CACHE_SECONDS > 0.

        Every logged-in request needs its user; the cached copy saves a query per page.
        It carries the password hash, so django.contrib.auth still checks the session
        against it, and it is dropped whenever the user row or its groups change
        (accounts.signals).
        """
        seconds = settings.AUTH_USER_CACHE_SECONDS
        if not seconds:
            # Read afresh on every request: the roles come in the same query.
            user = self._read_user(user_id, _user_with_enrollments_by_pk)
        else:
            key = user_cache_key(user_id)
            user = cache.get(key)
            if user is None:
                user = self._read_user(user_id, _user_by_pk)
                if user is not None and self.user_can_authenticate(user):
                    cache.set(key, user, seconds)
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _read_user(user_id, query) -> User | None:
        """Return the user USER_ID names, in a QUERY compiled once per connection
        (ModelBackend.get_user compiles its ``get(pk=...)`` on every request)."""
        pk = parse_id(user_id)  # None for anything no row can have
        found = query(user_id=pk) if pk is not None else []
        return found[0] if found else None


def user_cache_key(user_id) -> str:
    return f"auth:user:{user_id}"
