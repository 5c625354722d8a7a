from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from gvi.api import api

admin.site.site_header = "GVI – administration"
# The admin has no login of its own: everyone passes the same password + second-factor login.
admin.site.login = login_required(admin.site.login)

urlpatterns = [
    path("", include("gvi.partnership.urls")),
    path("", include("gvi.partnership.meeting_urls")),
    path("", include("gvi.access.urls")),
    path("", include("gvi.groups.urls")),
    path("", include("gvi.dataprotection.urls")),
    path("", include("gvi.groups.network_urls")),
    path("", include("gvi.groups.import_urls")),
    path("", include("gvi.incidents.risk_urls")),  # before incidents: "incidenter/risk/" is not a pk
    path("", include("gvi.incidents.urls")),
    path("", include("gvi.communication.urls")),
    path("", include("gvi.support.urls")),
    path("", include("gvi.sanctions.urls")),
    path("", include("gvi.evaluation.urls")),
    path("", include("gvi.notices.urls")),
    path("", include("gvi.signin.urls")),
    path("", include("gvi.logreview.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
