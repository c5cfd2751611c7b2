"""Touches to the generated OpenAPI schema that no single view can make.

The schema must say what the server does: a client built from it (or Schemathesis,
api/tests/test_schemathesis.py) sends what it allows and expects what it lists.
"""

from __future__ import annotations

from django import forms
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension

PROBLEM = {"$ref": "#/components/schemas/Problem"}
COMMON = {
    "401": "Not authenticated: no token or session, or a token that is not valid.",
    "406": "The Accept header names no type this address answers in.",
    "429": "Too many requests: wait the seconds given in Retry-After.",
}
WRITES = {"403": "Refused: the user's role, or a read-only token."}
# Every POST and PATCH reads its body (those that take none, to refuse one).
BODIES = {
    "413": "The request body is larger than the API reads.",
    "415": "The body's Content-Type is not one this address takes.",
}
# Uploads are read by the site's upload handlers: a body too large is a 400 naming
# the archive or the fields, never a 413.
NO_413 = {("/api/v1/assignments/{id}/submissions/", "post")}
LISTS = {
    "400": "A filter or page size that is not valid.",
    "404": "No such page of the list.",
}
# Every read and delete refuses a query parameter it does not take (a typo read as
# heard), and a delete refuses a body (probe 86: both missing from the schema).
PARAMETERS = {"400": "A query parameter this address does not take, or a body sent to a delete."}
# A filter given empty or blank is refused (StrictFilterBackend): it must hold a
# character that is not a space. So is a NUL anywhere in the address (a 400 from
# coursesite.middleware, for every page).
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


class StrictFilterExtension(DjangoFilterExtension):
    """drf-spectacular's filters, with the bounds the filters' form fields enforce.

    Its own mapping gives an id filter ``number`` (a 400 for ``1.5`` or ``0``) and a
    text filter no length: a client following the schema was refused.
    """

    target_class = "api.filters.StrictFilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        field = filter_field.field
        for parameter in parameters:
            schema = parameter["schema"]
            if isinstance(field, forms.IntegerField):
                schema.clear()
                schema["type"] = "integer"
                if field.min_value is not None:
                    schema["minimum"] = field.min_value
                if field.max_value is not None:
                    schema["maximum"] = field.max_value
            elif schema.get("type") == "string" and "enum" not in schema:
                schema["minLength"] = 1
                schema["pattern"] = NOT_BLANK
                if getattr(field, "max_length", None):
                    schema["maxLength"] = field.max_length
        return parameters


def add_common_problems(result, generator, request, public):
    """Give every operation the refusals every request can get, as problem details."""
    for url, path in result.get("paths", {}).items():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            extra = dict(COMMON)
            if method in ("post", "put", "patch", "delete"):
                extra.update(WRITES)
            if method in ("post", "put", "patch"):
                extra.update(BODIES)
                if (url, method) in NO_413:
                    del extra["413"]
            if any(p.get("name") == "page" for p in operation.get("parameters", [])):
                extra.update(LISTS)
            elif method in ("get", "delete"):
                extra.update(PARAMETERS)
            for code, description in extra.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/problem+json": {"schema": PROBLEM}},
                    },
                )
            for code, response in responses.items():
                # Errors are problem+json: the view-declared ones come as application/json
                # (a problem, or one with members of its own: an enrollment's 409).
                content = response.get("content", {})
                if str(code).startswith(("4", "5")) and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return result


def refuse_unknown_properties(result, generator, request, public):
    """Say of every request body that fields it does not list are refused (400).

    The serializers of every write refuse them (api.serializers.RefuseUnknownFieldsMixin),
    and so does the hand-in's form: a schema without ``additionalProperties: false``
    let a client believe a misspelled field was taken.
    """
    schemas = result.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def close(schema) -> None:
        if not isinstance(schema, dict):
            if isinstance(schema, list):
                for item in schema:
                    close(item)
            return
        if ref := schema.get("$ref"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                close(schemas.get(name))
            return
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            if isinstance(value, dict | list):
                close(value)

    for path in result.get("paths", {}).values():
        for operation in path.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                close(media.get("schema"))
    return result


class PlainDecimalFieldExtension(OpenApiSerializerFieldExtension):
    """A mark or points as the API reads them: a JSON string or number, plain digits.

    drf-spectacular's decimal took "", "-" or "-5" (refused: no number, or under the
    minimum) and no JSON number (read, as a script sends ``"points": 4``).
    """

    target_class = "coursesite.numbers.PlainDecimalSerializerField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "response":
            return auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        places = field.decimal_places
        whole = field.max_digits - places
        fraction = rf"(?:\.\d{{0,{places}}})?" if places else ""
        numbers = [rf"\d{{1,{whole}}}{fraction}"]
        if places:
            numbers.append(rf"\.\d{{1,{places}}}")
        number: dict = (
            {"type": "number", "multipleOf": 10**-places} if places else {"type": "integer"}
        )
        if field.min_value is not None:
            number["minimum"] = float(field.min_value)
        if field.max_value is not None:
            number["maximum"] = float(field.max_value)
            # A maximum of 10, 100…: fewer whole digits, or the maximum itself.
            digits = format(field.max_value.normalize(), "f")
            if digits.startswith("1") and set(digits[1:]) <= {"0"} and "." not in digits:
                numbers[0] = rf"\d{{1,{len(digits) - 1}}}{fraction}"
                numbers.append(digits + (rf"(?:\.0{{0,{places}}})?" if places else ""))
        sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
        text = {
            "type": "string",
            "format": "decimal",
            "pattern": rf"^{sign}(?:{'|'.join(numbers)})$",
        }
        schema: dict = {"anyOf": [text, number]}
        if field.allow_null:
            # DRF reads "" as null where null is taken: no points.
            text["pattern"] = text["pattern"].replace("^", "^(?:", 1).replace("$", ")?$")
            schema["nullable"] = True
        return schema
