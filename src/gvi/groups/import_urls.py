from django.urls import path

from gvi.groups import import_views

app_name = "audit_io"
urlpatterns = [
    path("kartlaggning/import/", import_views.import_upload, name="import_upload"),
    path("kartlaggning/import/bekrafta/", import_views.import_confirm, name="import_confirm"),
    path("kartlaggning/import/jobb/<uuid:job>/", import_views.import_job, name="import_job"),
    path("kartlaggning/export/", import_views.export, name="export"),
]
