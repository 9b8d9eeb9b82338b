"""Request middleware: language, request size, no caching of data pages.

Language: Chinese unless the user has chosen another language with the switcher.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a reporter whose
browser was installed in English would get an English page; a district's default is zh-Hans.
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control


class LanguageMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().process_response(request, response)
        # The language is the request's, not the thread's: whatever runs next on this thread (the
        # next request, a task run inline, a test) starts from the district's language again.
        translation.activate(settings.LANGUAGE_CODE)
        return response


class RequestSizeMiddleware:
    """Refuse a request whose declared body exceeds the upload limit before any of it is read.

    Django's own limit counts only non-file fields, so a 100 MB upload would be received in full
    before the import view said no. The page is Chinese and says what the limit is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DIAODU_MAX_REQUEST_BYTES:
            from django.template.loader import render_to_string

            context = {
                "size_mb": f"{length / 1048576:.1f}",
                "limit_mb": f"{settings.DIAODU_MAX_UPLOAD_BYTES / 1048576:.0f}",
            }
            body = render_to_string("413.html", context, request=request)
            response = HttpResponse(body, status=413)
            # The unread body would otherwise be taken for the next request on this connection.
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages with data are never kept in a browser or proxy cache (a shared office PC, a proxy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") or "no-store" not in response["Cache-Control"]:
            patch_cache_control(response, no_store=True, private=True)
        return response
