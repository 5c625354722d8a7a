from django.urls import path

from gvi.access import authentication, views

app_name = "access"
urlpatterns = [
    path("konto/logga-in/", authentication.LoginView.as_view(), name="login"),
    path("konto/logga-ut/", authentication.logout_view, name="logout"),
    path("konto/tvafaktor/", authentication.second_factor, name="second_factor"),
    path("konto/tvafaktor/aktivera/", authentication.enrol_second_factor, name="enrol_second_factor"),
    path("utlamnanden/", views.disclosure_list, name="disclosures"),
    path("utlamnanden/<str:pk>/aterkalla/", views.disclosure_revoke, name="disclosure_revoke"),
    path("granskning/logg/", views.access_log, name="access_log"),
    path("granskning/verifiera/", views.audit_verify, name="audit_verify"),
]
