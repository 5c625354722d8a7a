"""Export this installation's suppressed national tables as a signed aggregate package."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gvi.evaluation.aggregate_package import (
    PackageError,
    build_payload,
    installation_name,
    load_private_key,
    sign_payload,
)
from gvi.partnership.models import Site


class Command(BaseCommand):
    help = (
        "Skriv installationens nationella tabeller (per plats och månad, små tal dolda) som ett "
        "signerat aggregatpaket. Paketet innehåller inga personuppgifter."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key", required=True, help="den privata Ed25519-nyckeln (PEM)")
        parser.add_argument("--output", required=True, help="filen som skrivs (JSON)")
        parser.add_argument("--installation", default="", help="installationens namn (GVI_INSTALLATION_NAME)")
        parser.add_argument("--years", type=int, default=3, help="antal kalenderår bakåt, i år inräknat")

    def handle(self, *args, **options):
        installation = (options["installation"] or installation_name()).strip()
        if not installation:
            raise CommandError("Ange installationens namn med --installation eller GVI_INSTALLATION_NAME.")
        if not 1 <= options["years"] <= 20:
            raise CommandError("--years måste vara mellan 1 och 20.")
        output = Path(options["output"])
        if output.exists():
            raise CommandError(f"{output} finns redan; välj en annan fil.")
        try:
            key = load_private_key(Path(options["key"]))
        except PackageError as error:
            raise CommandError(str(error)) from None
        this_year = timezone.localdate().year
        years = list(range(this_year, this_year - options["years"], -1))
        sites = list(Site.objects.filter(is_active=True).values_list("name", flat=True))
        payload = build_payload(installation, years, sites=sites)
        output.write_bytes(sign_payload(payload, key))
        self.stdout.write(
            f"Aggregatpaket skrivet: {output} ({len(payload['tables'])} tabeller, {len(sites)} platser, "
            f"åren {years[-1]}–{years[0]})."
        )
