"""Follow-up rounds for `world`: one unsigned round per organisation at each site (kind "followupround")."""

from datetime import date

from gvi.logreview.models import FollowUpRound
from gvi.partnership.models import Role
from tests.factories import SITE_TYPES


def add_logreview_records(world) -> None:
    for (slug, org_type), org in list(world.orgs.items()):
        if slug is None or org_type not in SITE_TYPES:
            continue
        world.records[("followupround", slug, org_type)] = FollowUpRound.objects.create(
            organisation=org,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            created_by=world.users[Role.DATA_PROTECTION_OFFICER],
        )
