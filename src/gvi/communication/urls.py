from django.urls import path

from gvi.communication import views

app_name = "communication"
urlpatterns = [
    path("stormoten/", views.callin_list, name="callin_list"),
    path("stormoten/nytt/", views.callin_create, name="callin_create"),
    path("stormoten/inbjudan/<str:pk>/andra/", views.invitation_edit, name="invitation_edit"),
    path("stormoten/inbjudan/<str:pk>/ta-bort/", views.invitation_remove, name="invitation_remove"),
    path("stormoten/<str:pk>/", views.callin_detail, name="callin_detail"),
    path("stormoten/<str:pk>/andra/", views.callin_edit, name="callin_edit"),
    path("stormoten/<str:pk>/checklista/", views.callin_checklist, name="callin_checklist"),
    path("stormoten/<str:pk>/utfall/", views.callin_outcome, name="callin_outcome"),
    path("stormoten/<str:pk>/ta-bort/", views.callin_remove, name="callin_remove"),
    path("stormoten/<str:pk>/inbjudan/ny/", views.invitation_create, name="invitation_create"),
    path("enskilda-samtal/", views.notification_list, name="notification_list"),
    path("enskilda-samtal/nytt/", views.notification_create, name="notification_create"),
    path("enskilda-samtal/forslag/", views.notification_suggestions, name="notification_suggestions"),
    path("enskilda-samtal/<str:pk>/", views.notification_detail, name="notification_detail"),
    path("enskilda-samtal/<str:pk>/andra/", views.notification_edit, name="notification_edit"),
    path("enskilda-samtal/<str:pk>/utfall/", views.notification_outcome, name="notification_outcome"),
    path("enskilda-samtal/<str:pk>/ta-bort/", views.notification_remove, name="notification_remove"),
    path("aterkoppling/", views.communicationback_list, name="communicationback_list"),
    path("aterkoppling/ny/", views.communicationback_create, name="communicationback_create"),
    path("aterkoppling/<str:pk>/andra/", views.communicationback_edit, name="communicationback_edit"),
    path("direktkommunikation/rackvidd/", views.reach, name="reach"),
]
