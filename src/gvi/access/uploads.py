"""A cap on request bodies, enforced by the application itself (the TLS proxy should refuse earlier too):
a request announcing more than GVI_MAX_REQUEST_BYTES is refused with 413 before its body is read, and an
upload without a length (chunked) stops the moment it passes the cap, before it fills the disk."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse


def request_too_large() -> HttpResponse:
    return HttpResponse("Begäran är för stor.", status=413, content_type="text/plain; charset=utf-8")


class BodySizeLimitMiddleware:
    """First in the chain: nothing (CSRF, sessions, the upload parser) reads an oversized body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.GVI_MAX_REQUEST_BYTES:
            return request_too_large()
        response = self.get_response(request)
        if getattr(request, "_gvi_body_too_large", False):
            return request_too_large()
        return response


class CappedUploadHandler(FileUploadHandler):
    """Counts every uploaded byte of a request and stops the upload past the cap (first in the handlers)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.GVI_MAX_REQUEST_BYTES:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.GVI_MAX_REQUEST_BYTES:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None

    def _refuse(self):
        if self.request is not None:
            self.request._gvi_body_too_large = True
        raise StopUpload(connection_reset=True)
