from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SanctionsConfig(AppConfig):
    name = "gvi.sanctions"
    verbose_name = _("Sanktioner")

    def ready(self):
        # The weekly review's agenda lists proposals awaiting a decision and running episodes; this
        # replaces the placeholder registered under the same name by gvi.partnership.selectors.
        from gvi.partnership.selectors import register_agenda_provider
        from gvi.sanctions.selectors import agenda_items

        register_agenda_provider("sanctions", agenda_items)
