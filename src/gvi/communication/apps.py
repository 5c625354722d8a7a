from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationConfig(AppConfig):
    name = "gvi.communication"
    verbose_name = _("Direktkommunikation")

    def ready(self):
        # Replaces the weekly agenda's placeholder for custom notifications in progress.
        from gvi.communication.agenda import register

        register()
