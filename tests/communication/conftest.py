import pytest

from tests.communication.factories import add_communication_records


@pytest.fixture
def comm_world(world):
    add_communication_records(world)
    return world
