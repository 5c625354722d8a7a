import pytest

from tests.factories import build_world
from tests.support.factories import add_support_records


def build_world_with_more_support():
    """The shared two-site world with support cases, plan items and fact disclosures added."""
    return add_support_records(build_world())


@pytest.fixture(scope="module")
def shared_world_builder():
    return build_world_with_more_support
