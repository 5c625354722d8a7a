"""Create an Ed25519 key pair for signing national aggregate packages."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gvi.evaluation.aggregate_package import generate_key_pair


class Command(BaseCommand):
    help = "Skapa ett Ed25519-nyckelpar för att signera nationella aggregatpaket."

    def add_arguments(self, parser):
        parser.add_argument("--private-key", required=True, help="fil för den privata nyckeln (PEM)")
        parser.add_argument("--public-key", required=True, help="fil för den publika nyckeln (PEM)")

    def handle(self, *args, **options):
        private_path, public_path = Path(options["private_key"]), Path(options["public_key"])
        for path in (private_path, public_path):
            if path.exists():
                raise CommandError(f"{path} finns redan; välj en annan fil.")
        private_pem, public_pem = generate_key_pair()
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private_pem)
        public_path.write_bytes(public_pem)
        self.stdout.write(
            f"Privat nyckel: {private_path} (förvara den skyddat, endast läsbar för ägaren).\n"
            f"Publik nyckel: {public_path} (lämna den till den nationella installationen, som lägger den "
            "bland sina betrodda nycklar, GVI_AGGREGATE_TRUSTED_KEYS)."
        )
