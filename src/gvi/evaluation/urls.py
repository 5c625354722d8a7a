from django.urls import path

from gvi.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("statistik/", views.site_statistics, name="site_statistics"),
    path("nationellt/", views.national_statistics, name="national"),
]
