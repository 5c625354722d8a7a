"""Personal identity numbers: validated (checksum, samordningsnummer), never stored in clear text."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from gvi.access.identity import normalise_personal_number
from gvi.access.models import AccessLog
from gvi.groups.models import Person
from gvi.groups.services import create_person, find_persons_by_personal_number, reveal_personal_number
from gvi.partnership.models import Role

VALID = "19811218-9876"
COORDINATION = "811278-9873"  # samordningsnummer: day 18 + 60


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19811218-9876", "198112189876"),
        ("811218-9876", "198112189876"),
        ("8112189876", "198112189876"),
        ("198112189876", "198112189876"),
        (COORDINATION, "198112789873"),
        ("121212+1212", "191212121212"),
    ],
)
def test_valid_numbers_are_normalised_to_twelve_digits(raw, expected):
    assert normalise_personal_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("811218-9875", "kontrollsiffra"),
        ("abc", "10 eller 12 siffror"),
        ("", "tomt"),
        ("811399-9872", "kontrollsiffra"),
        ("20991218-0000", "kontrollsiffra"),
    ],
)
def test_invalid_numbers_get_a_swedish_message(raw, message):
    with pytest.raises(ValidationError, match=message):
        normalise_personal_number(raw)


def test_impossible_date_with_a_valid_checksum_is_refused():
    from stdnum import luhn

    base = "811332123"  # 13th month
    with pytest.raises(ValidationError, match="födelsedatum"):
        normalise_personal_number(base[:6] + "-" + base[6:] + luhn.calc_check_digit(base))


@pytest.mark.django_db
def test_number_is_stored_hashed_and_encrypted_and_matches_across_formats(world):
    analyst = world.users[Role.ANALYST]
    person = create_person(
        analyst, {"alias": "Person P-001", "is_at_risk": True, "age_band": "21-25"}, personal_number=VALID
    )
    stored = Person.unscoped_all_sites.get(pk=person.pk)
    assert stored.personal_number_hash and stored.personal_number_encrypted
    assert "198112189876" not in stored.personal_number_hash + stored.personal_number_encrypted
    assert (
        stored.personal_number_hash != hashlib.sha256(b"198112189876").hexdigest()
    )  # keyed, not a bare hash
    assert stored.birth_year == 1981
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM groups_person WHERE id = %s", [person.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
        cursor.execute("SELECT * FROM groups_historicalperson WHERE id = %s", [person.pk])
        history = " ".join(str(value) for value in cursor.fetchone())
    assert "198112189876" not in row and "811218-9876" not in row and "198112189876" not in history
    assert list(find_persons_by_personal_number(analyst, "8112189876")) == [stored]


@pytest.mark.django_db
def test_reveal_needs_a_grant_and_a_purpose_and_is_logged(world):
    analyst = world.users[Role.ANALYST]
    person = create_person(analyst, {"alias": "Person P-002", "is_victim": True}, personal_number=VALID)
    with pytest.raises(ValidationError):
        reveal_personal_number(analyst, person, purpose=" ")
    with pytest.raises(PermissionDenied):
        reveal_personal_number(world.users[Role.COORDINATOR], person, purpose="nyfiken")
    assert not AccessLog.objects.filter(action="reveal").exists()
    assert reveal_personal_number(analyst, person, purpose="Kallelse till samtal") == "19811218-9876"
    entry = AccessLog.objects.get(action="reveal")
    assert (entry.record_id, entry.purpose, entry.username) == (
        str(person.pk),
        "Kallelse till samtal",
        analyst.username,
    )


@pytest.mark.django_db
def test_minors_get_the_shorter_default_review_period(world, settings):
    settings.GVI_REVIEW_DAYS_ADULT, settings.GVI_REVIEW_DAYS_MINOR = 365, 90
    analyst = world.users[Role.ANALYST]
    adult = create_person(analyst, {"alias": "Vuxen", "is_at_risk": True})
    minor = create_person(analyst, {"alias": "Ung", "is_at_risk": True, "is_minor": True})
    # Review dates are Stockholm calendar days counted from the day of entry there.
    assert (adult.review_date - timezone.localtime(adult.created_at).date()).days == 365
    assert (minor.review_date - timezone.localtime(minor.created_at).date()).days == 90
