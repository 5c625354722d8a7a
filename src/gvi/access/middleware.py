"""Request-level guards: the second factor, and headers django-csp and Django do not set."""

from django.conf import settings
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation

# Paths a user who has only passed the password step may reach.
OPEN_PREFIXES = ("/static/", "/konto/", "/i18n/", "/api/v1/openapi.json", "/halsa")


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.GVI_REQUIRE_SECOND_FACTOR
            and user is not None
            and user.is_authenticated
            and not getattr(request, "api_token_user", False)
            and not user.is_verified()
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Second factor required"}, status=401)
            return redirect("access:second_factor")
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        response.headers.setdefault(
            "Cache-Control", "no-store" if request.user.is_authenticated else "private"
        )
        return response


class SwedishFirstLocaleMiddleware(LocaleMiddleware):
    """Swedish unless the user picked another language with the switch (cookie).

    The browser's Accept-Language is ignored on purpose: a Swedish public-sector service starts in Swedish.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
