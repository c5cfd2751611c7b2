"""Keep the cached users of sessions honest: drop a user's copy whenever the row changes.

accounts.backends caches the user of each session; a copy must not outlive a change of
name, password or active flag. The drop happens at once and again on commit, so a copy
read from the database before the change committed cannot outlive it.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .backends import user_cache_key
from .models import User


def forget_user(user_id: int) -> None:
    """Drop the cached copy of USER_ID now and when the current transaction commits.

    Never fails the write: the Redis backend skips what it cannot reach and drops the
    key once Redis is back (coursesite/cache.py), and the drop on commit, which runs
    after the write is saved, is robust, so any cache error is logged, not raised.
    """
    key = user_cache_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key), robust=True)


def _user_changed(sender, instance: User, update_fields=None, **kwargs) -> None:
    # Logging in only stamps last_login, which nothing reads from the cached copy.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    forget_user(instance.pk)


def connect() -> None:
    from .sessions import clear_expired_now_and_then

    user_logged_in.connect(clear_expired_now_and_then, dispatch_uid="accounts.sessions_cleared")
    post_save.connect(_user_changed, sender=User, dispatch_uid="accounts.user_saved")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="accounts.user_deleted")
