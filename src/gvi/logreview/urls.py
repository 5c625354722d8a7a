from django.urls import path

from gvi.logreview import views

app_name = "logreview"
urlpatterns = [
    path("granskning/logguppfoljning/", views.log_search, name="search"),
    path("granskning/logguppfoljning/personer/", views.person_search, name="persons"),
    path("granskning/logguppfoljning/omgangar/", views.round_list, name="round_list"),
    path("granskning/logguppfoljning/omgangar/ny/", views.round_create, name="round_create"),
    path("granskning/logguppfoljning/omgangar/<str:pk>/", views.round_detail, name="round_detail"),
    path("granskning/logguppfoljning/omgangar/<str:pk>/signera/", views.round_signoff, name="round_signoff"),
    path("granskning/logguppfoljning/omgangar/<str:pk>/csv/", views.round_csv, name="round_csv"),
    path("granskning/logguppfoljning/omgangar/<str:pk>/pdf/", views.round_pdf, name="round_pdf"),
]
