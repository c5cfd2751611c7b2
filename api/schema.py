"""Touches to the generated OpenAPI schema that no single view can make."""

from __future__ import annotations

PROBLEM = {"$ref": "#/components/schemas/Problem"}
COMMON = {
    "401": "Not authenticated: no token or session, or a token that is not valid.",
    "429": "Too many requests: wait the seconds given in Retry-After.",
}
WRITES = {"403": "Refused: the user's role, or a read-only token."}
LISTS = {
    "400": "A filter or page size that is not valid.",
    "404": "No such page of the list.",
}


def add_common_problems(result, generator, request, public):
    """Give every operation the refusals every request can get, as problem details."""
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            extra = dict(COMMON)
            if method in ("post", "put", "patch", "delete"):
                extra.update(WRITES)
            if any(p.get("name") == "page" for p in operation.get("parameters", [])):
                extra.update(LISTS)
            for code, description in extra.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/problem+json": {"schema": PROBLEM}},
                    },
                )
            for response in responses.values():
                # Errors are problem+json: the view-declared ones come as application/json.
                content = response.get("content", {})
                schema = content.get("application/json", {}).get("schema")
                if schema == PROBLEM:
                    content["application/problem+json"] = content.pop("application/json")
    return result
