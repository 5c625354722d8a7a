from django.urls import path

from gvi.signin import views

app_name = "signin"

# Under /konto/, which the second-factor middleware leaves open (the sign-in is not complete yet).
urlpatterns = [
    path("konto/idp/logga-ut/", views.oidc_logout, name="oidc_logout"),
    path("konto/idp/<str:provider>/", views.oidc_start, name="oidc_start"),
    path("konto/idp/<str:provider>/svar/", views.oidc_callback, name="oidc_callback"),
]
