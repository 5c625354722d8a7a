"""Sanctions access: the rows live in tests/test_access_matrix.py (SANCTIONS_MATRIX); here, what they need.

Notes on some answers:
- episodes are shared across the partnership at a site: other-organisation rows answer 200;
- actions are each organisation's own: the coordinator sees all of them but changes none (403 on the
  change page, 403 from the API after the record was found), the others see only their own (404);
- decide/close through the API: the world's episodes are already running, so an authorised call gets the
  business rule's 422 (already decided; closing "other" without a note), an unauthorised one 403/404.
"""

import pytest
from django.urls import reverse

from gvi.partnership.models import Role
from tests.factories import verified_login
from tests.sanctions.factories import add_sanction_records
from tests.test_access_matrix import SANCTIONS_MATRIX, all_route_names

C, A, CW, P = Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER
CP, S, N, AD = Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR


def test_every_sanctions_route_has_a_row():
    from gvi.sanctions import api, urls

    names = {f"sanctions:{pattern.name}" for pattern in urls.urlpatterns}
    names |= {
        f"api:{operation.view_func.__name__}"
        for path_view in api.router.path_operations.values()
        for operation in path_view.operations
    }
    assert names == set(SANCTIONS_MATRIX)
    assert names <= all_route_names()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, world):
    add_sanction_records(world)
    episode = world.records[("sanctionepisode", "a", "police")]
    response = client.get(reverse("sanctions:episode_detail", args=[episode.pk]))
    assert response.status_code == 302 and reverse("access:login") in response["Location"]


@pytest.mark.django_db
def test_bad_ids_are_not_found(client, world):
    verified_login(client, world.users[C])
    for raw in ("abc", "0", "-1", "99999999999999999999999"):
        assert client.get(f"/sanktioner/{raw}/").status_code == 404
        assert client.get(f"/sanktioner/budskap/{raw}/andra/").status_code == 404
        assert client.get(f"/api/v1/sanctions/episodes/{raw}").status_code == 404
