"""How the API picks the type of its answer from the request's Accept header."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's, reading an Accept header with no value as no header: any type.

    Some HTTP libraries send "Accept:" empty; DRF read it as accepting nothing and
    answered 406 to every address (probe 112).
    """

    def get_accept_list(self, request) -> list[str]:
        tokens = super().get_accept_list(request)
        if not tokens and not request.headers.get("accept", "").strip():
            return ["*/*"]
        return tokens
