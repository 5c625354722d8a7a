"""Login with password, then a TOTP second factor (enrolment on first login), lockout and logout."""

import base64
from datetime import timedelta

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.access import throttle
from gvi.access.forms import LoginForm, TokenForm
from gvi.access.redirects import safe_next


class LoginView(auth_views.LoginView):
    template_name = "access/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if throttle.address_blocked(request):
            return lockout_response(request)
        username = request.POST.get("username", "")[:150]
        wait = throttle.seconds_to_wait(username)
        if wait:
            # An unbound form: binding it would authenticate, and an early attempt must not count.
            form = self.form_class(request=request, initial={"username": username})
            context = self.get_context_data(form=form)
            context["wait_message"] = _(
                "Vänta %(seconds)s sekunder innan du försöker igen: det har varit flera misslyckade försök."
            ) % {"seconds": wait}
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.record_failure(self.request, self.request.POST.get("username", "")[:150])
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        if not settings.GVI_REQUIRE_SECOND_FACTOR:
            _clear_failures(self.request)  # no second step: the password completes the login
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["demo_mode"] = settings.DEMO_MODE
        if settings.DEMO_MODE:
            from gvi.demo.accounts import login_accounts

            context["demo_accounts"] = login_accounts()
        return context


def lockout_response(request, *args, **kwargs):
    return render(
        request,
        "access/locked.html",
        {"minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
        status=429,
    )


def _confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def second_factor(request):
    """Ask for the one-time code; send users without a device to enrolment."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if request.user.is_verified() or not settings.GVI_REQUIRE_SECOND_FACTOR:
        return redirect(settings.LOGIN_REDIRECT_URL)
    device = _confirmed_device(request.user)
    if device is None:
        return redirect("access:enrol_second_factor")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and (locked := _locked(request)):
        return locked
    if request.method == "POST" and form.is_valid():
        if not device.verify_is_allowed()[0]:
            form.add_error("token", _("Vänta några sekunder innan du försöker igen."))
            return render(request, "access/second_factor.html", {"form": form})
        if device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            _clear_failures(request)
            return redirect(_safe_next(request))
        locked = _record_token_failure(request)
        if locked:
            return locked
        form.add_error("token", _("Koden stämmer inte. Kontrollera klockan i telefonen och försök igen."))
    return render(request, "access/second_factor.html", {"form": form})


def enrol_second_factor(request):
    """First login: create an unconfirmed TOTP device, show its QR code, confirm it with a code."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if _confirmed_device(request.user):
        return redirect("access:second_factor")
    device = _session_enrolment_device(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and (locked := _locked(request)):
        return locked
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # Pending secrets handed to other sessions die with this enrolment.
            TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            request.session.pop(ENROL_SESSION_KEY, None)
            otp_login(request, device)
            _clear_failures(request)
            messages.success(request, _("Tvåfaktorsinloggning är aktiverad."))
            return redirect(settings.LOGIN_REDIRECT_URL)
        locked = _record_token_failure(request)
        if locked:
            return locked
        form.add_error("token", _("Koden stämmer inte. Skanna QR-koden igen och ange en ny kod."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "access/enrol_second_factor.html",
        {
            "form": form,
            "qr_data_uri": "data:image/svg+xml;base64," + base64.b64encode(qr_svg.encode()).decode(),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


ENROL_SESSION_KEY = "gvi_enrol_device"


def _session_enrolment_device(request) -> TOTPDevice:
    """This session's own unconfirmed device: every session gets a fresh secret, never another's."""
    device_id = request.session.get(ENROL_SESSION_KEY)
    device = (
        TOTPDevice.objects.filter(pk=device_id, user=request.user, confirmed=False).first()
        if device_id
        else None
    )
    if device is None:
        # Secrets of abandoned enrolments do not linger.
        TOTPDevice.objects.filter(
            user=request.user, confirmed=False, created_at__lt=timezone.now() - timedelta(hours=1)
        ).delete()
        device = TOTPDevice.objects.create(user=request.user, confirmed=False, name=_("Autentiseringsapp"))
        request.session[ENROL_SESSION_KEY] = device.pk
    return device


def _safe_next(request) -> str:
    return safe_next(request, resolve_url(settings.LOGIN_REDIRECT_URL), source="GET")


def _clear_failures(request) -> None:
    """Failures are cleared only when the whole login (password and code) succeeded."""
    throttle.clear_account(request.user.get_username())


def _locked(request):
    """A session past the password step still stops when the account has been locked meanwhile."""
    if AxesProxyHandler.is_locked(request, {"username": request.user.get_username()}):
        logout(request)
        return lockout_response(request)
    return None


def _record_token_failure(request):
    """A wrong code counts as a failed login; at the limit the user is logged out and locked."""
    credentials = {"username": request.user.get_username()}
    throttle.record_failure(request, request.user.get_username())
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return lockout_response(request)
    return None


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("Du är utloggad."))
    return redirect(settings.LOGIN_URL)
