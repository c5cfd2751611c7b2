"""Domain actions on accounts that span other models: a former member's anonymisation."""

from __future__ import annotations

from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import User
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
    and delete what the site logged of them (logins, finished tasks naming the address).

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
    former_name, logins_as = str(person), {person.username.lower(), person.email.lower()}
    pseudonym = f"former-{person.pk}"
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
    logins = 0
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        login_typed = Q()
        for login in logins_as:
            login_typed |= Q(username__iexact=login)
        logins += model.objects.filter(login_typed).delete()[0]
    # Finished tasks only: one waiting to run still needs its arguments.
    finished = DBTaskResult.objects.exclude(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    named = Q()
    for login in logins_as:
        named |= Q(args_kwargs__icontains=login)
    tasks = finished.filter(named).delete()[0]
    # The back office's history of the account names it as it was.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(person.pk)
    ).update(object_repr=str(person))
    forget_user(person.pk)
    return Anonymised(person=person, former_name=former_name, logins=logins, tasks=tasks)
