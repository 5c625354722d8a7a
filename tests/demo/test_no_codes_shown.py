"""Issue 17, item 10: the pages of the demo world show words, not codes. Every demo role's main pages (and
a person, group, incident and support-case page, where the role reads them) are rendered with the Django test
client in Swedish, and their visible text must hold no role code ("caseworker"), no model label
("support.supportcase"), no English version kind ("Created"), no "None", no raw audit summary
("group: +0 ~0 −0") and no unformatted number ("75000000", "-2.4 %"). In English the same pages must not show the Swedish version kinds either.

The administrator goes last, so the access log it reads holds the rows the other roles' reads wrote.
"""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse

from gvi.demo.accounts import DEMO_ACCOUNTS
from gvi.demo.city import load_demo_city
from gvi.groups.services import record_audit_round
from gvi.partnership.models import Role
from tests.clock import local_moment
from tests.factories import verified_login

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 15)

MAIN_ROUTES = [
    "partnership:home",
    "groups:group_list",
    "groups:person_list",
    "groups:audit",
    "incidents:incident_list",
    "incidents:timeline",
    "risk:overview",
    "access:disclosures",
    "meetings:meeting_list",
    "meetings:task_list",
    "evaluation:site_statistics",
    "evaluation:national",
    "communication:callin_list",
    "communication:notification_list",
    "communication:reach",
    "support:case_list",
    "support:statistics",
    "support:facts_received",
    "sanctions:episode_list",
    "sanctions:metrics",
    "access:access_log",
    "access:account_list",
]
# First record of each kind linked from a list page: its detail page shows the change history.
NOT_RECORDS = "ny|nytt|export|statistik|tidslinje|karta|risk|import|lamna-ut|fran-socialtjansten"
RECORD_LINKS = {
    name: rf'href="({prefix}(?!(?:{NOT_RECORDS})/)[^/"?#]+/)"'
    for name, prefix in {
        "groups:person_list": "/personer/",
        "groups:group_list": "/grupper/",
        "incidents:incident_list": "/incidenter/",
        "support:case_list": "/stod/",
    }.items()
}

MODEL_LABEL = re.compile(
    r"\b(?:access|groups|incidents|support|partnership|communication|sanctions|evaluation|auth)\.[a-z]+\b"
)
ROLE_CODE = re.compile(r"\b(?:" + "|".join(re.escape(code) for code in Role.values) + r")\b")
RAW_WORDS = re.compile(r"\b(?:Created|Changed|Deleted|None)\b")
RAW_AUDIT = re.compile(r"\b(?:group|groupmembership|grouprelation|person): \+\d")
# A number of five or more digits without thousands grouping ("75000000"), and a hyphen as a minus sign
# before a decimal number ("-2.4 %", "-2,4").
UNGROUPED = re.compile(r"(?<![\w\-–/:.,])\d{5,}(?![\w\-–/:])")
HYPHEN_MINUS = re.compile(r"(?<![\w\-–])-\d+[.,]\d")
SWEDISH_KINDS = re.compile(r"\b(?:Skapad|Ändrad|Borttagen)\b")


class VisibleText(HTMLParser):
    """The text a reader sees (and hears: title, aria-label, alt), without scripts and styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "alt", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def _path(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def problems_in(text: str, where: str) -> list[str]:
    found = []
    for pattern in (MODEL_LABEL, ROLE_CODE, RAW_WORDS, RAW_AUDIT, UNGROUPED, HYPHEN_MINUS):
        for match in pattern.finditer(text):
            context = text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ")
            found.append(f"{where}: {match.group(0)!r} in …{context}…")
    return found


@pytest.fixture
def demo_world(time_machine):
    time_machine.move_to(local_moment(TODAY))
    load_demo_city(seed=2026, today=TODAY)
    users = get_user_model().objects
    # An audit round, so the audit page shows a change summary.
    analyst = users.get(username="analytiker")
    police = analyst.memberships.first().organisation_id  # participants are organisations, not users
    record_audit_round(analyst, TODAY, [police], note="Kvartalsgenomgång")
    order = sorted(DEMO_ACCOUNTS, key=lambda a: a["role"] == Role.ADMINISTRATOR)
    return [users.get(username=a["username"]) for a in order]


def _pages_of(client) -> list[tuple[str, str]]:
    """(path, html) of every main page the client's user may open, plus the first record of each list."""
    pages = []
    for name in MAIN_ROUTES:
        path = _path(name)
        if path is None:
            continue
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages.append((path, html))
        if name in RECORD_LINKS and (link := re.search(RECORD_LINKS[name], html)):
            detail = client.get(link.group(1))
            if detail.status_code == 200:
                pages.append((link.group(1), detail.content.decode()))
    return pages


def test_demo_pages_show_words_not_codes(demo_world):
    failures, seen = [], 0
    for user in demo_world:
        client = verified_login(Client(), user)
        for path, html in _pages_of(client):
            seen += 1
            failures += problems_in(visible_text(html), f"{user.username} {path}")
    assert seen >= 60, f"only {seen} pages were rendered: the walk does not reach the roles' pages"
    assert not failures, f"{len(failures)} code(s) shown to users:\n" + "\n".join(failures[:40])


def test_access_log_and_audit_round_read_in_words(demo_world):
    """The two pages the issue names, positively: names where codes were."""
    analyst = verified_login(Client(), next(u for u in demo_world if u.username == "analytiker"))
    person_list = analyst.get(reverse("groups:person_list")).content.decode()
    analyst.get(re.search(RECORD_LINKS["groups:person_list"], person_list).group(1))  # a logged read
    audit = visible_text(analyst.get(reverse("groups:audit")).content.decode())
    assert re.search(r"Grupper: \d+ nya, \d+ ändrade, \d+ borttagna", audit), audit[-800:]
    admin = next(u for u in demo_world if u.username == "admin")
    log = visible_text(verified_login(Client(), admin).get(reverse("access:access_log")).content.decode())
    assert "Analytiker" in log and "person" in log
    assert not problems_in(log, "access log")


def test_english_pages_show_no_swedish_version_kinds(demo_world):
    analyst = verified_login(Client(), next(u for u in demo_world if u.username == "analytiker"))
    analyst.post(reverse("set_language"), {"language": "en", "next": "/"})
    person_list = analyst.get(reverse("groups:person_list")).content.decode()
    person = visible_text(
        analyst.get(re.search(RECORD_LINKS["groups:person_list"], person_list).group(1)).content.decode()
    )
    assert "Created" in person or "Changed" in person, "the person page shows no change history"
    assert not SWEDISH_KINDS.search(person)
