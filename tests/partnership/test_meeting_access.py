"""Meeting access beyond the matrix rows (which live in tests/test_access_matrix.py)."""

import pytest
from django.urls import reverse

from gvi.partnership.models import Role
from tests.factories import verified_login
from tests.partnership.factories import add_meeting_records

C, A, CW, P = Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER
CP, S, N, AD = Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR
pytestmark = pytest.mark.django_db


def test_steering_members_see_steering_meetings_only(client, world):
    add_meeting_records(world)
    verified_login(client, world.users[S])
    steering = world.records[("steering_meeting", "a", "municipality")]
    review = world.records[("meeting", "a", "municipality")]
    assert client.get(reverse("meetings:meeting_detail", args=[steering.pk])).status_code == 200
    assert client.get(reverse("meetings:meeting_detail", args=[review.pk])).status_code == 404
    listing = client.get(reverse("meetings:meeting_list")).content.decode()
    assert reverse("meetings:meeting_detail", args=[steering.pk]) in listing
    assert reverse("meetings:meeting_detail", args=[review.pk]) not in listing
    other_site = world.records[("steering_meeting", "b", "municipality")]
    assert client.get(reverse("meetings:meeting_detail", args=[other_site.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", [CP, N, AD])
def test_roles_without_meetings_get_403(client, world, role):
    add_meeting_records(world)
    verified_login(client, world.users[role])
    meeting = world.records[("meeting", "a", "police")]
    for url in (
        reverse("meetings:meeting_list"),
        reverse("meetings:meeting_create"),
        reverse("meetings:meeting_detail", args=[meeting.pk]),
        reverse("meetings:minutes_pdf", args=[meeting.pk]),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, world):
    add_meeting_records(world)
    meeting = world.records[("meeting", "a", "police")]
    response = client.get(reverse("meetings:meeting_detail", args=[meeting.pk]))
    assert response.status_code == 302 and reverse("access:login") in response["Location"]


@pytest.mark.django_db
def test_bad_ids_are_not_found(client, world):
    verified_login(client, world.users[C])
    for raw in ("abc", "0", "-1", "99999999999999999999999"):
        assert client.get(f"/moten/{raw}/").status_code == 404
        assert client.get(f"/uppgifter/{raw}/").status_code == 404
