import pytest

from tests.factories import build_world
from tests.support.factories import add_support_records


@pytest.fixture
def world(db):
    """The shared two-site world with support cases, plan items and fact disclosures added."""
    return add_support_records(build_world())
