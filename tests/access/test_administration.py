"""Nobody above the rules (issue 21, findings 1 and 2; issue 17, item 14): the administrator manages accounts
in the product's own administration, never grants itself person data, and every grant waits for a second
person of the organisation; the Django admin offers no account, flag, permission or second-factor secret."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.access.models import AccessLog, AccountLink
from gvi.partnership.models import Membership, Organisation, Role
from tests.factories import MembershipFactory, UserFactory, verified_login

User = get_user_model()
PERSONS = reverse("groups:person_list")
API_PERSONS = "/api/v1/persons"


def admin_client(world):
    return verified_login(Client(), world.users[Role.ADMINISTRATOR])


def police_a(world):
    return world.orgs[("a", Organisation.Type.POLICE)]


def grant(client, account, world, role=Role.ANALYST, **extra):
    data = {"organisation": police_a(world).pk, "site": world.site_a.pk, "role": role, **extra}
    return client.post(reverse("access:account_detail", kwargs={"pk": account.pk}), data)


@pytest.mark.django_db
def test_the_django_admin_cannot_add_a_membership(world):
    """The attack: POST /admin/partnership/membership/add/ with the admin's own user and role analyst."""
    admin = world.users[Role.ADMINISTRATOR]
    client = admin_client(world)
    answer = client.post(
        "/admin/partnership/membership/add/",
        {
            "user": admin.pk,
            "organisation": police_a(world).pk,
            "site": world.site_a.pk,
            "role": Role.ANALYST,
            "is_active": "on",
        },
    )
    assert answer.status_code == 404
    assert not Membership.objects.filter(user=admin, role=Role.ANALYST).exists()
    assert client.get(PERSONS).status_code == 403
    assert client.get(API_PERSONS).json()["count"] == 0


@pytest.mark.django_db
def test_an_administrator_cannot_grant_itself_person_data(world):
    admin = world.users[Role.ADMINISTRATOR]
    client = admin_client(world)
    answer = grant(client, admin, world)
    assert answer.status_code == 200
    assert "Du kan inte ge dig själv" in answer.content.decode()
    assert not Membership.objects.filter(user=admin, role=Role.ANALYST).exists()
    # nor the power to approve grants
    grant(client, admin, world, role=Role.STEERING_MEMBER, approves_access="on")
    assert not Membership.objects.filter(user=admin, approves_access=True).exists()
    assert client.get(PERSONS).status_code == 403


@pytest.mark.django_db
def test_a_grant_of_person_data_takes_effect_only_when_a_second_person_of_the_organisation_approves(world):
    newcomer = UserFactory()
    admin = admin_client(world)
    assert grant(admin, newcomer, world).status_code == 302
    membership = Membership.objects.get(user=newcomer)
    assert membership.is_pending
    reader = verified_login(Client(), newcomer)
    assert reader.get(PERSONS).status_code == 403  # not yet in force

    # The administrator is not of the organisation; the newcomer cannot approve itself; the municipality's
    # coordinator is of another organisation.
    decide = reverse("access:approval_decide", kwargs={"pk": membership.pk, "decision": "godkann"})
    assert admin.post(decide).status_code == 404
    assert reader.post(decide).status_code == 404
    coordinator = verified_login(Client(), world.users[Role.COORDINATOR])
    assert coordinator.post(decide).status_code == 404
    membership.refresh_from_db()
    assert membership.is_pending

    # The police's data-protection role approves.
    approver = MembershipFactory(
        organisation=police_a(world), site=world.site_a, role=Role.ANALYST, approves_access=True
    ).user
    approver_client = verified_login(Client(), approver)
    page = approver_client.get(reverse("access:approvals")).content.decode()
    assert newcomer.username in page
    assert approver_client.post(decide).status_code == 302
    membership.refresh_from_db()
    assert membership.approved_by == approver
    assert reader.get(PERSONS).status_code == 200

    entries = AccessLog.objects.filter(record_type="partnership.membership", record_id=str(membership.pk))
    assert list(entries.order_by("seq").values_list("action", flat=True)) == ["grant", "approve"]
    log_page = approver_client.get(reverse("access:approvals")).content.decode()
    assert "Behörighet begärd" in log_page and "Behörighet godkänd" in log_page
    # versioned: created, then approved
    assert membership.history.count() == 2


@pytest.mark.django_db
def test_a_role_without_person_data_needs_no_approval(world):
    newcomer = UserFactory()
    grant(admin_client(world), newcomer, world, role=Role.STEERING_MEMBER)
    assert Membership.objects.active().filter(user=newcomer).exists()


@pytest.mark.django_db
def test_the_django_admin_offers_no_accounts_flags_permissions_or_device_secrets(world):
    client = admin_client(world)
    TOTPDevice.objects.create(user=world.users[Role.ANALYST], name="app", confirmed=True)
    for url in (
        "/admin/auth/user/",
        f"/admin/auth/user/{world.users[Role.ADMINISTRATOR].pk}/change/",
        "/admin/auth/group/",
        "/admin/otp_totp/totpdevice/",
        "/admin/partnership/membership/",
        "/admin/axes/accessattempt/",
    ):
        assert client.get(url).status_code == 404, url
    index = client.get("/admin/").content.decode()
    assert "is_superuser" not in index and "Användare" not in index
    page = client.get(reverse("access:account_detail", kwargs={"pk": world.users[Role.ANALYST].pk}))
    body = page.content.decode()
    assert "is_superuser" not in body and "is_staff" not in body and "bin_key" not in body
    assert TOTPDevice.objects.get(user=world.users[Role.ANALYST]).key not in body


@pytest.mark.django_db
def test_the_superuser_flag_opens_nothing(world):
    flagged = UserFactory(is_superuser=True, is_staff=True)
    client = verified_login(Client(), flagged)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/partnership/site/").status_code == 302
    assert client.get(reverse("access:account_list")).status_code == 403
    assert client.get(PERSONS).status_code == 403


@pytest.mark.django_db
def test_an_administrators_password_reset_forces_reenrolment_and_reapproval(
    world, django_capture_on_commit_callbacks
):
    victim = world.users[Role.ANALYST]
    victim.email = "analytiker@example.invalid"
    victim.save()
    TOTPDevice.objects.get_or_create(user=victim, confirmed=True, defaults={"name": "app"})
    victim_session = verified_login(Client(), victim)
    assert victim_session.get(PERSONS).status_code == 200
    admin = admin_client(world)
    url = reverse("access:account_action", kwargs={"pk": victim.pk, "action": "aterstall-losenord"})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page = admin.post(url)
    assert len(callbacks) == 1  # the notice to the user, sent by the worker
    link = page.context["link"]
    victim.refresh_from_db()
    assert not victim.has_usable_password()
    assert not TOTPDevice.objects.filter(user=victim).exists()
    assert victim_session.get(PERSONS).status_code == 302  # the old sessions ended with the password

    # The administrator uses the link to take over the account: the person data stays closed until the
    # police approve the membership again.
    token = link.rstrip("/").rsplit("/", 1)[-1]
    Client().post(link, {"password1": "ett-helt-nytt-losenord-1", "password2": "ett-helt-nytt-losenord-1"})
    assert AccountLink.objects.get(token_hash__isnull=False, user=victim).used_at is not None
    victim.refresh_from_db()
    assert victim.check_password("ett-helt-nytt-losenord-1")
    taken_over = verified_login(Client(), victim)
    assert taken_over.get(PERSONS).status_code == 403
    assert Membership.objects.get(user=victim).is_pending
    assert Client().get(reverse("access:set_password", kwargs={"token": token})).status_code == 404  # once
    actions = set(AccessLog.objects.filter(record_type="auth.user").values_list("action", flat=True))
    assert {"reset_pw", "password"} <= actions


@pytest.mark.django_db
def test_accounts_are_deactivated_never_deleted_and_history_keeps_the_author(world):
    target = world.users[Role.CASEWORKER]
    admin = admin_client(world)
    admin.post(reverse("access:account_action", kwargs={"pk": target.pk, "action": "inaktivera"}))
    target.refresh_from_db()
    assert not target.is_active
    assert User.objects.filter(pk=target.pk).exists()
    assert target.history.first().history_user == world.users[Role.ADMINISTRATOR]
    assert admin.post(f"/admin/auth/user/{target.pk}/delete/", {"post": "yes"}).status_code == 404
    assert User.objects.filter(pk=target.pk).exists()


@pytest.mark.django_db
def test_new_accounts_get_a_one_time_link_and_no_password(world):
    admin = admin_client(world)
    page = admin.post(
        reverse("access:account_create"), {"username": "ny.anvandare", "email": "ny@example.invalid"}
    )
    account = User.objects.get(username="ny.anvandare")
    assert not account.has_usable_password()
    assert "/konto/valj-losenord/" in page.context["link"]
    assert AccessLog.objects.filter(
        record_type="auth.user", record_id=str(account.pk), action="account"
    ).exists()


@pytest.mark.django_db
def test_administrator_resets_the_authenticator_and_unlocks_logged(world, settings):
    target = world.users[Role.PROBATION_OFFICER]
    TOTPDevice.objects.get_or_create(user=target, confirmed=True, defaults={"name": "app"})
    admin = admin_client(world)
    admin.post(reverse("access:account_action", kwargs={"pk": target.pk, "action": "aterstall-app"}))
    assert not TOTPDevice.objects.filter(user=target).exists()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("access:login"), {"username": target.username, "password": "fel"})
    assert (
        Client()
        .post(reverse("access:login"), {"username": target.username, "password": "ett-langt-testlosenord"})
        .status_code
        == 429
    )
    admin.post(reverse("access:account_action", kwargs={"pk": target.pk, "action": "las-upp"}))
    assert (
        Client()
        .post(reverse("access:login"), {"username": target.username, "password": "ett-langt-testlosenord"})
        .status_code
        == 302
    )
    actions = list(
        AccessLog.objects.filter(record_id=str(target.pk), record_type="auth.user").values_list(
            "action", flat=True
        )
    )
    assert actions == ["reset_otp", "unlock"]


@pytest.mark.django_db
def test_users_change_their_own_password(world):
    user = world.users[Role.STEERING_MEMBER]
    client = verified_login(Client(), user)
    answer = client.post(
        reverse("access:own_password"),
        {
            "current": "ett-langt-testlosenord",
            "password1": "mitt-nya-losenord-22",
            "password2": "mitt-nya-losenord-22",
        },
    )
    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.check_password("mitt-nya-losenord-22")
    assert client.get(reverse("partnership:home")).status_code == 200  # the session stays
