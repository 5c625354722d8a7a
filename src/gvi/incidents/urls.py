from django.urls import path

from gvi.incidents import views

app_name = "incidents"
urlpatterns = [
    path("incidenter/", views.incident_list, name="incident_list"),
    path("incidenter/<str:pk>/", views.incident_detail, name="incident_detail"),
]
