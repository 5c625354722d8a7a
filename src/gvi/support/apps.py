from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "gvi.support"
    verbose_name = _("Erbjudande om hjälp")
