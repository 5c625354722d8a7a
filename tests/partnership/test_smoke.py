import pytest
from django.urls import reverse

from gvi.partnership.models import Role
from tests.factories import verified_login


@pytest.mark.django_db
def test_each_role_lands_on_a_start_page(client, world):
    for role, user in world.users.items():
        verified_login(client, user)
        response = client.get(reverse("partnership:home"))
        assert response.status_code == 200, role
        assert user.memberships.first().get_role_display() in response.content.decode()
        client.logout()


@pytest.mark.django_db
def test_steering_start_page_shows_chart_and_table(client, world):
    verified_login(client, world.users[Role.STEERING_MEMBER])
    html = client.get(reverse("partnership:home")).content.decode()
    assert "<svg" in html and "<table>" in html
