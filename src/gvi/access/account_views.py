"""The product's own administration of accounts (administrator), the approval of grants (a second person of
the organisation), one-time links and the user's own password. Every write goes through gvi.access.services,
which logs it in the access-log chain."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.access import services
from gvi.access.decorators import roles_required
from gvi.access.forms import (
    AccountForm,
    ApiTokenForm,
    MembershipRequestForm,
    OwnPasswordForm,
    PasswordChoiceForm,
)
from gvi.access.models import AccessLog, AccountLink, ApiToken
from gvi.access.selectors import parse_id
from gvi.paging import capped_page
from gvi.partnership.models import Membership, Role

User = get_user_model()
ACCOUNT_ACTIONS = {
    "inaktivera": ("deactivate", _("Kontot är inaktiverat.")),
    "aktivera": ("reactivate", _("Kontot är aktiverat.")),
    "aterstall-app": (
        "reset_otp",
        _("Autentiseringsappen är borttagen; en ny kopplas vid nästa inloggning."),
    ),
    "aterstall-losenord": ("reset_pw", ""),
    "las-upp": ("unlock", _("Kontot är upplåst.")),
}


def _setup_url(request, raw: str) -> str:
    return request.build_absolute_uri(reverse("access:set_password", kwargs={"token": raw}))


@roles_required(Role.ADMINISTRATOR)
def account_list(request):
    query = request.GET.get("q", "")[:150]
    users = User.objects.order_by("username").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("organisation", "site"))
    )
    if query:
        users = users.filter(Q(username__icontains=query) | Q(last_name__icontains=query))
    return render(request, "access/account_list.html", {"page": capped_page(request, users, 50), "q": query})


@roles_required(Role.ADMINISTRATOR)
def account_create(request):
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, raw = services.create_account(request.user, **form.cleaned_data)
        return render(
            request, "access/account_link.html", {"account": user, "link": _setup_url(request, raw)}
        )
    return render(request, "access/account_create.html", {"form": form})


@roles_required(Role.ADMINISTRATOR)
def account_detail(request, pk):
    account = get_object_or_404(User, pk=parse_id(pk))
    form = MembershipRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_membership(request.user, account, **form.cleaned_data)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Medlemskapet är registrerat."))
            return redirect("access:account_detail", pk=account.pk)
    from axes.handlers.proxy import AxesProxyHandler

    return render(
        request,
        "access/account_detail.html",
        {
            "account": account,
            "memberships": account.memberships.select_related("organisation", "site", "approved_by"),
            "has_device": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
            "is_locked": AxesProxyHandler.is_locked(request, {"username": account.get_username()}),
            "history": AccessLog.objects.filter(
                Q(record_type="auth.user", record_id=str(account.pk))
                | Q(
                    record_type="access.apitoken",
                    record_id__in=[str(pk) for pk in account.api_tokens.values_list("pk", flat=True)],
                )
            ).order_by("-seq")[:50],
            "form": form,
        },
    )


@require_POST
@roles_required(Role.ADMINISTRATOR)
def account_action(request, pk, action):
    account = get_object_or_404(User, pk=parse_id(pk))
    if action not in ACCOUNT_ACTIONS:
        raise PermissionDenied
    name, done = ACCOUNT_ACTIONS[action]
    if name == "deactivate":
        services.set_account_active(request.user, account, False)
    elif name == "reactivate":
        services.set_account_active(request.user, account, True)
    elif name == "reset_otp":
        services.reset_authenticator(request.user, account)
    elif name == "unlock":
        services.unlock_account(request.user, account)
    else:
        raw = services.reset_password(request.user, account)
        return render(
            request,
            "access/account_link.html",
            {"account": account, "link": _setup_url(request, raw), "reset": True},
        )
    messages.success(request, done)
    return redirect("access:account_detail", pk=account.pk)


@require_POST
@roles_required(Role.ADMINISTRATOR)
def membership_end(request, pk):
    membership = get_object_or_404(Membership, pk=parse_id(pk))
    services.end_membership(request.user, membership)
    messages.success(request, _("Medlemskapet är avslutat."))
    return redirect("access:account_detail", pk=membership.user_id)


def _approver_org_ids(user) -> list[int]:
    return list(services.approver_memberships(user).values_list("organisation_id", flat=True))


@login_required
def approvals(request):
    """Grants waiting for this user's approval, and every grant and approval in the user's organisations."""
    org_ids = _approver_org_ids(request.user)
    if not org_ids:
        raise PermissionDenied
    pending = [
        membership
        for membership in Membership.objects.pending()
        .filter(organisation_id__in=org_ids)
        .select_related("user", "organisation", "site", "requested_by")
        if services.approving_membership(request.user, membership) is not None
    ]
    membership_ids = Membership.objects.filter(organisation_id__in=org_ids).values_list("pk", flat=True)
    entries = AccessLog.objects.filter(
        record_type="partnership.membership", record_id__in=[str(pk) for pk in membership_ids]
    ).order_by("-seq")
    return render(
        request, "access/approvals.html", {"pending": pending, "page": capped_page(request, entries, 50)}
    )


@require_POST
@login_required
def approval_decide(request, pk, decision):
    membership = get_object_or_404(
        Membership, pk=parse_id(pk), organisation_id__in=_approver_org_ids(request.user)
    )
    try:
        if decision == "godkann":
            services.approve_membership(request.user, membership)
            messages.success(request, _("Behörigheten är godkänd."))
        else:
            services.reject_membership(request.user, membership)
            messages.success(request, _("Behörigheten är avslagen."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("access:approvals")


def set_password(request, token):
    """The one-time link: choose a password (a new account, or after a reset). Open without sign-in."""
    link = services.usable_link(token, AccountLink.Purpose.SET_PASSWORD)
    if link is None:
        return render(request, "access/link_invalid.html", status=404)
    form = PasswordChoiceForm(request.POST or None, user=link.user)
    if request.method == "POST" and form.is_valid():
        services.set_password_with_link(link, form.cleaned_data["password1"])
        messages.success(request, _("Lösenordet är sparat. Logga in och koppla din autentiseringsapp."))
        return redirect("access:login")
    return render(request, "access/set_password.html", {"form": form})


@login_required
def own_password(request):
    form = OwnPasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.change_own_password(request.user, form.cleaned_data["password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Ditt lösenord är bytt."))
        return redirect("partnership:home")
    return render(request, "access/own_password.html", {"form": form})


def unlock_request(request):
    """A locked-out user asks for an unlock link by e-mail. The answer is the same whether or not the
    account exists, is locked or has an address, so the page reveals nothing about accounts."""
    from axes.handlers.proxy import AxesProxyHandler

    from gvi.access import throttle

    sent = False
    if request.method == "POST":
        if throttle.address_blocked(request):
            from gvi.access.authentication import lockout_response

            return lockout_response(request)
        throttle.record_failure(request, "")  # each request counts against the address
        username = request.POST.get("username", "")[:150]
        account = User.objects.filter(username=username, is_active=True).exclude(email="").first()
        if account is not None and AxesProxyHandler.is_locked(request, {"username": account.get_username()}):
            services.send_unlock_link(
                account,
                lambda raw: request.build_absolute_uri(reverse("access:unlock_link", kwargs={"token": raw})),
            )
        sent = True
    return render(request, "access/unlock_request.html", {"sent": sent})


def unlock_link(request, token):
    link = services.usable_link(token, AccountLink.Purpose.UNLOCK)
    if link is None:
        return render(request, "access/link_invalid.html", status=404)
    if request.method == "POST":
        services.unlock_with_link(link)
        messages.success(request, _("Kontot är upplåst. Logga in igen."))
        return redirect("access:login")
    return render(request, "access/unlock_link.html")


# ----- API keys: a user issues its own; an administrator sees and revokes anyone's, issues none -----


def _is_administrator(user) -> bool:
    try:
        services.administrator_membership(user)
    except PermissionDenied:
        return False
    return True


@login_required
def own_tokens(request):
    """The user's own API keys: issue one (shown once), list them, revoke one."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, raw = services.create_api_token(
                request.user,
                data["name"],
                expires_at=timezone.now() + timedelta(days=data["days"]),
                scopes=data["scopes"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                field = {"expires_at": "days"}.get(field, field)
                form.add_error(field if field in form.fields else None, errors)
        else:
            return render(request, "access/api_token_issued.html", {"token": token, "raw": raw})
    tokens = request.user.api_tokens.select_related("revoked_by")
    return render(request, "access/api_tokens.html", {"form": form, "tokens": tokens})


@roles_required(Role.ADMINISTRATOR)
def token_admin_list(request):
    """Every user's API keys, for the administrator to see and revoke; it issues none for others."""
    query = request.GET.get("q", "")[:150]
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    if query:
        tokens = tokens.filter(user__username__icontains=query)
    if request.GET.get("alla") != "1":
        tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    return render(
        request,
        "access/api_token_admin.html",
        {"page": capped_page(request, tokens, 50), "q": query, "all": request.GET.get("alla") == "1"},
    )


@login_required
def token_revoke(request, pk):
    """Asks, then revokes: the key's own user, or an administrator (any user's key)."""
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=parse_id(pk))
    own = token.user_id == request.user.pk
    if not own and not _is_administrator(request.user):
        raise Http404
    back = reverse("access:own_tokens") if own else reverse("access:token_admin_list")
    if request.method == "POST":
        try:
            services.revoke_api_token(request.user, token)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("API-nyckeln är återkallad och fungerar inte längre."))
        return redirect(back)
    return render(request, "access/api_token_revoke.html", {"token": token, "back": back})
