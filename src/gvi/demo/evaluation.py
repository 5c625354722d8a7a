"""Demo perceived-safety series: fictional yearly survey values per district that improve after each
site's GVI start, so the dashboard tells the same story as the incident counts."""

from datetime import date
from decimal import Decimal

from gvi.evaluation.models import SurveyValue
from gvi.partnership.models import Site

INDICATOR = "Andel som känner sig otrygga utomhus sent på kvällen (%)"
SOURCE = "Fiktiv trygghetsmätning (demodata)"
YEARS = 5


def load_demo_surveys(today: date) -> int:
    """One value per district and year for the last five years; a slow rise before the start, a fall
    after it. Returns the number of values created."""
    from gvi.demo.city import SITES

    created = 0
    for spec in SITES:
        site = Site.objects.filter(slug=spec.slug).first()
        if site is None or site.gvi_start_date is None:
            continue
        start_year = site.gvi_start_date.year
        for offset, area in enumerate(spec.areas):
            base = 24 + 3 * offset
            for year in range(today.year - YEARS + 1, today.year + 1):
                if year <= start_year:
                    value = base + 0.8 * (year - (today.year - YEARS))
                else:
                    value = base + 0.8 * (start_year - (today.year - YEARS)) - 2.5 * (year - start_year)
                SurveyValue.objects.create(
                    site=site,
                    area=area,
                    year=year,
                    indicator=INDICATOR,
                    value=Decimal(f"{value:.1f}"),
                    source=SOURCE,
                )
                created += 1
    return created
