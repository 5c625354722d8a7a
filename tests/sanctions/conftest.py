import pytest

from tests import factories


def build_world_without_sanctions():
    """The shared two-site world without any sanction records, whether or not build_world adds them:
    tests here add them (tests.sanctions.factories.add_sanction_records) or build their own."""
    from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode

    found = factories.build_world()
    SanctionAction.unscoped_all_sites.all().delete()
    SanctionEpisode.unscoped_all_sites.all().delete()
    AnnouncedRule.unscoped_all_sites.all().delete()
    for key in [
        key for key in found.records if key[0] in {"sanctionepisode", "sanctionaction", "announcedrule"}
    ]:
        del found.records[key]
    return found


@pytest.fixture(scope="module")
def shared_world_builder():
    return build_world_without_sanctions
