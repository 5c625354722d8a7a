from django.urls import path

from gvi.partnership import views

app_name = "partnership"
urlpatterns = [
    path("", views.home, name="home"),
    path("halsa/", views.health, name="health"),
]
