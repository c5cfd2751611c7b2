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
# A query's parameters, at any depth: a login page's ?next= holds an address whose query
# is encoded ("?" is %3F, "&" %26 and "=" %3D; probe 116), the back office's links keep
# the list's search encoded in ?_changelist_filters=q%3D…, and a login page's next= holds
# those twice encoded (%253D; probe 120). Each parameter's name is read decoded, so
# "e%6Dail" is "email"; its depth (how its "=" is written) says where its value ends.
_EQ = r"(?:=|%(?:25){0,2}3[Dd])"
_BOUNDARY = (
    r"(?:(?<=[?&=])|(?<=%3[DdFf])|(?<=%26)|(?<=%253[DdFf])|(?<=%2526)"
    r"|(?<=%25253[DdFf])|(?<=%252526))"
)
_NOT_IN_NAME = r"%(?:25){0,2}(?:3[DdFf]|26)"
_PARAMETER = re.compile(rf"{_BOUNDARY}((?:(?!{_NOT_IN_NAME})[^=&#?\s])+)({_EQ})")
# A value ends where its query's next parameter, or an outer query's, begins: at "&"
# for a plain one, also at %26 for one encoded once, and at %2526 for one encoded twice.
_VALUE_END = (
    re.compile(r"[&#\s]"),
    re.compile(r"&|%26|[#\s]"),
    re.compile(r"&|%(?:25)?26|[#\s]"),
)
_UNDER_ADMIN = re.compile(rf"{_SLASH}admin{_SLASH}")


# Fields holding a person's or a group's name, as a filter's path names them
# (?last_name=, ?user__first_name__icontains=, ?group_name=); not ?filename= or the
# pickers' ?model_name= (probe 127: any "name" hid them).
_NAME_FIELDS = frozenset(
    {
        "name",
        "username",
        "first_name",
        "last_name",
        "display_name",
        "full_name",
        "sort_name",  # the name as stored to sort by (probe 128)
        "group_name",
    }
)


def _personal(name: str, before: str) -> bool:
    """Whether parameter NAME, found after BEFORE, holds what someone looked for: any
    address (the API's ?email=, the back office's filters on it: probe 115), and the back
    office's search box (q=), its pickers' (autocomplete's term=) and any filter on a name
    typed into its address (?last_name=, ?group_name=: probe 122), each time it comes."""
    name = unquote(unquote(unquote(name))).lower()  # up to twice more inside a ?next=
    if "email" in name:
        return True
    searched = name in ("q", "term") or bool(_NAME_FIELDS & set(name.split("__")))
    return searched and bool(_UNDER_ADMIN.search(before))


def _values_hidden(address: str) -> str:
    kept, position = [], 0
    for found in _PARAMETER.finditer(address):
        if found.start() < position or not _personal(found[1], address[: found.start()]):
            continue  # inside a value hidden already, or nothing personal
        kept += [address[position : found.end()], HIDDEN]
        depth = min(found[2].count("%25") + (found[2] != "="), 2)  # "=" 0, "%3D" 1, "%253D" 2
        end = _VALUE_END[depth].search(address, found.end())
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
