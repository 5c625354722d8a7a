"""Routes of the network pages; the root urls include this module with `path("", include(...))`."""

from django.urls import path

from gvi.groups import network

app_name = "network"
urlpatterns = [
    path("kartlaggning/natverk/", network.site_network, name="site_network"),
    path("grupper/<str:pk>/natverk/", network.group_network, name="group_network"),
]
