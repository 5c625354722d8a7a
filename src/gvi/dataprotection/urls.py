from django.urls import path

from gvi.dataprotection import views

app_name = "dataprotection"
urlpatterns = [
    path("personer/<str:pk>/registerutdrag/", views.extract, name="extract"),
    path("personer/<str:pk>/begaran/ny/", views.request_create, name="request_create"),
    path("dataskydd/begaran/", views.request_list, name="request_list"),
    path("dataskydd/begaran/<str:pk>/", views.request_detail, name="request_detail"),
    path("dataskydd/begaran/<str:pk>/beslut/", views.request_decide, name="request_decide"),
    path("dataskydd/begaran/<str:pk>/utford/", views.request_done, name="request_done"),
]
