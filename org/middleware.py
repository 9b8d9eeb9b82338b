"""Language: Chinese unless the user has chosen another language with the switcher.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a reporter whose
browser was installed in English would get an English page; a district's default is zh-Hans.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
