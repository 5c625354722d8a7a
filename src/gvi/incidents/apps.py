from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "gvi.incidents"
    verbose_name = _("Incidenter")

    def ready(self):
        from gvi.incidents import importers

        importers.register()  # incident lists import through the group audit's import pages
