"""Routes of the governance cycle: meetings, decisions and tasks. Included from gvi.urls at ""."""

from django.urls import path

from gvi.partnership import meeting_views as views

app_name = "meetings"
urlpatterns = [
    path("moten/", views.meeting_list, name="meeting_list"),
    path("moten/nytt/", views.meeting_create, name="meeting_create"),
    path("moten/<str:pk>/", views.meeting_detail, name="meeting_detail"),
    path("moten/<str:pk>/andra/", views.meeting_edit, name="meeting_edit"),
    path("moten/<str:pk>/dagordning/", views.agenda_refresh, name="agenda_refresh"),
    path("moten/<str:pk>/punkter/", views.agenda_item_create, name="agenda_item_create"),
    path("moten/<str:pk>/status/", views.meeting_status, name="meeting_status"),
    path("moten/<str:pk>/beslut/", views.decision_create, name="decision_create"),
    path("moten/<str:pk>/motesvy/", views.meeting_mode, name="meeting_mode"),
    path("moten/<str:pk>/protokoll.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("beslut/<str:pk>/uppgift/", views.task_create, name="task_create"),
    path("uppgifter/", views.task_list, name="task_list"),
    path("uppgifter/<str:pk>/", views.task_edit, name="task_edit"),
    path("uppgifter/<str:pk>/status/", views.task_status, name="task_status"),
]
