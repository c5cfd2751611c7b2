"""Keep cached copies of users honest: drop them whenever the row or its roles change.

accounts.backends caches the user of each session, and coursesite.pagecache caches
pages per user; both must forget a user whose name, password, active flag or role
groups change. Each drop happens at once and again on commit, so a copy read from
the database before the change committed cannot outlive it.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from coursesite import pagecache

from .backends import user_cache_key
from .models import User


def forget_users(user_ids, *, pages: bool = True) -> None:
    """Drop the cached copies of USER_IDS and, unless PAGES is false, retire their pages."""
    keys = [user_cache_key(pk) for pk in user_ids]
    if not keys:
        return
    pagecache.now_and_on_commit(lambda: cache.delete_many(keys))
    if pages:
        for pk in user_ids:
            pagecache.bump_user(pk)


def _user_changed(sender, instance: User, update_fields=None, **kwargs) -> None:
    # Logging in only stamps last_login, which no page shows: the user's own pages and
    # everyone else's stay. Any other change may show anywhere (names are on
    # classmates' and graders' pages) or change what the user may see.
    login_stamp = update_fields is not None and set(update_fields) <= {"last_login"}
    forget_users([instance.pk], pages=not login_stamp)
    if not login_stamp:
        pagecache.bump_site()


def _groups_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:  # user.groups.add(...): one user
        forget_users([instance.pk])
    elif action == "pre_clear":  # group.user_set.clear(): everyone in it, before they go
        _forget_members(instance)
    else:
        forget_users(list(pk_set or ()))


def _forget_members(group: Group) -> None:
    forget_users(list(group.user_set.values_list("pk", flat=True)))


def _group_deleted(sender, instance: Group, **kwargs) -> None:
    _forget_members(instance)


def connect() -> None:
    post_save.connect(_user_changed, sender=User, dispatch_uid="accounts.user_saved")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="accounts.user_deleted")
    m2m_changed.connect(
        _groups_changed, sender=User.groups.through, dispatch_uid="accounts.groups_changed"
    )
    pre_delete.connect(_group_deleted, sender=Group, dispatch_uid="accounts.group_deleted")
