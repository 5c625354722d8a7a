from django.urls import path

from gvi.access import account_views, authentication, views

app_name = "access"
urlpatterns = [
    path("konto/logga-in/", authentication.LoginView.as_view(), name="login"),
    path("konto/logga-ut/", authentication.logout_view, name="logout"),
    path("konto/tvafaktor/", authentication.second_factor, name="second_factor"),
    path("konto/tvafaktor/aktivera/", authentication.enrol_second_factor, name="enrol_second_factor"),
    path("utlamnanden/", views.disclosure_list, name="disclosures"),
    path("utlamnanden/<str:pk>/aterkalla/", views.disclosure_revoke, name="disclosure_revoke"),
    path("dataskydd/konsekvensbedomning/", views.dpia, name="dpia"),
    path("granskning/logg/", views.access_log, name="access_log"),
    path("granskning/verifiera/", views.audit_verify, name="audit_verify"),
    path("konto/valj-losenord/<str:token>/", account_views.set_password, name="set_password"),
    path("konto/las-upp/", account_views.unlock_request, name="unlock_request"),
    path("konto/las-upp/<str:token>/", account_views.unlock_link, name="unlock_link"),
    path("mitt-konto/losenord/", account_views.own_password, name="own_password"),
    path("mitt-konto/api-nycklar/", account_views.own_tokens, name="own_tokens"),
    path("mitt-konto/api-nycklar/<str:pk>/aterkalla/", account_views.token_revoke, name="token_revoke"),
    path("administration/api-nycklar/", account_views.token_admin_list, name="token_admin_list"),
    path("administration/konton/", account_views.account_list, name="account_list"),
    path("administration/konton/nytt/", account_views.account_create, name="account_create"),
    path("administration/konton/<str:pk>/", account_views.account_detail, name="account_detail"),
    path(
        "administration/konton/<str:pk>/<slug:action>/", account_views.account_action, name="account_action"
    ),
    path("administration/medlemskap/<str:pk>/avsluta/", account_views.membership_end, name="membership_end"),
    path("behorigheter/", account_views.approvals, name="approvals"),
    path("behorigheter/<str:pk>/<slug:decision>/", account_views.approval_decide, name="approval_decide"),
]
