from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataProtectionConfig(AppConfig):
    name = "gvi.dataprotection"
    verbose_name = _("Dataskydd")

    def ready(self):
        from gvi.access.retention import register_before_purge
        from gvi.dataprotection.services import forget_persons_in_requests

        # When the retention purge removes person entries, the decisions on their requests stay and the
        # person data in them goes (gvi.dataprotection.models.DataSubjectRequest).
        register_before_purge("groups.person", forget_persons_in_requests)
