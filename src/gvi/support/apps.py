from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "gvi.support"
    verbose_name = _("Erbjudande om hjälp")

    def ready(self):
        from gvi.access.dpia import register_fact_disclosures
        from gvi.support.models import SupportFactDisclosure

        register_fact_disclosures(SupportFactDisclosure)
