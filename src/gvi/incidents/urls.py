from django.urls import path

from gvi.incidents import views

app_name = "incidents"
urlpatterns = [
    path("incidenter/", views.incident_list, name="incident_list"),
    path("incidenter/ny/", views.incident_create, name="incident_create"),
    path("incidenter/tidslinje/", views.incident_timeline, name="timeline"),
    path("incidenter/karta/", views.incident_map, name="map"),
    path("incidenter/sok/personer/", views.pick_person, name="pick_person"),
    path("incidenter/sok/grupper/", views.pick_group, name="pick_group"),
    path("incidenter/sok/konflikter/", views.pick_relation, name="pick_relation"),
    path("incidenter/inblandning/<str:pk>/andra/", views.involvement_edit, name="involvement_edit"),
    path("incidenter/inblandning/<str:pk>/ta-bort/", views.involvement_remove, name="involvement_remove"),
    path("incidenter/<str:pk>/", views.incident_detail, name="incident_detail"),
    path("incidenter/<str:pk>/andra/", views.incident_edit, name="incident_edit"),
    path("incidenter/<str:pk>/inblandning/ny/", views.involvement_create, name="involvement_create"),
]
