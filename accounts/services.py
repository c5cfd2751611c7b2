"""Domain actions on accounts that span other models: a former member's anonymisation."""

from __future__ import annotations

import copy
import json
import secrets
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from .history import history_rename
from .models import User
from .retention import LOGIN_LOGS, tasks_not_running
from .signals import forget_user

# An address no mail can reach (RFC 2606's reserved ".invalid"), unique per account.
PSEUDONYM_DOMAIN = "former.invalid"


@dataclass
class Anonymised:
    person: User
    former_name: str
    logins: int  # rows of the login logs deleted
    tasks: int  # finished background tasks naming the address, deleted


@transaction.atomic
def account_anonymise(*, person: User, by: User) -> Anonymised:
    """Replace PERSON's name, username and address with a pseudonym, close the account
    and delete what the site logged of them (logins, tasks naming the address, waiting or run).

    What they did in their courses stays, under the pseudonym: enrollments, answers,
    groups, versions, reviews and marks, so that the group's grades and the gradebook
    stay right (a GDPR erasure keeps what the university must keep for its records).
    Refused for oneself and for superusers, whose accounts run the site.
    """
    if person.pk == by.pk:
        raise ValidationError("You cannot anonymise your own account.")
    if person.is_superuser:
        raise ValidationError(f"{person} is a superuser: take that away first.")
    person = User.objects.select_for_update().get(pk=person.pk)
    person_then = copy.copy(person)
    former_name = str(person)
    addresses = {person.email.lower(), person.pending_email.lower()} - {""}
    logins_as = {person.username.lower(), *addresses}
    pseudonym = f"former-{person.pk}"
    taken = User.objects.exclude(pk=person.pk).filter(
        Q(username__iexact=pseudonym) | Q(email__iexact=f"{pseudonym}@{PSEUDONYM_DOMAIN}")
    )
    if taken.exists():  # anyone may be named so by an instructor (probe 76: a 500)
        pseudonym = f"former-{person.pk}-{secrets.token_hex(4)}"
    person.username = pseudonym
    person.email = f"{pseudonym}@{PSEUDONYM_DOMAIN}"
    person.display_name = f"Former member {person.pk}"
    person.first_name = person.last_name = person.pending_email = ""
    person.email_confirmed = False
    person.is_active = person.is_staff = False
    person.set_unusable_password()  # every session ends; the API revokes its tokens
    person.save()
    person.groups.clear()
    person.user_permissions.clear()
    person.api_tokens.all().delete()  # their names are the person's words
    login_typed = Q()
    for login in logins_as:
        login_typed |= Q(username__iexact=login)
    logins = sum(model.objects.filter(login_typed).delete()[0] for model in LOGIN_LOGS)
    # An address as a whole JSON string: a username, or an address inside another
    # (student1 in student10's), named other people's tasks (probe 76).
    named = Q(pk__in=[])
    for address in addresses:
        named |= Q(args_kwargs__icontains=json.dumps(address))
    # Those still waiting too: each is an email to this address (a password reset, a
    # confirmation, a retry), moot once the account is closed, and it kept the address
    # in the tasks' list once it ran (probe 115).
    tasks = tasks_not_running().filter(named).delete()[0]
    # The back office's history names its rows as they were named (a group's "Added
    # group membership “Name in Team”" outlived the erasure: probe 115), and the account
    # by its former names, which the rows' entries may hold too: renamed last.
    history_rename(person_then=person_then, person=person)
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(person.pk)
    ).update(object_repr=str(person))
    forget_user(person.pk)
    return Anonymised(person=person, former_name=former_name, logins=logins, tasks=tasks)
