"""Fixtures of the browser suite (Debian's chromium driven by Playwright against `gvi serve`).

Scope is the package: the server, the browser and the logged-in contexts live for tests/browser only.
Playwright's sync API marks an asyncio loop as running in the main thread while it is alive, which makes
Django's ORM refuse to work ("SynchronousOnlyOperation") – so it must be stopped before the rest of the suite
runs. These tests never use the database of the pytest process; the server has its own.
"""

import pytest

from tests.browser import support

SERVER_KEY = pytest.StashKey[support.DemoServer]()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: real-browser tests (Playwright + Debian chromium against a live demo server)"
    )


def pytest_collection_finish(session):
    """Start the demo server as soon as browser tests are selected: it migrates and loads the demo city
    while the test directories that sort before tests/browser run."""
    if support.skip_reason() or session.config.option.collectonly:
        return
    if any(item.get_closest_marker("browser") for item in session.items):
        session.config.stash[SERVER_KEY] = support.spawn_demo_server()


def pytest_unconfigure(config):
    server = config.stash.get(SERVER_KEY, None)
    if server is not None:
        server.stop()


@pytest.fixture(scope="package")
def demo_server(request):
    support.skip_or_fail_without_browser()
    server = request.config.stash.get(SERVER_KEY, None) or support.spawn_demo_server()
    request.config.stash[SERVER_KEY] = server
    try:
        yield server.wait_until_ready()
    finally:
        server.stop()


@pytest.fixture(scope="package")
def chromium():
    support.skip_or_fail_without_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = support.launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def sessions(chromium, demo_server):
    """sessions("analytiker") -> a RoleSession logged in through the real login form, made once per user."""
    made: dict[str | None, support.RoleSession] = {}

    def get(username: str | None) -> support.RoleSession:
        if username not in made:
            made[username] = support.RoleSession(chromium, demo_server.base_url, username)
        return made[username]

    yield get
    for session in made.values():
        session.close()


@pytest.fixture
def session(chromium, demo_server):
    """A fresh anonymous context, for tests that log in themselves or stay logged out."""
    made = support.RoleSession(chromium, demo_server.base_url, None)
    yield made
    made.close()


# ----- records the pages are about, found or created through the browser -----


def _first_href(role_session: support.RoleSession, path: str, selector: str) -> str:
    page = role_session.visit(path)
    link = page.locator(selector).first
    href = link.get_attribute("href")
    assert href, f"no link {selector!r} on {path}"
    return href


@pytest.fixture(scope="package")
def group_path(sessions):
    return _first_href(sessions("analytiker"), "/grupper/", "main table a[href^='/grupper/']")


@pytest.fixture(scope="package")
def person_path(sessions):
    return _first_href(sessions("analytiker"), "/personer/", "main table a[href^='/personer/']")


@pytest.fixture(scope="package")
def incident_path(sessions):
    return _first_href(sessions("analytiker"), "/incidenter/", "main table a[href^='/incidenter/']")


@pytest.fixture(scope="package")
def weekly_review_path(sessions):
    """The coordinator creates a weekly review through the form and generates its agenda."""
    coordinator = sessions("samordnare")
    page = coordinator.visit(support.require_route("meetings:meeting_create"))
    page.locator("#id_type").select_option("weekly_review")
    page.locator("#id_place").fill("Stadshuset, rum 3")
    page.locator("main form.narrow-form button[type=submit]").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    assert "/moten/" in page.url and not page.url.endswith("/nytt/"), support.form_failure(page)
    page.get_by_role("button", name="Skapa dagordning").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    return page.url.removeprefix(coordinator.base_url).split("#")[0].split("?")[0]


@pytest.fixture(scope="package")
def sanction_episode_path(sessions):
    """The coordinator proposes a sanction episode against a group, triggered by a recent incident."""
    coordinator = sessions("samordnare")
    page = coordinator.visit(support.require_route("sanctions:episode_create"))
    page.locator("#id_group").select_option(label="Exempelgänget Syd")
    page.locator("input[name=trigger_incidents]").first.check()
    page.locator("#id_decision_note").fill("Skjutning i Södra Exempelstad; gruppen varnades vid stormötet.")
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    coordinator.assert_clean()
    assert "/sanktioner/" in page.url and not page.url.endswith("/ny/"), support.form_failure(page)
    return page.url.removeprefix(coordinator.base_url).split("?")[0]


@pytest.fixture(scope="package")
def notification_path(sessions):
    """The analyst plans a custom notification for a person the police own."""
    analyst = sessions("analytiker")
    page = analyst.visit(support.require_route("communication:notification_create"))
    person = page.locator("#id_person")
    values = [v for v in person.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    assert values, "no person offered for a custom notification"
    person.select_option(values[0])
    page.locator("#id_place").fill("Hembesök")
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    analyst.assert_clean()
    assert "/enskilda-samtal/" in page.url and not page.url.endswith("/nytt/"), support.form_failure(page)
    return page.url.removeprefix(analyst.base_url).split("?")[0]
