from django.urls import path

from gvi.groups import views

app_name = "groups"
urlpatterns = [
    path("personer/", views.person_list, name="person_list"),
    path("personer/<str:pk>/", views.person_detail, name="person_detail"),
    path("personer/<str:pk>/andra/", views.person_edit, name="person_edit"),
    path("personer/<str:pk>/lamna-ut/", views.person_disclose, name="person_disclose"),
    path("grupper/", views.group_list, name="group_list"),
    path("grupper/<str:pk>/", views.group_detail, name="group_detail"),
]
