from django.urls import path

from gvi.notices import views

app_name = "notices"

urlpatterns = [
    path("installningar/aviseringar/", views.notice_settings, name="settings"),
    path("installningar/kalender/ny-lank/", views.calendar_renew, name="calendar_renew"),
    path("installningar/kalender/ta-bort/", views.calendar_remove, name="calendar_remove"),
    path("kalender/<str:secret>.ics", views.calendar_feed, name="calendar_feed"),
    path("moten/<str:pk>/kalender.ics", views.meeting_ics, name="meeting_ics"),
]
