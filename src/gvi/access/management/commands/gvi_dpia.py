from pathlib import Path

from django.core.management.base import BaseCommand

from gvi.access.dpia import markdown


class Command(BaseCommand):
    help = (
        "Write the factual part of the data-protection impact assessment (konsekvensbedömning, Swedish "
        "Markdown) generated from this installation's configuration: to stdout, or to --output PATH."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write the document to this file instead of stdout.")

    def handle(self, *args, **options):
        document = markdown()
        if options["output"]:
            Path(options["output"]).write_text(document, encoding="utf-8")
            self.stdout.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(document)
