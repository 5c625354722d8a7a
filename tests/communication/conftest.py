import pytest

from tests.communication.factories import add_communication_records


@pytest.fixture
def comm_world(world):
    add_communication_records(world)
    return world


@pytest.fixture
def back_to_swedish(settings):
    """For a test that reads pages in English: the test client leaves the last request's language active
    in the thread, so put the default back for the tests that render templates directly after it."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)
