"""`gvi approve-first-member --membership ID --by "name, reason"`: a new organisation's first approver."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from gvi.access import services
from gvi.partnership.models import Membership


class Command(BaseCommand):
    help = (
        "Approve an organisation's first coordinator or data-protection role, which nobody in the "
        "organisation can approve yet. Refused once the organisation has an approved membership that "
        "approves grants: from then on its own people approve on /behorigheter/. Logged with --by."
    )

    def add_arguments(self, parser):
        parser.add_argument("--membership", type=int, required=True, help="id of the pending membership")
        parser.add_argument(
            "--by", required=True, help='who approves and why, e.g. "Eva Ek, signed request 2026-12-01"'
        )

    def handle(self, *args, **options):
        membership = (
            Membership.objects.select_related("user", "organisation", "site")
            .filter(pk=options["membership"])
            .first()
        )
        if membership is None:
            raise CommandError(f"No membership {options['membership']}.")
        try:
            services.approve_first_member(services.Operator(options["by"]), membership)
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        self.stdout.write(f"Approved: {membership} (the organisation's first approver).")
