"""The development email backend: emails print as written, their links whole."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.urls import resolve
from django.utils.html import escape

from accounts.invitations import invitation_tokens
from accounts.tasks import send_invitation_emails
from accounts.tests.factories import UserFactory

from .test_site import run_python


@pytest.mark.django_db
def test_an_invitation_prints_its_link_whole_on_one_line(settings):
    printed = io.StringIO()
    backend = {"BACKEND": "coursesite.mail.ConsoleEmailBackend", "OPTIONS": {"stream": printed}}
    settings.MAILERS = {"default": backend}
    sam = UserFactory(username="sam", email="sam@example.org", password=None)
    sam.set_unusable_password()
    sam.save()

    assert send_invitation_emails.call(user_ids=[sam.pk]) == 1

    output = printed.getvalue()
    assert "To: sam@example.org" in output
    links = [line for line in output.splitlines() if line.startswith(settings.SITE_URL)]
    invitation = resolve(urlsplit(links[0]).path)
    # Long enough that quoted-printable would have cut it; here it opens the invitation.
    assert len(links[0]) > 76
    assert invitation.url_name == "invitation"
    assert invitation_tokens.check_token(sam, invitation.kwargs["token"])
    assert "quoted-printable" not in output and "=3D" not in output
    assert "(not shown: text/html)" in output


def test_development_settings_print_emails_with_this_backend():
    link = "http://127.0.0.1:8000/accounts/reset/MQ/" + "d4e5f6a7b8c9-" * 6 + "/"
    code = (
        "import django; django.setup();"
        "from django.core.mail import send_mail;"
        f"send_mail('Reset', 'Choose a new password:\\n{link}\\n', None, ['sam@example.org'])"
    )
    result = run_python(code, {"DJANGO_DEBUG": "1", "DJANGO_EMAIL_BACKEND": ""})
    assert link in result.stdout.splitlines(), result.stdout + result.stderr


def test_the_file_backend_writes_each_email_in_the_folder_named(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.core.mail import send_mail;"
        "send_mail('Reset', 'Choose a new password.', None, ['sam@example.org'])"
    )
    result = run_python(
        code,
        {
            "DJANGO_DEBUG": "1",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "DJANGO_EMAIL_FILE_PATH": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    [written] = list(tmp_path.iterdir())
    assert "Choose a new password." in written.read_text()


def test_a_relay_that_takes_tls_from_the_start_can_be_configured():
    """Probe 89: only STARTTLS could be set; a relay on port 465 (implicit TLS, as many
    university relays are) hung each email until its timeout."""
    smtp = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.org",
    }
    code = (
        "import django; django.setup()\n"
        "from django.core.mail import mailers\n"
        "m = mailers['default']\n"
        "print('MAILER', m.port, m.use_ssl, m.use_tls)\n"
    )
    ssl = run_python(code, {**smtp, "EMAIL_USE_SSL": "1"})
    assert "MAILER 465 True False" in ssl.stdout, ssl.stderr
    plain = run_python(code, smtp)
    assert "MAILER 587 False True" in plain.stdout, plain.stderr
    both = run_python(code, {**smtp, "EMAIL_USE_SSL": "1", "EMAIL_USE_TLS": "1"})
    assert both.returncode != 0
    assert "EMAIL_USE_SSL and EMAIL_USE_TLS are both on" in both.stderr


@pytest.mark.django_db
def test_each_email_s_html_is_titled_with_its_subject(settings, mailoutbox):
    """Probe 109: the HTML part had no <title>, which mail readers show and screen
    readers announce. The subject is text; in the HTML it is escaped."""
    from pathlib import Path

    from coursesite.emails import send_templated_email
    from lessons.models import Course

    course = Course.objects.create(title="Web & APIs", slug="web", code="PW<1>")
    context = {
        "course": course,
        "subject": "Labs <b>moved</b> & more",
        "message": "See you.",
        "sender": "Ada",
        "course_url": "https://example.org/c/",
    }
    assert send_templated_email("course-message", context, "sam@example.org") == 1
    sam = UserFactory(username="sam", email="sam@example.org", password=None)
    sam.set_unusable_password()
    sam.save()
    assert send_invitation_emails.call(user_ids=[sam.pk]) == 1
    message, invitation = mailoutbox
    assert message.subject == "[PW<1>] Labs <b>moved</b> & more"
    html = message.alternatives[0][0]
    assert "<title>[PW&lt;1&gt;] Labs &lt;b&gt;moved&lt;/b&gt; &amp; more</title>" in html
    assert f"<title>{escape(invitation.subject)}</title>" in invitation.alternatives[0][0]
    # Every email's HTML has it (a new one too).
    folder = Path(settings.BASE_DIR) / "templates" / "emails"
    for body in folder.glob("*-body.html"):
        assert "<title>{{ email_subject }}</title>" in body.read_text(), body.name
