"""URL paths reversed once per process: the URLconf does not change while it runs.

A page links the same few patterns with the same arguments on every request (the
navbar, breadcrumbs, ``get_absolute_url`` of its course and project), and Django's
``reverse()`` costs about 50 µs each: the resolver's lookup, the converters' checks
and the quoting. Only plain arguments (text and integers) are remembered.
"""

from __future__ import annotations

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse


def path_of(name: str, *args: str | int, **kwargs: str | int) -> str:
    """Return ``reverse(name, args=ARGS, kwargs=KWARGS)``, remembered.

    Keyed by the script prefix, which the WSGI handler sets per request; the site never
    sets a per-request URLconf (``request.urlconf``).
    """
    for value in args:
        if type(value) not in _PLAIN:
            return reverse(name, args=args, kwargs=kwargs or None)
    named = ()
    if kwargs:
        for value in kwargs.values():
            if type(value) not in _PLAIN:
                return reverse(name, args=args or None, kwargs=kwargs)
        named = tuple(kwargs.items())
    return _reverse(get_script_prefix(), name, args, named)


_PLAIN = frozenset({str, int})


@lru_cache(maxsize=4096)
def _reverse(prefix: str, name: str, args: tuple, kwargs: tuple) -> str:
    return reverse(name, args=args or None, kwargs=dict(kwargs) or None)


@receiver(setting_changed)
def _forget_paths(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()
