"""Writes of the group audit: one function per business action, transactional and versioned."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from gvi.access.permissions import CHANGE
from gvi.access.services import granting_membership, save_versioned
from gvi.groups.models import Person


@transaction.atomic
def update_person(user, person: Person, changes: dict, expected_version: int) -> Person:
    if granting_membership(user, person, CHANGE) is None:
        raise PermissionDenied(_("Du får inte ändra den här posten."))
    for field, value in changes.items():
        setattr(person, field, value)
    return save_versioned(person, expected_version, user=user)
