from django.urls import path

from gvi.operations import health
from gvi.partnership import area_views, views

app_name = "partnership"
urlpatterns = [
    path("", views.home, name="home"),
    path("halsa/", health.liveness, name="health"),
    path("halsa/redo/", health.readiness, name="readiness"),
    path("omraden/", area_views.area_list, name="area_list"),
    path("omraden/<int:pk>/", area_views.area_edit, name="area_edit"),
]
