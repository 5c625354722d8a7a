"""Pages of the notices app: each user's notice choices and calendar link, the calendar feed itself
(reached by its secret link alone, like any calendar subscription), and a meeting's .ics download."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvi.access.decorators import roles_required
from gvi.access.selectors import parse_id
from gvi.notices import calendar, services
from gvi.notices.kinds import BY_CODE
from gvi.notices.models import CalendarFeed, Notice
from gvi.partnership import selectors as partnership_selectors

RECENT_NOTICES = 20


def _settings_context(user, feed_url: str = "") -> dict:
    choices = services.choices_of(user)
    return {
        "choices": [(BY_CODE[code], enabled) for code, enabled in choices.items()],
        "has_email": bool(user.email),
        "feed": CalendarFeed.objects.filter(user=user).first(),
        "feed_url": feed_url,
        "recent": Notice.objects.filter(user=user)[:RECENT_NOTICES],
        "kinds": BY_CODE,
    }


@login_required
def notice_settings(request):
    if request.method == "POST":
        services.save_choices(request.user, request.POST.getlist("kind"))
        messages.success(request, _("Dina val av aviseringar är sparade."))
        return redirect("notices:settings")
    return render(request, "notices/settings.html", _settings_context(request.user))


@require_POST
@login_required
def calendar_renew(request):
    """A new secret link (the old one stops working). It is shown on this answer only: only its hash is
    stored, so it cannot be shown again."""
    secret = services.renew_calendar_link(request.user)
    url = services.absolute(reverse("notices:calendar_feed", kwargs={"secret": secret}))
    messages.success(request, _("En ny kalenderlänk är skapad. En tidigare länk fungerar inte längre."))
    return render(request, "notices/settings.html", _settings_context(request.user, feed_url=url))


@require_POST
@login_required
def calendar_remove(request):
    services.remove_calendar_link(request.user)
    messages.success(request, _("Kalenderlänken är borttagen."))
    return redirect("notices:settings")


def calendar_feed(request, secret):
    """The personal feed, found by the hash of the secret in the link (no sign-in: calendar programs
    cannot sign in). A deactivated user or one without an active membership gets 404, like a wrong link."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(secret_hash=services.hash_secret(secret), user__is_active=True)
        .first()
    )
    if feed is None or not feed.user.memberships.active().exists():
        raise Http404
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    response = HttpResponse(calendar.personal_feed(feed.user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@roles_required(*(partnership_selectors.MEETING_ROLES | partnership_selectors.STEERING_ROLES))
def meeting_ics(request, pk):
    """The meeting as an .ics file for one's calendar, for whoever sees the meeting page."""
    meeting = partnership_selectors.meetings_visible_to(request.user).filter(pk=parse_id(pk)).first()
    if meeting is None:
        raise Http404
    response = HttpResponse(calendar.meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gvi-mote-{meeting.pk}.ics"'
    return response
