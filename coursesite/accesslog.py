"""gunicorn's access log without the secrets and personal data some addresses carry
(gunicorn.conf.py sets ``logger_class`` to AccessLogger).

A password reset's or an invitation's link holds a token that sets the account's
password until it is used: opened once and left (a mail scanner follows links), the
logged address worked for whoever read the log, for days (probe 72). The back office's
searches and the API's lookups by address hold the names and addresses instructors
looked for.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from gunicorn.glogging import Logger

HIDDEN = "…"
# /accounts/password/reset/<uid>/<token>/, /accounts/welcome/…, /accounts/confirm/…;
# Django's own next step, …/set-password/, holds no token.
# A link inside another's query (?next=%2Faccounts%2Fwelcome%2F…) is encoded: "/" is %2F.
_SLASH = r"(?:/|%2[Ff])"
_LINK_TOKEN = re.compile(
    rf"({_SLASH}accounts{_SLASH}(?:password{_SLASH}reset|welcome|confirm){_SLASH}"
    rf"(?:(?!{_SLASH})[^?#&\s])+{_SLASH})(?!set-password{_SLASH})(?:(?!{_SLASH})[^?#&\s])+"
)
# A query's parameters, also inside a login page's ?next= (encoded: "?" is %3F, "&" %26
# and "=" %3D; probe 116): each name is read decoded, so "e%6Dail" is "email".
_Q, _AND, _EQ = r"(?:\?|%3[Ff])", r"(?:&|%26)", r"(?:=|%3[Dd])"
_PARAMETER = re.compile(rf"(?:{_Q}|{_AND})((?:(?!{_EQ}|{_AND}|{_Q})[^=&#?\s])+){_EQ}")
_VALUE_END = re.compile(rf"{_AND}|[#\s]")
_UNDER_ADMIN = re.compile(rf"{_SLASH}admin{_SLASH}")


def _personal(name: str, before: str) -> bool:
    """Whether parameter NAME, found after BEFORE, holds what someone looked for: any
    address (the API's ?email=, the back office's filters on it: probe 115), and the back
    office's search box (q=) and its pickers' (autocomplete's term=), each time it comes."""
    name = unquote(unquote(name)).lower()  # once more inside an encoded ?next=
    return "email" in name or (name in ("q", "term") and bool(_UNDER_ADMIN.search(before)))


def _values_hidden(address: str) -> str:
    kept, position = [], 0
    for found in _PARAMETER.finditer(address):
        if found.start() < position or not _personal(found[1], address[: found.start()]):
            continue  # inside a value hidden already, or nothing personal
        kept += [address[position : found.end()], HIDDEN]
        end = _VALUE_END.search(address, found.end())
        position = end.start() if end else len(address)
    kept.append(address[position:])
    return "".join(kept)


def redacted(address: str) -> str:
    """ADDRESS (a path, with its query or not, or a whole URL) as the log may keep it."""
    return _values_hidden(_LINK_TOKEN.sub(r"\1" + HIDDEN, address))


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        query = environ.get("QUERY_STRING") or ""
        path = environ.get("PATH_INFO") or ""
        for name in ("r", "U", "f", "{raw_uri}e", "{path_info}e", "{http_referer}e"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redacted(atoms[name])
        if query:
            hidden = redacted(f"{path}?{query}").split("?", 1)[1]
            atoms["q"] = atoms["{query_string}e"] = hidden
        if "{referer}i" in atoms:
            atoms["{referer}i"] = redacted(atoms["{referer}i"])
        return atoms
