"""axe-core WCAG 2.1 AA checks on every main page, as the role that uses it, with zero violations.

axe-core is vendored (tests/browser/vendor/axe.min.js, from the npm registry) and evaluated in the page
through the DevTools protocol, in the same CSP-enforcing context that walks the pages: see
support.RoleSession.axe_violations. Every visit also asserts zero Content-Security-Policy violations.
Pages of modules that have not landed are skipped ("module not present") by a runtime route check.
"""

import re
from dataclasses import dataclass

import pytest

from tests.browser import support

pytestmark = support.browser_marks()
expect = pytest.importorskip("playwright.sync_api").expect


@dataclass(frozen=True)
class Page:
    user: str
    route: str = ""  # a URL name, reversed at run time
    fixture: str = ""  # or a fixture giving the path of a record found or created through the browser
    suffix: str = ""
    status: int = 200

    @property
    def id(self) -> str:
        return f"{self.user}:{self.route or self.fixture}{self.suffix}"


PAGES = [
    # analyst: the group audit, persons, incidents and risk
    Page("analytiker", "partnership:home"),
    Page("analytiker", "groups:group_list"),
    Page("analytiker", fixture="group_path"),
    Page("analytiker", fixture="group_path", suffix="natverk/"),
    Page("analytiker", "groups:audit"),
    Page("analytiker", "network:site_network"),
    Page("analytiker", "groups:person_list"),
    Page("analytiker", fixture="person_path"),
    Page("analytiker", "incidents:incident_list"),
    Page("analytiker", fixture="incident_path"),
    Page("analytiker", "incidents:incident_create"),
    Page("analytiker", "incidents:timeline"),
    Page("analytiker", "incidents:map"),
    Page("analytiker", "risk:overview"),
    Page("analytiker", "audit_io:import_upload"),
    Page("analytiker", "audit_io:export"),
    Page("analytiker", "access:disclosures"),
    Page("analytiker", "meetings:task_list"),
    Page("analytiker", "evaluation:site_statistics"),
    # coordinator: the weekly review
    Page("samordnare", "partnership:home"),
    Page("samordnare", "meetings:meeting_list"),
    Page("samordnare", "meetings:meeting_create"),
    Page("samordnare", fixture="weekly_review_path"),
    Page("samordnare", fixture="weekly_review_path", suffix="motesvy/"),
    Page("samordnare", "meetings:task_list"),
    Page("samordnare", "partnership:area_list"),
    # caseworker and probation officer
    Page("socialsekreterare", "partnership:home"),
    Page("frivard", "partnership:home"),
    # steering group, community partner, national analyst, administrator
    Page("styrgrupp", "partnership:home"),
    Page("styrgrupp", "evaluation:site_statistics"),
    Page("lokalsamhalle", "partnership:home"),
    Page("lokalsamhalle", "groups:person_list", status=403),
    Page("nationell", "partnership:home"),
    Page("nationell", "evaluation:national"),
    Page("admin", "partnership:home"),
    Page("admin", "access:access_log"),
    Page("admin", "access:audit_verify"),
    # direct communication (communication app)
    Page("analytiker", "communication:notification_list"),
    Page("analytiker", "communication:notification_create"),
    Page("analytiker", fixture="notification_path"),
    Page("samordnare", "communication:callin_list"),
    Page("samordnare", "communication:callin_create"),
    Page("samordnare", "communication:communicationback_list"),
    Page("samordnare", "communication:reach"),
    Page("lokalsamhalle", "communication:callin_list"),
    # offer of help (support app)
    Page("socialsekreterare", "support:case_list"),
    Page("socialsekreterare", "support:case_create"),
    Page("samordnare", "support:statistics"),
    Page("frivard", "support:facts_received"),
    # sanctions
    Page("samordnare", "sanctions:episode_list"),
    Page("samordnare", "sanctions:episode_create"),
    Page("samordnare", fixture="sanction_episode_path"),
    Page("samordnare", "sanctions:rule_list"),
    Page("styrgrupp", "sanctions:metrics"),
]

# The record fixtures of pages that belong to a module: skipped with it when the module is absent.
FIXTURE_ROUTES = {
    "notification_path": "communication:notification_create",
    "sanction_episode_path": "sanctions:episode_create",
}


def _path(request, target: Page) -> str:
    if target.route:
        return support.require_route(target.route) + target.suffix
    if target.fixture in FIXTURE_ROUTES:
        support.require_route(FIXTURE_ROUTES[target.fixture])
    return request.getfixturevalue(target.fixture) + target.suffix


@pytest.mark.parametrize("target", PAGES, ids=[p.id for p in PAGES])
def test_page_has_no_wcag_21_aa_violations(request, sessions, target):
    path = _path(request, target)
    role = sessions(target.user)
    role.visit(path, status=target.status)
    violations = role.axe_violations()
    assert not violations, f"{target.user} {path}: axe-core found WCAG 2.1 AA violations:\n" + (
        support.format_violations(violations)
    )
    assert not support.unlabelled_choice_groups(role.page), f"{path}: choice groups without a legend"


def test_login_page_and_its_error_state_have_no_violations(session):
    session.visit("/konto/logga-in/")
    violations = session.axe_violations()
    assert not violations, support.format_violations(violations)
    session.login("analytiker", password="fel-losenord-123")
    expect(session.page.locator("main [role=alert]").first).to_be_visible()
    violations = session.axe_violations()
    assert not violations, "login with errors:\n" + support.format_violations(violations)


def test_english_interface_has_no_violations(session):
    """The language switch posts a form (CSP form-action 'self') and the English pages pass too."""
    page = session.login("analytiker")
    page.locator("header form.language-switch button").click()
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    session.assert_clean()
    for path in ("/", "/incidenter/", "/statistik/"):
        session.visit(path)
        violations = session.axe_violations()
        assert not violations, f"{path} (en):\n" + support.format_violations(violations)


def test_network_graph_is_keyboard_usable(sessions):
    """Tabbing to a node highlights it and its neighbours (network.js, loaded under the CSP)."""
    page = sessions("analytiker").visit(support.require_route("network:site_network"))
    node = page.locator("svg.network-graph [data-node]").first
    node.focus()
    expect(node).to_be_focused()
    expect(page.locator("svg.network-graph")).to_have_class(re.compile(r"\bis-highlighting\b"))
    sessions("analytiker").assert_clean()


def test_skip_link_moves_focus_to_the_main_content(sessions):
    page = sessions("samordnare").visit("/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_import_dry_run_report_has_no_violations(sessions):
    """Upload a group file with one bad row: the dry-run report lists it (nothing saved) and passes axe."""
    analyst = sessions("analytiker")
    page = analyst.visit(support.require_route("audit_io:import_upload"))
    page.locator("#id_kind").select_option("grupper")
    content = (
        "namn;andra_namn;omrade;status;storlek_fran;storlek_till;valdsniva;kallor;nasta_granskning\n"
        "Webbläsargruppen;;Exempelstaden norra;aktiv;4;6;2;Påhittad;\n"
        ";;Exempelstaden södra;okänd-status;9;3;7;;inte-ett-datum\n"
    ).encode()
    page.locator("#id_file").set_input_files(
        files=[{"name": "grupper.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    analyst.assert_clean()
    expect(page.locator("main .errors[role=alert]")).to_be_visible()
    violations = analyst.axe_violations()
    assert not violations, "import report:\n" + support.format_violations(violations)


FORMS_WITH_ERRORS = [
    ("analytiker", "incidents:incident_create"),
    ("analytiker", "groups:person_create"),
    ("analytiker", "communication:notification_create"),
    ("samordnare", "sanctions:episode_create"),
    ("socialsekreterare", "support:case_create"),
]


@pytest.mark.parametrize(("user", "route"), FORMS_WITH_ERRORS, ids=[f"{u}:{r}" for u, r in FORMS_WITH_ERRORS])
def test_form_with_errors_has_no_violations(sessions, user, route):
    """A form sent back with errors (empty date fields, nothing chosen) still passes: errors are announced
    and tied to their fields."""
    role = sessions(user)
    page = role.visit(support.require_route(route))
    form = page.locator("main form[method=post]").last
    for field in form.locator("input[type=date], input[type=datetime-local], input[type=text]").all():
        if field.is_visible() and field.is_editable():
            field.fill("")
    form.locator("button.primary, button[type=submit]").first.click()
    page.wait_for_load_state("load")
    role.assert_clean()
    expect(page.locator("main [role=alert]").first).to_be_visible()
    violations = role.axe_violations()
    assert not violations, f"{route} with errors:\n" + support.format_violations(violations)


CHOICE_GROUP_FORMS = [
    ("samordnare", "sanctions:episode_create", "Utlösande incidenter"),
    ("analytiker", "communication:notification_create", "Organisationer som framför budskapet"),
]


@pytest.mark.parametrize(
    ("user", "route", "question"), CHOICE_GROUP_FORMS, ids=[f"{u}:{r}" for u, r, _ in CHOICE_GROUP_FORMS]
)
def test_checkbox_groups_are_named_by_their_question(sessions, user, route, question):
    """A group of checkboxes is a fieldset whose legend is the question (WCAG 1.3.1, 3.3.2): a screen
    reader announces "Utlösande incidenter, group" before the options, not the options alone."""
    page = sessions(user).visit(support.require_route(route))
    expect(page.get_by_role("group", name=question)).to_have_count(1)


def test_involvement_form_with_search_picker_matches_has_no_violations(sessions, incident_path):
    """The coding form's search pickers (gvi.pickers) pass with matches shown by htmx, with a match
    chosen, and on the no-JavaScript fallback page (matches as radio buttons)."""
    analyst = sessions("analytiker")
    page = analyst.visit(incident_path + "inblandning/ny/")
    page.locator("#id_group").press_sequentially("Exempel", delay=20)
    expect(page.locator("#id_group_results button").first).to_be_visible()
    violations = analyst.axe_violations()
    assert not violations, "picker with matches:\n" + support.format_violations(violations)
    page.locator("#id_group_results button").first.click()
    expect(page.locator("#id_group_chosen")).to_contain_text("Vald:")
    violations = analyst.axe_violations()
    assert not violations, "picker with a choice:\n" + support.format_violations(violations)
    analyst.visit(incident_path + "inblandning/ny/?sok_group=Exempel")
    expect(page.locator("#id_group_chosen input[type=radio]").nth(1)).to_be_visible()
    violations = analyst.axe_violations()
    assert not violations, "no-JavaScript fallback:\n" + support.format_violations(violations)
    assert not support.unlabelled_choice_groups(page), "choice groups without a legend"
    analyst.assert_clean()
