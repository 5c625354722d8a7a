"""The application's URLs plus a bare view: the framework floor every page is compared with."""

from django.http import HttpResponse
from django.urls import path

from gvi.urls import urlpatterns as application_urls


def floor(request):
    """No query and no template: what every request pays for the middleware stack and the server."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *application_urls]
