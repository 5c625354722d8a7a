from django.urls import path

from gvi.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("statistik/", views.site_statistics, name="site_statistics"),
    path("statistik/export.csv", views.research_export, name="research_export"),
    path("statistik/rapport.pdf", views.report, name="report"),
    path("statistik/installningar/", views.settings, name="settings"),
    path("statistik/import/<uuid:job>/", views.import_job, name="import_job"),
    path("nationellt/", views.national_statistics, name="national"),
    path("nationellt/manad/", views.national_monthly, name="national_monthly"),
    path("nationellt/import/", views.national_import, name="national_import"),
]
