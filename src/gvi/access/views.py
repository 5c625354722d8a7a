from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvi.access.audit import verify_chain
from gvi.access.decorators import roles_required, user_roles
from gvi.access.dpia import TITLE, build, markdown
from gvi.access.models import AccessLog, Disclosure
from gvi.access.selectors import cross_site_disclosures, parse_id, received_disclosures
from gvi.access.services import revoke_disclosure
from gvi.paging import capped_page
from gvi.partnership.models import Role

PERSON_ROLES = (Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER)


@roles_required(*PERSON_ROLES)
def disclosure_list(request):
    org_ids = list(request.user.memberships.active().values_list("organisation_id", flat=True))
    made = Disclosure.objects.filter(from_organisation_id__in=org_ids).select_related(
        "to_organisation", "from_organisation", "decided_by", "content_type", "to_site"
    )
    received = received_disclosures(request.user).select_related(
        "from_organisation", "to_organisation", "content_type", "site", "to_site"
    )
    return render(
        request,
        "access/disclosure_list.html",
        {
            "made": Paginator(made, 50).get_page(request.GET.get("sida")),
            "received": received[:200],
            "across_sites": cross_site_disclosures(request.user)[:200],
            "may_see_dpia": Role.COORDINATOR in user_roles(request.user),
        },
    )


@require_POST
@roles_required(*PERSON_ROLES)
def disclosure_revoke(request, pk):
    org_ids = request.user.memberships.active().values_list("organisation_id", flat=True)
    disclosure = get_object_or_404(Disclosure, pk=parse_id(pk), from_organisation_id__in=list(org_ids))
    if disclosure.revoked_at is None:
        revoke_disclosure(request.user, disclosure)
        messages.success(request, _("Utlämnandet är återkallat."))
    return redirect("access:disclosures")


@roles_required(Role.ADMINISTRATOR)
def access_log(request):
    """The log names users and record ids, never record content: the operator may audit it."""
    entries = AccessLog.objects.order_by("-seq")
    username = request.GET.get("anvandare", "")[:150]
    if username:
        entries = entries.filter(username=username)
    return render(
        request,
        "access/access_log.html",
        {"page": capped_page(request, entries, 100), "anvandare": username},
    )


@roles_required(Role.ADMINISTRATOR)
def audit_verify(request):
    return render(request, "access/audit_verify.html", {"report": verify_chain()})


@roles_required(Role.COORDINATOR, Role.DATA_PROTECTION_OFFICER)
def dpia(request):
    """The factual part of the impact assessment, generated now; ?format=md downloads it as Markdown."""
    if request.GET.get("format") == "md":
        response = HttpResponse(markdown(), content_type="text/markdown; charset=utf-8")
        name = f"konsekvensbedomning-{timezone.localdate().isoformat()}.md"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "access/dpia.html", {"title": TITLE, "blocks": build()})
