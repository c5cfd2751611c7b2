"""Personal access tokens: how a script acts as its user through the API."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class TokenLifetime(models.IntegerChoices):
    """How long a new token works, in days: a leaked token stops working on its own."""

    MONTH = 30, _("30 days")
    QUARTER = 90, _("90 days")
    YEAR = 365, _("1 year")


class PersonalAccessToken(models.Model):
    """A token a user made on their profile page; only a SHA-256 of its secret is kept.

    The token acts with its owner's roles, exactly as the owner would on the site; a
    read-only token is refused every request that changes something. ``prefix`` is the
    start of the token, shown on the profile page so the owner can tell tokens apart.
    From ``expires_at`` on it is refused, and stays listed (as expired) until revoked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    scope = models.CharField(_("scope"), max_length=5, choices=TokenScope, default=TokenScope.READ)
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["user", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE
