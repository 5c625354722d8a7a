from django.urls import path

from gvi.operations import health
from gvi.partnership import views

app_name = "partnership"
urlpatterns = [
    path("", views.home, name="home"),
    path("halsa/", health.liveness, name="health"),
    path("halsa/redo/", health.readiness, name="readiness"),
]
