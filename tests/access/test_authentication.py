"""Login: password, TOTP second factor (enrolment on first login), lockout, logout, idle timeout, demo mode.

Every test goes through the real views and middleware with the test client; only the passage of time is
simulated, by back-dating rows (django-otp throttling, axes attempts, the session's expiry date).
"""

import base64
import importlib.util
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.demo.accounts import DEMO_ACCOUNTS
from gvi.partnership.models import Role
from tests.factories import MembershipFactory, UserFactory, verified_login

pytestmark = pytest.mark.django_db

PASSWORD = "ett-langt-testlosenord"
LOGIN = reverse("access:login")
LOGOUT = reverse("access:logout")
HOME = reverse("partnership:home")
SECOND_FACTOR = reverse("access:second_factor")
ENROL = reverse("access:enrol_second_factor")
API_ME = "/api/v1/me"

WRONG_CODE_ERROR = "Koden stämmer inte. Kontrollera klockan i telefonen och försök igen."
WRONG_ENROL_CODE_ERROR = "Koden stämmer inte. Skanna QR-koden igen och ange en ny kod."
LOCKED_TEXT = "tillfälligt spärrat"
BAD_PASSWORD_ERROR = "Fel användarnamn eller lösenord."
DEMO_BANNER = "Demoläge"


# --- helpers -------------------------------------------------------------------------------------------


def make_user(**kwargs):
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, role=Role.COORDINATOR)
    return user


def confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="Telefon", confirmed=True)


def current_code(device, steps=0):
    """The code an authenticator app shows now (or `steps` time steps away), honouring step/t0/digits/drift."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device):
    """A well-formed code that no time step within the device's tolerance accepts."""
    accepted = {current_code(device, s) for s in range(-device.tolerance - 1, device.tolerance + 2)}
    candidate = int(current_code(device))
    while f"{candidate:0{device.digits}d}" in accepted:
        candidate = (candidate + 123457) % 10**device.digits
    return f"{candidate:0{device.digits}d}"


def let_otp_throttle_pass(device):
    """django-otp blocks verification for a second after a wrong code; act as if the user waited."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5)
    )


def password_login(client, username, password=PASSWORD, **kwargs):
    return client.post(LOGIN, {"username": username, "password": password}, **kwargs)


def is_verified(client):
    """True when the session has passed both factors (the home page answers rather than redirecting)."""
    return client.get(HOME).status_code == 200


# --- 1. password only ----------------------------------------------------------------------------------


def test_password_login_without_device_leads_to_enrolment_and_nothing_else(client):
    user = make_user()

    response = password_login(client, user.username)
    assert response.status_code == 302
    assert response.url == HOME
    assert "_auth_user_id" in client.session

    followed = client.get(HOME, follow=True)
    assert [url for url, _ in followed.redirect_chain] == [SECOND_FACTOR, ENROL]
    assert followed.status_code == 200
    assert followed.request["PATH_INFO"] == ENROL

    # Every protected page sends the half-logged-in user back to the second factor ...
    for path in (HOME, reverse("access:disclosures"), reverse("groups:person_list")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == SECOND_FACTOR, path
    # ... and the API refuses the password-only session.
    response = client.get(API_ME)
    assert response.status_code == 401
    assert response.json() == {"detail": "Second factor required"}


def test_password_login_with_device_asks_for_code(client):
    user = make_user()
    confirmed_device(user)

    password_login(client, user.username)
    response = client.get(HOME, follow=True)

    assert [url for url, _ in response.redirect_chain] == [SECOND_FACTOR]
    assert "Ange koden som visas i din autentiseringsapp." in response.content.decode()
    assert client.get(API_ME).status_code == 401


def test_wrong_password_does_not_log_in(client):
    user = make_user()

    response = password_login(client, user.username, "fel-losenord-helt-klart")

    assert response.status_code == 200
    assert BAD_PASSWORD_ERROR in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(HOME).url.startswith(LOGIN)


def test_second_factor_pages_need_a_password_session(client):
    for path in (SECOND_FACTOR, ENROL):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url == LOGIN
    assert not TOTPDevice.objects.exists()


# --- 2. enrolment --------------------------------------------------------------------------------------


def test_enrolment_shows_qr_code_and_creates_unconfirmed_device(client):
    user = make_user()
    password_login(client, user.username)

    response = client.get(ENROL)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'src="data:image/svg+xml;base64,' in body
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    # The manual-entry secret on the page is the device's key.
    assert response.context["secret"].replace(" ", "") == base64.b32encode(device.bin_key).decode()
    assert response.context["secret"] in body
    # Reloading the page keeps the same device instead of piling up new ones.
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_enrolment_wrong_code_then_right_code(client):
    user = make_user()
    password_login(client, user.username)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)

    response = client.post(ENROL, {"token": wrong_code(device)})
    assert response.status_code == 200
    assert WRONG_ENROL_CODE_ERROR in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get(HOME).url == SECOND_FACTOR

    let_otp_throttle_pass(device)
    response = client.post(ENROL, {"token": current_code(device)})

    assert response.status_code == 302
    assert response.url == HOME
    device.refresh_from_db()
    assert device.confirmed is True
    home = client.get(HOME)
    assert home.status_code == 200
    assert "Tvåfaktorsinloggning är aktiverad." in home.content.decode()
    assert client.get(API_ME).status_code == 200
    # Once confirmed, enrolment is closed: the page no longer hands out the secret.
    assert client.get(ENROL).url == SECOND_FACTOR


def test_enrolment_rejects_non_numeric_code_without_confirming(client):
    user = make_user()
    password_login(client, user.username)
    client.get(ENROL)

    response = client.post(ENROL, {"token": "abcdef"})

    assert response.status_code == 200
    assert "Koden består bara av siffror." in response.content.decode()
    assert TOTPDevice.objects.get(user=user).confirmed is False


def test_user_with_confirmed_device_cannot_enrol_another(client):
    user = make_user()
    confirmed_device(user)
    password_login(client, user.username)

    response = client.get(ENROL)

    assert response.status_code == 302
    assert response.url == SECOND_FACTOR
    assert TOTPDevice.objects.filter(user=user).count() == 1


# --- 3. second factor with a confirmed device ----------------------------------------------------------


def test_second_factor_wrong_code_then_right_code(client):
    user = make_user()
    device = confirmed_device(user)
    password_login(client, user.username)

    response = client.post(SECOND_FACTOR, {"token": wrong_code(device)})
    assert response.status_code == 200
    assert WRONG_CODE_ERROR in response.content.decode()
    assert client.get(HOME).url == SECOND_FACTOR
    assert client.get(API_ME).status_code == 401

    let_otp_throttle_pass(device)
    response = client.post(SECOND_FACTOR, {"token": current_code(device)})

    assert response.status_code == 302
    assert response.url == HOME
    assert client.get(HOME).status_code == 200
    assert client.get(API_ME).json()["username"] == user.username


def test_second_factor_code_of_another_users_device_is_refused(client):
    user = make_user()
    device = confirmed_device(user)
    other_device = confirmed_device(make_user())
    password_login(client, user.username)

    code = current_code(other_device)
    if code in {current_code(device, s) for s in (-1, 0, 1)}:  # pragma: no cover - one in ~300 000
        pytest.skip("the two random keys happen to agree right now")
    response = client.post(SECOND_FACTOR, {"token": code})

    assert WRONG_CODE_ERROR in response.content.decode()
    assert not is_verified(client)


def test_second_factor_code_cannot_be_replayed(client):
    user = make_user()
    device = confirmed_device(user)
    password_login(client, user.username)
    code = current_code(device)
    assert client.post(SECOND_FACTOR, {"token": code}).status_code == 302
    client.post(LOGOUT)

    password_login(client, user.username)
    response = client.post(SECOND_FACTOR, {"token": code})

    assert response.status_code == 200
    assert WRONG_CODE_ERROR in response.content.decode()
    assert not is_verified(client)


def test_second_factor_follows_local_next(client):
    user = make_user()
    device = confirmed_device(user)
    password_login(client, user.username)

    target = reverse("access:disclosures")
    response = client.post(f"{SECOND_FACTOR}?next={target}", {"token": current_code(device)})

    assert response.status_code == 302
    assert response.url == target


def test_second_factor_does_not_redirect_off_site(client):
    user = make_user()
    device = confirmed_device(user)
    password_login(client, user.username)

    response = client.post(
        f"{SECOND_FACTOR}?next=https://evil.example/phish", {"token": current_code(device)}
    )

    assert response.status_code == 302
    assert "evil.example" not in response.url
    assert response.url == HOME


# --- 4. lockout ----------------------------------------------------------------------------------------


def fail_password(client, username, times):
    for _ in range(times):
        response = password_login(client, username, "fel-losenord-helt-klart")
    return response


def assert_locked(response):
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED_TEXT in body
    assert "15 minuter" in body


def test_lockout_after_failure_limit(client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    user = make_user()

    response = fail_password(client, user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200
    assert BAD_PASSWORD_ERROR in response.content.decode()

    assert_locked(fail_password(client, user.username, 1))

    # Now even the right password is refused, and no session is created.
    assert_locked(password_login(client, user.username))
    assert "_auth_user_id" not in client.session
    assert client.get(HOME).url.startswith(LOGIN)


def test_one_below_the_limit_the_right_password_still_works(client, settings):
    user = make_user()
    device = confirmed_device(user)
    fail_password(client, user.username, settings.AXES_FAILURE_LIMIT - 1)

    response = password_login(client, user.username)
    assert response.status_code == 302
    assert response.url == HOME
    assert client.post(SECOND_FACTOR, {"token": current_code(device)}).status_code == 302

    # A completed login clears the failures: a later typo does not lock the account.
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    client.post(LOGOUT)
    assert fail_password(client, user.username, 1).status_code == 200


def test_lockout_is_per_username_not_per_address(client, settings):
    locked_user = make_user()
    other_user = make_user()
    fail_password(client, locked_user.username, settings.AXES_FAILURE_LIMIT)

    # Same client address, other account: unaffected.
    response = password_login(client, other_user.username)
    assert response.status_code == 302
    assert response.url == HOME
    client.post(LOGOUT)

    assert_locked(password_login(client, locked_user.username))


def test_lockout_holds_within_cooloff_and_lifts_after_it(client, settings):
    user = make_user()
    fail_password(client, user.username, settings.AXES_FAILURE_LIMIT)

    # 14 minutes later the account is still locked ...
    AccessAttempt.objects.filter(username=user.username).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    )
    assert_locked(password_login(client, user.username))

    # ... once the cool-off has passed since the failures, the right password works again.
    AccessAttempt.objects.filter(username=user.username).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    response = password_login(client, user.username)
    assert response.status_code == 302
    assert response.url == HOME


def test_lockout_page_reports_configured_cooloff(client, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=45)
    user = make_user()

    response = fail_password(client, user.username, settings.AXES_FAILURE_LIMIT)

    assert response.status_code == 429
    assert "45 minuter" in response.content.decode()


def test_admin_reset_reenables_login(client, settings):
    user = make_user()
    fail_password(client, user.username, settings.AXES_FAILURE_LIMIT)
    assert_locked(password_login(client, user.username))

    assert axes_reset(username=user.username) >= 1

    response = password_login(client, user.username)
    assert response.status_code == 302
    assert response.url == HOME


# --- 5. wrong TOTP codes count toward the lockout ------------------------------------------------------


def test_wrong_codes_lock_the_account_and_end_the_session(client, settings):
    user = make_user()
    device = confirmed_device(user)
    password_login(client, user.username)

    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        let_otp_throttle_pass(device)
        response = client.post(SECOND_FACTOR, {"token": wrong_code(device)})
        assert response.status_code == 200, attempt
        assert WRONG_CODE_ERROR in response.content.decode()

    let_otp_throttle_pass(device)
    assert_locked(client.post(SECOND_FACTOR, {"token": wrong_code(device)}))

    # Logged out: the next page asks for the password, not the code.
    assert "_auth_user_id" not in client.session
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    # And the account is locked for the password step too.
    assert_locked(password_login(client, user.username))


def test_logging_in_again_does_not_wipe_wrong_code_failures(client, settings):
    user = make_user()
    device = confirmed_device(user)
    password_login(client, user.username)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        let_otp_throttle_pass(device)
        assert client.post(SECOND_FACTOR, {"token": wrong_code(device)}).status_code == 200

    # Start over with the password, which is known to the attacker.
    client.post(LOGOUT)
    assert password_login(client, user.username).status_code == 302
    let_otp_throttle_pass(device)

    assert_locked(client.post(SECOND_FACTOR, {"token": wrong_code(device)}))


def test_wrong_enrolment_codes_lock_the_account(client, settings):
    user = make_user()
    password_login(client, user.username)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(ENROL, {"token": wrong_code(device)}).status_code == 200

    assert_locked(client.post(ENROL, {"token": wrong_code(device)}))
    assert "_auth_user_id" not in client.session
    assert_locked(password_login(client, user.username))
    assert TOTPDevice.objects.get(user=user).confirmed is False


def test_wrong_code_failures_are_counted_for_the_logged_in_username(client, settings):
    user = make_user()
    bystander = make_user()
    device = confirmed_device(user)
    password_login(client, user.username)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(SECOND_FACTOR, {"token": wrong_code(device)})

    other = client.__class__()
    assert password_login(other, bystander.username).status_code == 302


# --- 6. logout -----------------------------------------------------------------------------------------


def test_logout_rejects_get(client):
    user = make_user()
    verified_login(client, user)

    response = client.get(LOGOUT)

    assert response.status_code == 405
    assert client.get(HOME).status_code == 200


def test_logout_post_ends_the_session(client):
    user = make_user()
    verified_login(client, user)
    session_key = client.session.session_key
    assert client.get(HOME).status_code == 200

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response.url == LOGIN
    assert not Session.objects.filter(session_key=session_key).exists()
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert client.get(API_ME).status_code == 401
    assert "Du är utloggad." in client.get(LOGIN).content.decode()


def test_logout_after_real_two_factor_login(client):
    user = make_user()
    device = confirmed_device(user)
    password_login(client, user.username)
    client.post(SECOND_FACTOR, {"token": current_code(device)})
    assert is_verified(client)

    client.post(LOGOUT)

    assert client.get(HOME).url.startswith(LOGIN)


# --- 7. idle timeout -----------------------------------------------------------------------------------


def load_settings_module(monkeypatch, tmp_path, **env):
    """Execute src/gvi/settings.py afresh under a given environment (django.conf.settings is untouched)."""
    for name in (
        "GVI_IDLE_TIMEOUT_MINUTES",
        "GVI_DEMO_MODE",
        "GVI_PRODUCTION",
        "GVI_LOCKOUT_FAILURES",
        "GVI_LOCKOUT_MINUTES",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GVI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GVI_STATIC_ROOT", str(tmp_path / "static"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import gvi.settings

    spec = importlib.util.spec_from_file_location("gvi_settings_probe", Path(gvi.settings.__file__))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_idle_timeout_defaults(monkeypatch, tmp_path):
    module = load_settings_module(monkeypatch, tmp_path)

    assert module.SESSION_COOKIE_AGE == 30 * 60
    assert module.SESSION_SAVE_EVERY_REQUEST is True
    assert module.AXES_FAILURE_LIMIT == 5
    assert module.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert module.AXES_LOCKOUT_PARAMETERS == ["username"]
    assert module.GVI_REQUIRE_SECOND_FACTOR is True
    assert module.DEMO_MODE is False


def test_idle_timeout_follows_environment(monkeypatch, tmp_path):
    module = load_settings_module(monkeypatch, tmp_path, GVI_IDLE_TIMEOUT_MINUTES="10")

    assert module.SESSION_COOKIE_AGE == 10 * 60


def test_demo_mode_switches_off_second_factor_but_never_in_production(monkeypatch, tmp_path):
    demo = load_settings_module(monkeypatch, tmp_path, GVI_DEMO_MODE="true")
    assert demo.DEMO_MODE is True
    assert demo.GVI_REQUIRE_SECOND_FACTOR is False

    production = load_settings_module(
        monkeypatch, tmp_path, GVI_DEMO_MODE="true", GVI_PRODUCTION="true", GVI_SECRET_KEY="x" * 50
    )
    assert production.DEMO_MODE is False
    assert production.GVI_REQUIRE_SECOND_FACTOR is True


def test_active_settings_renew_the_session_on_every_request(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE <= 30 * 60


def session_row(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_each_request_pushes_the_idle_deadline_forward(client, settings):
    user = make_user()
    verified_login(client, user)
    assert client.get(HOME).status_code == 200
    expected = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((session_row(client).expire_date - expected).total_seconds()) < 60

    # One minute left of the idle window: any request renews it to the full age.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )
    assert client.get(HOME).status_code == 200
    assert session_row(client).expire_date > timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 60
    )


def test_expired_session_no_longer_gives_access(client):
    user = make_user()
    verified_login(client, user)
    assert client.get(HOME).status_code == 200

    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={HOME}"
    assert client.get(API_ME).status_code == 401


def test_expired_session_via_set_expiry(client):
    user = make_user()
    verified_login(client, user)
    session = client.session
    session.set_expiry(-1)
    session.save()

    response = client.get(HOME)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# --- 8. demo mode --------------------------------------------------------------------------------------


def test_demo_mode_password_login_reaches_home_with_banner(client, settings):
    settings.DEMO_MODE = True
    settings.GVI_REQUIRE_SECOND_FACTOR = False
    user = make_user()

    response = password_login(client, user.username, follow=True)

    assert response.redirect_chain == [(HOME, 302)]
    assert response.status_code == 200
    assert DEMO_BANNER in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(API_ME).status_code == 200
    # The second-factor page has nothing to ask and sends the user on.
    assert client.get(SECOND_FACTOR).url == HOME


def test_normal_mode_has_no_demo_banner(client, settings):
    settings.DEMO_MODE = False
    settings.GVI_REQUIRE_SECOND_FACTOR = True
    user = make_user()
    verified_login(client, user)

    response = client.get(HOME)

    assert response.status_code == 200
    assert DEMO_BANNER not in response.content.decode()
    assert DEMO_BANNER not in client.get(LOGIN).content.decode()


def test_second_factor_required_setting_is_what_gates_pages(client, settings):
    settings.DEMO_MODE = False
    settings.GVI_REQUIRE_SECOND_FACTOR = True
    user = make_user()

    password_login(client, user.username)

    assert client.get(HOME).url == SECOND_FACTOR


# --- 9. demo accounts on the login page ----------------------------------------------------------------


def test_login_page_lists_demo_accounts_in_demo_mode(client, settings):
    settings.DEMO_MODE = True
    settings.GVI_REQUIRE_SECOND_FACTOR = False

    body = client.get(LOGIN).content.decode()

    assert "Demokonton" in body
    assert "demo-gvi-2026" in body
    for account in DEMO_ACCOUNTS:
        assert f"<code>{account['username']}</code>" in body
    assert DEMO_BANNER in body


def test_login_page_hides_demo_accounts_outside_demo_mode(client, settings):
    settings.DEMO_MODE = False
    settings.GVI_REQUIRE_SECOND_FACTOR = True

    response = client.get(LOGIN)
    body = response.content.decode()

    assert response.status_code == 200
    assert "Demokonton" not in body
    assert "demo-gvi-2026" not in body
    for account in DEMO_ACCOUNTS:
        assert f"<code>{account['username']}</code>" not in body
    assert "demo_accounts" not in response.context


def test_each_session_gets_its_own_enrolment_secret_and_others_die_on_confirmation():
    """The attack (issue 21, finding 3): a second session holding the password got the same pending secret."""
    from django.test import Client

    user = make_user()
    mine, theirs = Client(), Client()
    password_login(mine, user.username)
    password_login(theirs, user.username)
    my_secret = mine.get(ENROL).context["secret"]
    their_secret = theirs.get(ENROL).context["secret"]
    assert my_secret != their_secret
    assert mine.get(ENROL).context["secret"] == my_secret  # a reload keeps this session's own
    my_device = TOTPDevice.objects.get(user=user, key=_device_key(my_secret))
    mine.post(ENROL, {"token": _code(my_device)})
    assert list(TOTPDevice.objects.filter(user=user).values_list("confirmed", flat=True)) == [True]


def _device_key(secret: str) -> str:
    return base64.b32decode(secret.replace(" ", "")).hex()


def _code(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_production_cookies_carry_the_host_prefix(monkeypatch, tmp_path):
    production = load_settings_module(
        monkeypatch, tmp_path, GVI_PRODUCTION="true", GVI_SECRET_KEY="x" * 50, GVI_AUDIT_KEY="k"
    )
    assert production.SESSION_COOKIE_NAME.startswith("__Host-")
    assert production.CSRF_COOKIE_NAME.startswith("__Host-")
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
