from django.urls import path

from gvi.groups import views

app_name = "groups"
urlpatterns = [
    path("personer/", views.person_list, name="person_list"),
    path("personer/ny/", views.person_create, name="person_create"),
    path("personer/<str:pk>/", views.person_detail, name="person_detail"),
    path("personer/<str:pk>/andra/", views.person_edit, name="person_edit"),
    path("personer/<str:pk>/personnummer/", views.person_reveal, name="person_reveal"),
    path("personer/<str:pk>/lamna-ut/", views.person_disclose, name="person_disclose"),
    path("grupper/", views.group_list, name="group_list"),
    path("grupper/ny/", views.group_create, name="group_create"),
    path("grupper/<str:pk>/", views.group_detail, name="group_detail"),
    path("grupper/<str:pk>/andra/", views.group_edit, name="group_edit"),
    path("grupper/<str:pk>/medlemmar/", views.group_members, name="group_members"),
    path("grupper/<str:pk>/relationer/", views.group_relations, name="group_relations"),
    path("medlemskap/ny/", views.membership_create, name="membership_create"),
    path("medlemskap/<str:pk>/andra/", views.membership_edit, name="membership_edit"),
    path("relationer/ny/", views.relation_create, name="relation_create"),
    path("relationer/<str:pk>/andra/", views.relation_edit, name="relation_edit"),
    path("kartlaggning/", views.audit_overview, name="audit"),
    path("kartlaggning/omgang/ny/", views.audit_round_create, name="audit_round_create"),
    path("kartlaggning/per-datum/", views.audit_as_of, name="audit_as_of"),
    path("kartlaggning/<str:kind>/<str:pk>/ta-bort/", views.record_remove, name="record_remove"),
    path("kartlaggning/<str:kind>/<str:pk>/omprovad/", views.record_reviewed, name="record_reviewed"),
    path("registreringar/att-godkanna/", views.entry_queue, name="entry_queue"),
    path("registreringar/<str:kind>/<str:pk>/beslut/", views.entry_decide, name="entry_decide"),
]
