"""Read a submission's request body under the assignment's size limit.

Django's default upload handlers store the whole body (in memory, then in a temporary
file) before any view can look at its size, so a 400 MB upload used to be written out
in full before "the limit is 20 MB" was shown. ``read_upload`` puts a handler in front
of them that stops reading once the files pass the limit, and turns a body Django cannot
parse (a file name of a thousand characters, many files at once, a broken multipart
request) into a message that names the cause instead of a blank "Bad Request".

The view must install the handler before anything reads ``request.POST``; as Django's
"Modifying upload handlers on the fly" explains, that means ``csrf_exempt`` on the view
and ``csrf_protect`` on the function that acts on the form.
"""

from __future__ import annotations

import logging

from django.core.exceptions import SuspiciousOperation, TooManyFilesSent, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict

from projects.services.submissions import too_large_error

__all__ = [
    "BROKEN_FORM",
    "FORM_ALLOWANCE",
    "ONE_ARCHIVE",
    "UNREADABLE",
    "UploadLimitHandler",
    "read_upload",
]

logger = logging.getLogger(__name__)

# Room for the form's other fields beside the file: the CSRF token, a 2,000-character
# note, a URL, a commit and the multipart headers take under 20 KB.
FORM_ALLOWANCE = 64 * 1024
# Said only when a part's headers pass Django's bound: mostly a very long file name.
UNREADABLE = (
    "Your upload could not be read. If the file name is very long, rename the file to "
    "something short such as project.zip, then upload it again."
)
ONE_ARCHIVE = "Send one zip archive at a time."
BROKEN_FORM = "Your browser sent a form we could not read: reload the page and try again."
# Django's message when a part's headers pass its bound (1 KiB, MultiPartParser's).
HEADERS_TOO_LONG = "Request max total header size exceeded."


class UploadLimitHandler(FileUploadHandler):
    """Refuse a request whose files add up to more than ``max_bytes``, as it arrives.

    Installed first, it sees each chunk before the handlers that store it, so they never
    hold more than ``max_bytes`` plus one chunk (16 KiB). A request whose declared length
    already says it is too large is refused before a byte of its body is read.
    """

    # Django reads the body in the smallest chunk any handler asks for (64 KiB by
    # default); smaller chunks stop the reading closer to the limit.
    chunk_size = 16 * 1024

    def __init__(self, request: HttpRequest, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.request_length = 0
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.request_length = content_length
        if content_length > self.max_bytes + FORM_ALLOWANCE:
            self.exceeded = True
            # An empty result ends parsing here: the body is never read.
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        # Counted over every file of the request: the form takes one archive.
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            # Stop reading now; Django closes (and so deletes) the partial file.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler returns the stored file

    def refusal(self) -> ValidationError:
        # The request's length is all we know of the file once reading stops early.
        size = max(self.request_length, self.received)
        return too_large_error(size, self.max_bytes, exact=False)


def read_upload(request: HttpRequest, *, max_bytes: int) -> ValidationError | None:
    """Parse REQUEST's body under MAX_BYTES; return the refusal to show, or None.

    After a refusal nothing of the upload is kept: the partial file is closed, which
    deletes a temporary file, and the caller must not read ``request.FILES``.
    """
    limiter = UploadLimitHandler(request, max_bytes)
    request.upload_handlers.insert(0, limiter)
    try:
        request.POST  # noqa: B018 - parsing runs the handlers
    except (MultiPartParserError, SuspiciousOperation) as exc:
        # SuspiciousOperation: too many fields or files, or fields over the memory limit.
        logger.info("Refused an unreadable upload to %s: %s", request.path, exc)
        close_partial_files(request)
        return unreadable_refusal(exc)
    if limiter.exceeded:
        return limiter.refusal()
    return None


def unreadable_refusal(exc: Exception) -> ValidationError:
    """Return what to tell a student whose form Django could not parse, by its cause.

    Only headers past Django's bound concern the file (its name, mostly); many files
    were picked at once; anything else (a thousand fields, no multipart boundary, a
    body cut short) is a form no page of ours sends, which a reload repairs.
    """
    if isinstance(exc, TooManyFilesSent):
        return ValidationError(ONE_ARCHIVE, code="too_many_files")
    if headers_too_long(exc):
        return ValidationError(UNREADABLE, code="unreadable_upload")
    return ValidationError(BROKEN_FORM, code="broken_form")


def headers_too_long(exc: Exception) -> bool:
    """Whether EXC is Django's refusal of a part whose headers pass its bound: the one
    cause of an unreadable body that concerns the file (its name, mostly). Django gives
    it no class of its own, only this message."""
    return isinstance(exc, MultiPartParserError) and str(exc) == HEADERS_TOO_LONG


def close_partial_files(request: HttpRequest) -> None:
    # A parse error between two parts leaves the last file with its handler, not in
    # request.FILES, where Django would close it; close it here, as Django does on
    # StopUpload (handlers keep the file they are filling in ``file``).
    for handler in request.upload_handlers:
        partial = getattr(handler, "file", None)
        if partial is not None:
            partial.close()
