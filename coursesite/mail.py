"""The development email backend (settings.MAILERS by default; `make run` prints here)."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.core.mail.backends import console

# The MIME structure says nothing to a reader; the others say who, to whom and what.
_STRUCTURAL_HEADERS = {"mime-version", "content-type", "content-transfer-encoding"}


class ConsoleEmailBackend(console.EmailBackend):
    """Print each email's headers and its text as written, not as sent.

    Django's console backend prints the MIME message, whose text part is
    quoted-printable once a line is long: invitation and password-reset links came out
    cut by soft line breaks (``=``), with ``=3D`` for ``=``, and could not be copied.
    """

    def write_message(self, message: EmailMessage) -> None:
        mime = message.message()
        headers = "".join(
            f"{name}: {value}\n"
            for name, value in mime.items()
            if name.lower() not in _STRUCTURAL_HEADERS
        )
        text = mime.get_body(preferencelist=("plain", "html"))
        body = text.get_content() if text is not None else ""
        others = [
            " ".join(filter(None, [part.get_filename(), part.get_content_type()]))
            for part in mime.walk()
            if not part.is_multipart() and part is not text
        ]
        note = f"(not shown: {', '.join(others)})\n" if others else ""
        self.stream.write(f"{headers}\n{body.rstrip()}\n\n{note}{'-' * 79}\n")
