from django.urls import path

from gvi.groups import assistant_views, import_views

app_name = "audit_io"
urlpatterns = [
    path("kartlaggning/import/", import_views.import_upload, name="import_upload"),
    path("kartlaggning/import/bekrafta/", import_views.import_confirm, name="import_confirm"),
    path("kartlaggning/import/jobb/<uuid:job>/", import_views.import_job, name="import_job"),
    path("kartlaggning/import/assistent/", assistant_views.assistant_upload, name="assistant_upload"),
    path("kartlaggning/import/assistent/mappning/", assistant_views.assistant_map, name="assistant_map"),
    path(
        "kartlaggning/import/assistent/bekrafta/", assistant_views.assistant_confirm, name="assistant_confirm"
    ),
    path(
        "kartlaggning/import/assistent/sparade/<int:pk>/ta-bort/",
        assistant_views.assistant_mapping_delete,
        name="assistant_mapping_delete",
    ),
    path("kartlaggning/export/", import_views.export, name="export"),
]
