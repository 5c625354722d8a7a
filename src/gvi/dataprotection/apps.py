from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataProtectionConfig(AppConfig):
    name = "gvi.dataprotection"
    verbose_name = _("Dataskydd")

    def ready(self):
        from django.db.models.signals import pre_delete

        from gvi.dataprotection.services import forget_person_in_requests
        from gvi.groups.models import Person

        # Runs for the retention purge and for a user's removal alike: the decision record stays, the
        # person data in it goes (gvi.dataprotection.models.DataSubjectRequest).
        pre_delete.connect(forget_person_in_requests, sender=Person, dispatch_uid="dataprotection_forget")
