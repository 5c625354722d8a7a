"""The main flows per role in a real browser: what each role does, sees and does not see.

Every page visit also asserts zero Content-Security-Policy violations, no JavaScript error, no server error
and no request outside the server (see support.RoleSession.visit).
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser import support

pytestmark = support.browser_marks()
expect = pytest.importorskip("playwright.sync_api").expect

# Pages that show a site's groups, persons, incidents, meetings or cases: never for the national analyst.
SITE_LEVEL_PAGES = (
    "/personer/", "/grupper/", "/incidenter/", "/moten/", "/uppgifter/", "/utlamnanden/", "/kartlaggning/",
    "/stod/", "/enskilda-samtal/", "/stormoten/", "/sanktioner/",
)  # fmt: skip
AGGREGATE_PAGES = ("/nationellt/", "/stod/statistik/", "/sanktioner/uppfoljning/")


def test_login_through_the_form_lands_on_the_start_page_without_second_factor(session):
    page = session.visit("/konto/logga-in/")
    expect(page.locator(".demo-banner")).to_be_visible()
    session.login("analytiker")
    assert page.url == session.base_url + "/", "demo mode: the password alone completes the login"
    expect(page.locator("h1")).to_contain_text("Välkommen")
    session.assert_clean()


def test_wrong_password_is_refused_with_a_message(session):
    page = session.login("samordnare", password="fel-losenord-123")
    assert page.url.endswith("/konto/logga-in/")
    expect(page.locator("main [role=alert]").first).to_be_visible()
    session.assert_clean()


def test_analyst_registers_an_incident_and_codes_a_group_involvement(sessions):
    analyst = sessions("analytiker")
    page = analyst.visit("/incidenter/ny/")
    page.locator("#id_type").select_option("shooting")
    page.locator("#id_occurred_at").fill(
        datetime.now(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%dT%H:%M")
    )
    page.locator("#id_area").select_option(label="Södra Exempelstad")  # the site's list of areas
    page.locator("#id_injured").fill("1")
    page.locator("#id_summary").fill("Webbläsartest: skott mot port, en skadad.")
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    analyst.assert_clean()
    assert re.search(r"/incidenter/\d+/$", page.url), support.form_failure(page)
    expect(page.locator("main")).to_contain_text("Webbläsartest: skott mot port")

    # Code the group involvement from the incident page (group only: shared with the partnership).
    page.locator("main a", has_text="Koda inblandning").click()
    page.wait_for_load_state("load")
    analyst.assert_clean()
    # The group is found with the search picker (htmx) and chosen from the keyboard: type, Tab past the
    # search button to the first match, Enter.
    page.locator("#id_group").press_sequentially("Exempelgänget Syd", delay=20)
    match = page.locator("#id_group_results button", has_text="Exempelgänget Syd")
    expect(match).to_have_count(1)
    expect(page.locator("#id_group")).to_have_attribute("aria-expanded", "true")
    page.locator("#id_group").press("Tab")
    page.keyboard.press("Tab")
    expect(match).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#id_group_chosen")).to_contain_text("Vald: Exempelgänget Syd")
    assert page.locator("#id_group_value").input_value().isdigit()
    page.locator("#id_role").select_option(label="Misstänkt gärningsperson")
    page.locator("#id_member_status").select_option(label="Misstänkt")
    page.locator("#id_confidence").select_option(label="Medel")
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    analyst.assert_clean()
    assert re.search(r"/incidenter/\d+/$", page.url), support.form_failure(page)
    table = page.locator("main table").first
    expect(table).to_contain_text("Exempelgänget Syd")
    expect(page.locator("main")).to_contain_text("Gruppmedlem bekräftad eller misstänkt inblandad")


def test_analyst_reads_a_person_and_the_administrator_sees_the_logged_read(sessions, person_path):
    analyst = sessions("analytiker")
    page = analyst.visit(person_path)
    expect(page.locator("main")).to_contain_text("Din läsning av den här posten har loggats.")
    person_id = person_path.rstrip("/").rsplit("/", 1)[1]

    admin = sessions("admin")
    page = admin.visit("/granskning/logg/?anvandare=analytiker")
    rows = page.locator("main table tbody tr")
    texts = rows.all_inner_texts()
    assert any(
        "analytiker" in row
        and "\tperson\t" in f"\t{row}\t"  # the record type in words, not the model code groups.person
        and f"\t{person_id}\t" in f"{row}\t"
        and "Läsning" in row
        for row in texts
    ), f"no access-log row for person {person_id}:\n" + "\n".join(texts[:10])
    # The log names users and record ids, never record content.
    assert not support.PERSON_ALIAS.search(admin.main_text())


def test_coordinator_opens_the_weekly_review(sessions, weekly_review_path):
    coordinator = sessions("samordnare")
    page = coordinator.visit(weekly_review_path)
    expect(page.locator("h1")).to_contain_text("Veckovis incidentgenomgång")
    items = page.locator("ol.agenda > li")
    assert items.count() > 0, "the generated agenda is empty although the demo city has recent incidents"
    # Open the meeting: the agenda is frozen.
    page.get_by_role("button", name="Öppna mötet").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    expect(page.locator("main .meeting-status")).to_have_text("Pågår")

    # Meeting mode for the projector: arrow keys move between agenda items (meeting.js, no inline script).
    page = coordinator.visit(weekly_review_path + "motesvy/")
    first_title = page.locator("h1").inner_text()
    if page.locator("#next-item").count():
        page.keyboard.press("ArrowRight")
        page.wait_for_url(re.compile(r"\?punkt=\d+$"))
        page.wait_for_load_state("load")
        coordinator.assert_clean()
        assert page.locator("h1").inner_text() != first_title
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(re.escape(weekly_review_path) + r"(#punkt-\d+)?$"))
    coordinator.assert_clean()


def test_the_map_draws_the_sites_areas_with_their_names_and_outlines(sessions):
    analyst = sessions("analytiker")
    page = analyst.visit("/incidenter/karta/")
    svg = page.locator("main figure.map svg")
    expect(svg).to_be_visible()
    assert svg.locator("polygon.area-outline").count() == 6, "Exempelstad's six areas have outlines"
    labels = svg.locator("text.area-label")
    for name in ("Centrum", "Södra Exempelstad", "Norrbacka", "Björkdalen"):
        expect(labels.filter(has_text=name).first).to_be_visible()
    assert svg.locator("image").count() == 0, "no tiles without GVI_MAP_TILE_URL"
    expect(page.locator("main")).to_contain_text("Områden på kartan:")


def test_coordinator_adds_an_area_to_the_sites_list(sessions):
    coordinator = sessions("samordnare")
    page = coordinator.visit("/incidenter/")
    page.locator("main nav.subnav a", has_text="Områden").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    expect(page.locator("main table")).to_contain_text("Södra Exempelstad")
    page.locator("#id_name").fill("Webbläsartestområdet")
    page.locator("#id_aliases").fill("WTO")
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    expect(page.locator("main table")).to_contain_text("Webbläsartestområdet")
    expect(page.locator(".messages").first).to_contain_text("är tillagt")


def test_steering_member_reads_the_statistics_as_chart_and_table(sessions):
    steering = sessions("styrgrupp")
    page = steering.visit("/statistik/")
    chart = page.locator("main figure.chart svg[role=img]").first
    expect(chart).to_be_visible()
    assert chart.locator("rect.bar").count() > 0, "the chart has no bars"
    page.locator("main details.chart-table summary").first.click()
    rows = page.locator("main details.chart-table").first.locator("table tbody tr")
    assert rows.count() >= 12, "the table behind the chart should list the months"
    assert not support.PERSON_ALIAS.search(steering.main_text())
    steering.visit("/personer/", status=403)


def test_statistics_charts_have_value_axes_and_a_marked_running_month_and_the_pdf_is_laid_out(sessions):
    from tests.evaluation.pdf_layout import overlapping_glyphs, overlapping_lines, pages

    steering = sessions("styrgrupp")
    page = steering.visit("/statistik/")
    serious = page.locator("main figure.chart").first
    assert serious.locator("text.tick-label").count() >= 2, "the monthly chart has no value axis"
    assert serious.locator("svg[role=img] rect.bar-partial").count() == 1, "the running month is not marked"
    expect(serious.locator(".chart-legend")).to_contain_text("pågående månad")
    areas = page.locator("main figure.chart", has=page.locator("#chart-title-areas"))
    assert areas.locator("text.tick-label").count() >= 2, "the area bars have no value axis"
    serious_table = page.locator("main details.chart-table").first
    serious_table.locator("summary").click()
    expect(serious_table.locator("tbody tr").last).to_contain_text("(pågående månad)")

    with page.expect_download() as download:
        page.locator("main a[href*='rapport.pdf']").click()
    pdf = open(download.value.path(), "rb").read()  # noqa: SIM115
    report = pages(pdf)
    assert len(report) >= 2
    for sheet in report:
        assert sheet.lines and not sheet.images
        assert overlapping_glyphs(sheet) == [] and overlapping_lines(sheet) == []
    steering.assert_clean()


def test_community_partner_sees_no_person_data(sessions, person_path):
    analyst = sessions("analytiker")
    aliases = analyst.visit("/personer/").locator("main table tbody tr td:first-child a").all_inner_texts()
    assert aliases, "the analyst should see persons"

    partner = sessions("lokalsamhalle")
    page = partner.visit("/")
    expect(page.locator("main blockquote")).to_contain_text("Vi vill inte att du ska dö.")
    text = partner.main_text()
    assert not support.PERSON_ALIAS.search(text), "a person alias on the community partner's start page"
    assert not any(alias in text for alias in aliases)
    nav = page.locator("header nav").inner_text()
    assert "Personer" not in nav and "Incidenter" not in nav
    partner.visit("/personer/", status=403)
    partner.visit(person_path, status=403)


def test_national_analyst_sees_the_national_table_only(sessions, group_path, incident_path):
    national = sessions("nationell")
    page = national.visit("/")
    hrefs = page.locator("header nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "/nationellt/" in hrefs
    site_pages = [h for h in hrefs if h.startswith(SITE_LEVEL_PAGES) and not h.startswith(AGGREGATE_PAGES)]
    assert not site_pages, f"the national analyst is offered site-level pages: {site_pages}"
    page = national.visit("/nationellt/")
    table = page.locator("main table")
    expect(table).to_have_count(1)
    expect(table.locator("caption")).to_contain_text("Incidenter per plats och år")
    cells = [re.sub(r"\s", "", c) for c in table.locator("tbody td").all_inner_texts()]
    assert cells, "the national table is empty"
    small = [c for c in cells if c != "–" and 1 <= int(c) <= 4]
    assert not small, f"counts 1–4 must be suppressed: {small}"
    assert not support.PERSON_ALIAS.search(national.main_text())
    for path in ("/personer/", "/grupper/", "/incidenter/", "/statistik/", group_path, incident_path):
        national.visit(path, status=403)


def test_administrator_sees_the_access_log_but_not_persons(sessions, person_path):
    admin = sessions("admin")
    page = admin.visit("/")
    expect(page.locator("main")).to_contain_text("Åtkomstloggens kedja är hel")
    admin.visit("/granskning/logg/")
    page = admin.visit("/granskning/verifiera/")
    assert not support.PERSON_ALIAS.search(admin.main_text())
    admin.visit("/personer/", status=403)
    admin.visit(person_path, status=403)


def test_analyst_at_the_second_site_cannot_open_the_first_sites_records(sessions, group_path, person_path):
    other = sessions("analytiker2")
    page = other.visit("/grupper/")
    expect(page.locator("main table")).to_contain_text("Norrbygänget")
    expect(page.locator("main table")).not_to_contain_text("Exempelgänget Syd")
    for path in (group_path, person_path):
        response = other.page.goto(path)
        assert response.status in (403, 404), f"{path} answered {response.status} for the Norrby analyst"
        other.assert_clean()


def test_analyst_plans_a_custom_notification(sessions, notification_path):
    support.require_route("communication:notification_create")
    analyst = sessions("analytiker")
    page = analyst.visit(notification_path)
    expect(page.locator("h1")).to_contain_text("Enskilt samtal med Person")
    expect(page.locator("main dl.facts")).to_contain_text("Hembesök")
    page = analyst.visit(support.require_route("communication:notification_list"))
    assert page.locator(f"main a[href='{notification_path}']").count() >= 1


def test_coordinator_opens_a_sanction_episode(sessions, sanction_episode_path):
    support.require_route("sanctions:episode_create")
    coordinator = sessions("samordnare")
    page = coordinator.visit(sanction_episode_path)
    expect(page.locator("h1")).to_contain_text("Exempelgänget Syd")
    expect(page.locator("main dl.facts")).to_contain_text("Föreslagen")
    page = coordinator.visit(support.require_route("sanctions:episode_list"))
    assert page.locator(f"main a[href='{sanction_episode_path}']").count() >= 1

    # The partnership decides to run it: the episode opens (status "Pågår").
    page = coordinator.visit(sanction_episode_path + "beslut/")
    violations = coordinator.axe_violations()
    assert not violations, support.format_violations(violations)
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    assert page.url == coordinator.base_url + sanction_episode_path, support.form_failure(page)
    expect(page.locator("main dl.facts")).to_contain_text("Pågår")


@pytest.mark.parametrize("username", ["samordnare", "analytiker", "socialsekreterare", "frivard"])
def test_start_page_of_each_partner_role_loads_clean(sessions, username):
    page = sessions(username).visit("/")
    expect(page.locator("h1")).to_contain_text("Välkommen")


def test_the_call_in_form_reads_in_numbered_sections_and_saves_in_one_post(sessions):
    coordinator = sessions("samordnare")
    page = coordinator.visit(support.require_route("communication:callin_create"))
    headings = page.locator("main form.callin-form section.form-section > h2").all_inner_texts()
    assert [re.sub(r"^\d+\.\s*", "", h) for h in headings] == [
        "Tid och plats", "Målgrupper och stödaktörer", "Talare", "Checklista inför mötet", "Budskapet",
        "Anteckningar",
    ], headings  # fmt: skip
    contents = page.locator("main nav.form-contents a")
    expect(contents).to_have_count(6)
    contents.nth(3).click()
    page.wait_for_url(re.compile(r"#checklista$"))
    # Each speaker, preparation and message point is one compact row: the form is far from the 6,400 px
    # it measured as one column of stacked fields.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3800, f"the call-in form is {height} px long"
    violations = coordinator.axe_violations()
    assert not violations, support.format_violations(violations)

    # A missing title is shown in its section and marked in the list of contents; the rest is kept.
    page.locator("#id_place").fill("Medborgarhuset, stora salen")
    page.locator("main form.callin-form button.primary").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    expect(page.locator("#tid-och-plats .has-error")).to_have_count(1)
    expect(page.locator("main nav.form-contents li").first).to_contain_text("innehåller fel")
    expect(page.locator("#id_place")).to_have_value("Medborgarhuset, stora salen")

    page.locator("#id_title").fill("Webbläsartest: höstens stormöte")
    page.locator("main form.callin-form button.primary").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    # The fragment of the last anchor followed stays on the redirect; the page is the new call-in.
    assert re.search(r"/stormoten/\d+/(#.*)?$", page.url), support.form_failure(page)
    expect(page.locator("h1")).to_contain_text("Webbläsartest: höstens stormöte")


def test_social_services_reads_the_police_notification_it_delivers(sessions):
    """The analyst names social services among those delivering the message; the caseworker then reads
    the notification (a disclosure made by naming it), read-only, and the person entry is not linked."""
    analyst = sessions("analytiker")
    page = analyst.visit(support.require_route("communication:notification_create"))
    person = page.locator("#id_person")
    values = [v for v in person.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    assert values, "no person offered for a custom notification"
    person.select_option(values[-1])
    page.locator("#id_place").fill("Hembesök med socialtjänsten")
    page.get_by_label(re.compile(r"kommun, socialtjänsten")).check()
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    analyst.assert_clean()
    assert re.search(r"/enskilda-samtal/\d+/$", page.url), support.form_failure(page)
    path = page.url.removeprefix(analyst.base_url)

    caseworker = sessions("socialsekreterare")
    page = caseworker.visit("/enskilda-samtal/")
    assert page.locator(f"main table a[href='{path}']").count() == 1, "not in social services' list"
    page = caseworker.visit(path)
    expect(page.locator("h1")).to_contain_text("Enskilt samtal med")
    expect(page.locator("main #utlamnat")).to_contain_text("framför budskapet")
    expect(page.locator("main dl.facts")).to_contain_text("Hembesök med socialtjänsten")
    expect(page.locator("main a", has_text="Registrera utfall")).to_have_count(0)
    expect(page.locator("main dl.facts a[href^='/personer/']")).to_have_count(0)
    violations = caseworker.axe_violations()
    assert not violations, support.format_violations(violations)
    caseworker.visit(path + "andra/", status=404)

    # Probation, not named, does not see it.
    response = sessions("frivard").page.goto(path)
    assert response.status in (403, 404)


@pytest.mark.parametrize("username", ["samordnare", "socialsekreterare", "frivard", "kronofogden"])
def test_links_on_the_start_page_open_for_the_role(sessions, username):
    role = sessions(username)
    page = role.visit("/")
    hrefs = page.locator("main a[href^='/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    refused = []
    for href in sorted(set(hrefs)):
        path = href.split("#")[0]
        if not path or re.search(r"\.(pdf|csv|xlsx|ics)$|^/kalender/", path.split("?")[0]):
            continue
        status = role.context.request.get(path).status
        if status == 403:
            refused.append(path)
    assert not refused, f"{username}'s start page links to pages that end in 'Ingen behörighet': {refused}"
