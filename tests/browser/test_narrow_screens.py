"""Issue 17, item 12: every main page of every role fits a 390 px wide phone without sideways scrolling,
the main menu is collapsed behind a disclosure button there, and wide tables scroll inside their own
labelled, focusable region rather than the page.

The pages are those of the accessibility walk (test_accessibility.PAGES: the main pages of each demo role),
visited in a 390 x 844 context of their own per role, with the same CSP and error watch.
"""

import pytest

from tests.browser import support
from tests.browser.test_accessibility import PAGES, _path

pytestmark = support.browser_marks()

PHONE = {"width": 390, "height": 844}
ROLES = sorted({p.user for p in PAGES})

# Elements sticking out of the viewport, outside any scroll region of their own: what makes the page wide.
OVERFLOWING = """(limit) => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit + 0.5) continue;
    let clipped = false;
    const positioned = ["absolute", "fixed"].includes(getComputedStyle(el).position);
    for (let up = el.parentElement; up && up !== document.body && !positioned; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) { clipped = true; break; }
    }
    if (clipped) continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
    out.push(name + " right=" + Math.round(box.right) + " " + (el.textContent || "").trim().slice(0, 60));
  }
  return out.slice(0, 8);
}"""

SCROLL_REGIONS = """() => Array.from(document.querySelectorAll("main .table-scroll")).map((r) => ({
  scrolls: r.scrollWidth > r.clientWidth + 1,
  tabindex: r.getAttribute("tabindex"),
  role: r.getAttribute("role"),
  named: Boolean((r.getAttribute("aria-label") || "").trim() ||
    ((r.getAttribute("aria-labelledby") && document.getElementById(r.getAttribute("aria-labelledby")) || {}).textContent || "").trim()),
}))"""


@pytest.fixture(scope="module")
def phones(chromium, demo_server):
    made: dict[str, support.RoleSession] = {}

    def get(username: str) -> support.RoleSession:
        if username not in made:
            made[username] = support.RoleSession(chromium, demo_server.base_url, username, viewport=PHONE)
        return made[username]

    yield get
    for phone in made.values():
        phone.close()


@pytest.mark.parametrize("target", PAGES, ids=[p.id for p in PAGES])
def test_main_page_fits_a_390_px_screen(request, phones, target):
    path = _path(request, target)
    phone = phones(target.user)
    page = phone.visit(path, status=target.status)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (
        f"{target.user} {path}: the page is {width} px wide at {PHONE['width']} px; sticking out:\n  "
        + "\n  ".join(page.evaluate(OVERFLOWING, PHONE["width"]))
    )
    for region in page.evaluate(SCROLL_REGIONS):
        assert region["role"] == "region" and region["named"], f"{path}: a table region without a name"
        if region["scrolls"]:
            assert region["tabindex"] == "0", f"{path}: a table scrolls in a region the keyboard cannot reach"


@pytest.mark.parametrize("username", ROLES)
def test_menu_is_collapsed_on_a_phone_and_opens_with_its_button(phones, username):
    phone = phones(username)
    page = phone.visit(support.require_route("partnership:home"))
    button = page.locator("header .menu-toggle")
    menu = page.locator("#main-menu")
    assert button.is_visible(), f"{username}: no menu button on a phone"
    assert button.get_attribute("aria-expanded") == "false"
    assert not menu.is_visible(), f"{username}: the menu is open on a phone before it is asked for"
    header_height = page.locator("header.site-header").bounding_box()["height"]
    assert header_height <= 0.25 * PHONE["height"], f"{username}: the header fills {header_height:.0f} px"

    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert menu.is_visible()
    start = menu.get_by_role("link", name="Start")
    assert start.is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    button.focus()
    page.keyboard.press("Enter")  # the keyboard closes it again
    assert button.get_attribute("aria-expanded") == "false"
    assert not menu.is_visible()
    page.keyboard.press("Space")
    assert button.get_attribute("aria-expanded") == "true"
    phone.assert_clean()


def test_menu_is_open_without_a_button_on_a_wide_screen(sessions):
    wide = sessions("samordnare")
    page = wide.visit(support.require_route("partnership:home"))
    assert not page.locator("header .menu-toggle").is_visible()
    assert page.locator("#main-menu").is_visible()


@pytest.mark.parametrize("username", ["samordnare", "analytiker"])
def test_phone_pages_keep_wcag_21_aa(phones, username, incident_path):
    phone = phones(username)
    for path in (support.require_route("partnership:home"), support.require_route("incidents:incident_list")):
        phone.visit(path)
        violations = phone.axe_violations()
        assert not violations, f"{username} {path} at 390 px:\n" + support.format_violations(violations)
