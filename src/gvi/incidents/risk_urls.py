from django.urls import path

from gvi.incidents import risk_views

app_name = "risk"
urlpatterns = [
    path("incidenter/risk/", risk_views.risk_overview, name="overview"),
]
