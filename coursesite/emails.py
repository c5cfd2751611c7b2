"""Emails written as three templates: emails/<name>-subject.txt, -body.txt and -body.html."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_email(name: str, context: dict[str, Any], to: str) -> int:
    """Send the email NAME, rendered with CONTEXT, to the address TO; return 1 if sent."""
    subject = render_to_string(f"emails/{name}-subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # a template's line breaks must not reach the header
        body=render_to_string(f"emails/{name}-body.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{name}-body.html", context), "text/html")
    return message.send()
