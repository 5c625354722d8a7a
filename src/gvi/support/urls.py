"""Pages of the offer of help. Case pages are the social-services compartment's; the facts page is for
organisations that received a disclosed fact; the statistics page is for the partnership at a site."""

from django.urls import path

from gvi.support import views

app_name = "support"
urlpatterns = [
    path("stod/", views.case_list, name="case_list"),
    path("stod/nytt/", views.case_create, name="case_create"),
    path("stod/export/", views.case_export, name="case_export"),
    path("stod/statistik/", views.statistics, name="statistics"),
    path("stod/planpunkt/<str:pk>/andra/", views.plan_item_edit, name="plan_item_edit"),
    path("stod/uppgift/<str:pk>/aterkalla/", views.fact_revoke, name="fact_revoke"),
    path("stod/<str:pk>/", views.case_detail, name="case_detail"),
    path("stod/<str:pk>/andra/", views.case_edit, name="case_edit"),
    path("stod/<str:pk>/avsluta/", views.case_close, name="case_close"),
    path("stod/<str:pk>/behov/", views.needs_edit, name="needs_edit"),
    path("stod/<str:pk>/plan/ny/", views.plan_item_create, name="plan_item_create"),
    path("stod/<str:pk>/kontakt/ny/", views.contact_create, name="contact_create"),
    path("stod/<str:pk>/uppgift/ny/", views.fact_create, name="fact_create"),
    path("uppgifter-fran-socialtjansten/", views.facts_received, name="facts_received"),
]
