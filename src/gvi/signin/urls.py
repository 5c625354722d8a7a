from django.urls import path

from gvi.signin import views

app_name = "signin"

# Under /konto/, which the second-factor middleware leaves open (the sign-in is not complete yet).
urlpatterns = [
    path("konto/idp/logga-ut/", views.oidc_logout, name="oidc_logout"),
    path("konto/idp/<str:provider>/", views.oidc_start, name="oidc_start"),
    path("konto/idp/<str:provider>/svar/", views.oidc_callback, name="oidc_callback"),
    path("konto/saml/<str:provider>/", views.saml_start, name="saml_start"),
    path("konto/saml/<str:provider>/acs/", views.saml_acs, name="saml_acs"),
    path("konto/saml/<str:provider>/sls/", views.saml_sls, name="saml_sls"),
    path("konto/saml/<str:provider>/metadata/", views.saml_metadata, name="saml_metadata"),
]
