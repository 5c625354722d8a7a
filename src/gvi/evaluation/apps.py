from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "gvi.evaluation"
    verbose_name = _("Uppföljning")

    def ready(self):
        # The impact readings (gvi.analysis.impact, free of Django) in the reader's language and number format.
        from django.utils.translation import gettext

        from gvi.analysis import impact
        from gvi.numbers import format_number

        impact.HOOKS["translate"] = gettext
        impact.HOOKS["number"] = format_number
