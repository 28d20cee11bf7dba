"""Stop an oversized upload while the request body is still arriving.

:func:`validate_upload` checks the size too, but by then Django has already
written the whole file to a temporary file. This handler sits first in
``request.upload_handlers`` and drops a file the moment it passes the limit,
so at most ``max_bytes`` of it ever reach the handlers after it (memory or
disk). The rest of that file is read from the connection and thrown away, so
the view can still answer with a friendly message instead of a reset
connection; the web server's own body limit (nginx ``client_max_body_size``)
remains the outer guard against bandwidth abuse.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from .refusals import UploadRefused, too_large


class MaxSizeUploadHandler(FileUploadHandler):
    """Skips any uploaded file larger than ``max_bytes``; :attr:`refusals` says which and why.

    Install it per view with :func:`limit_upload_size` (the limit is an
    assignment setting, so it cannot live in ``FILE_UPLOAD_HANDLERS``).
    """

    def __init__(self, max_bytes: int, request=None):
        super().__init__(request)
        self.max_bytes = max_bytes
        #: form field name -> refusal, for every file that was dropped
        self.refusals: dict[str, UploadRefused] = {}

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        # Browsers rarely send a per-file length; when one is sent, believe it enough to refuse early.
        if content_length is not None and content_length > self.max_bytes:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None  # let the next handler build the UploadedFile

    def _refuse(self):
        self.refusals[self.field_name] = too_large(self.max_bytes)
        raise SkipFile  # Django closes the partial file in the other handlers and discards the rest


def limit_upload_size(request, max_bytes: int) -> MaxSizeUploadHandler:
    """Put a :class:`MaxSizeUploadHandler` in front of ``request``'s upload handlers and return it.

    Call it before anything reads ``request.POST`` or ``request.FILES``. The
    CSRF middleware reads POST, so the view must be ``@csrf_exempt`` and do
    its check with ``@csrf_protect`` on an inner function (see Django's
    "Modifying upload handlers on the fly"). Django raises AttributeError if
    the body has already been parsed, which is the mistake we want loud.
    """
    handler = MaxSizeUploadHandler(max_bytes, request)
    request.upload_handlers = [handler, *request.upload_handlers]
    return handler
