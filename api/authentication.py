"""How an API request says who it is: a personal access token, or the site's session."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from coursesite.dates import local_text

from .tokens import token_touch, token_user

INVALID = (
    "This token is not valid: it was revoked or mistyped. Create a new one on your profile page."
)
CLOSED = (
    "This token's account is closed: none of its tokens work. If it should not be, ask "
    "the site's administrators."
)


class PersonalTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer cpt_...``: the request acts as the token's owner."""

    keyword = b"bearer"

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if words and words[0].lower() == b"token":
            # DRF's own scheme, the one people try first: "credentials were not
            # provided" told them nothing.
            raise exceptions.AuthenticationFailed(
                "Send the token as “Authorization: Bearer <token>”, not “Token <token>”."
            )
        if not words or words[0].lower() != self.keyword:
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as “Authorization: Bearer <token>”, with no spaces in it."
            )
        try:
            secret = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID) from None
        token = token_user(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID)
        if not token.user.is_active:
            # Its owner cannot log in to make another: say so, not "create a new one".
            raise exceptions.AuthenticationFailed(CLOSED)
        if token.is_expired:
            raise exceptions.AuthenticationFailed(
                f"This token expired on {local_text(token.expires_at)}. Create a new one "
                "on your profile page, and revoke this one there."
            )
        token_touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes refusals of anonymous requests 401 with this challenge, not 403.
        return 'Bearer realm="api"'


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token, created on your profile page.",
        }
