"""Helpers of the browser suite: the demo server in a subprocess, one logged-in browser context per role,
axe-core runs and the Content-Security-Policy watch.

Nothing here touches the database of the pytest process: the server runs in its own process with its own
SQLite file, so the suite tests exactly what `gvi serve` serves.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from gvi.demo.accounts import DEMO_PASSWORD

HERE = Path(__file__).resolve().parent
AXE_SOURCE = HERE / "vendor" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERVER_START_TIMEOUT = 240  # seconds: migrate + demo city on a slow CI runner
PERSON_ALIAS = re.compile(r"\bPerson [A-Z]-\d{3}\b")

try:
    from playwright.sync_api import sync_playwright  # noqa: F401

    PLAYWRIGHT_MISSING = ""
except ImportError:  # pragma: no cover - the test extra installs it
    PLAYWRIGHT_MISSING = "playwright is not installed (pip install -e '.[test]')"


def skip_reason() -> str:
    """Why the browser suite cannot run here, or "" when it can."""
    if PLAYWRIGHT_MISSING:
        return PLAYWRIGHT_MISSING
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests"
    if not AXE_SOURCE.exists():
        return f"{AXE_SOURCE} is missing (vendored axe-core)"
    return ""


# CI sets GVI_REQUIRE_BROWSER_TESTS=1 so a missing chromium fails the run instead of skipping it.
BROWSER_REQUIRED = os.environ.get("GVI_REQUIRE_BROWSER_TESTS", "").lower() in {"1", "true", "yes"}


def browser_marks() -> list:
    reason = skip_reason()
    if BROWSER_REQUIRED:
        return [pytest.mark.browser]
    return [pytest.mark.browser, pytest.mark.skipif(bool(reason), reason=reason or "runs")]


def skip_or_fail_without_browser() -> None:
    if reason := skip_reason():
        if BROWSER_REQUIRED:
            pytest.fail(f"GVI_REQUIRE_BROWSER_TESTS is set but {reason}")
        pytest.skip(reason)


def require_route(name: str, *args) -> str:
    """The path of a named route, or skip: the module that serves it has not landed yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        pytest.skip(f"module not present: no route named {name!r}")


# ----- the server -----


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DemoServer:
    base_url: str
    process: subprocess.Popen
    data_dir: Path

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def wait_until_ready(self, timeout: float = SERVER_START_TIMEOUT) -> "DemoServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the demo server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.base_url + "/halsa/", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        log = self.log_tail()
        self.stop()
        raise RuntimeError(f"the demo server did not answer within {timeout:.0f} s:\n{log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _scratch_dir() -> Path:
    """A fresh directory for the server's SQLite file and keys; in memory (/dev/shm) where there is one."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="gvi-browser-", dir=base))


def spawn_demo_server() -> DemoServer:
    """Start migrating a fresh SQLite file, loading the demo city and serving it on a free loopback port, in
    demo mode (no second factor). Returns at once; call wait_until_ready() before use.

    The environment is cleaned of GVI_* and DATABASE_URL so a CI run against PostgreSQL, or a developer's
    own settings, never leak into the server under test.
    """
    data_dir = _scratch_dir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GVI_") and k != "DATABASE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "gvi.settings",
            "GVI_DEMO_MODE": "true",
            "GVI_DATA_DIR": str(data_dir),
            "GVI_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    with (data_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "serve_demo.py"), str(port)],
            cwd=data_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return DemoServer(f"http://127.0.0.1:{port}", process, data_dir)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


# ----- one browser context per role -----

# Reports every securitypolicyviolation event to Python. Init scripts are injected through the DevTools
# protocol, which the page's CSP does not govern, and the binding survives navigations.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__gviCspViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber].join(" | "));
}, true);
"""

AXE_RUN = """
async (tags) => {
  // Open every disclosure widget (chart tables, optional forms) so their content is checked too.
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
  }));
}
"""


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])}: {node['html'][:200]}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


@dataclass
class RoleSession:
    """A browser context logged in as one demo user, watching for CSP violations, page errors, server
    errors and any request that leaves the server under test."""

    browser: object
    base_url: str
    username: str | None
    context: object = None
    page: object = None
    csp_problems: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    viewport: dict | None = None  # {"width": 390, "height": 844} for a phone; None: Playwright's 1280 x 720

    def __post_init__(self):
        options = {"viewport": self.viewport} if self.viewport else {}
        self.context = self.browser.new_context(
            base_url=self.base_url, locale="sv-SE", timezone_id="Europe/Stockholm", **options
        )
        self.context.set_default_timeout(20_000)
        self.context.expose_function("__gviCspViolation", self._on_violation_event)
        self.context.add_init_script(script=CSP_WATCH)
        self.context.on("request", self._on_request)
        self.context.on("response", self._on_response)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("dialog", lambda dialog: dialog.accept())  # confirm() before destructive acts: yes
        self.page.on("pageerror", lambda error: self.page_errors.append(f"{self.page.url}: {error}"))
        if self.username:
            self.login(self.username)

    # -- watchers --

    def _on_violation_event(self, text: str) -> None:
        self.csp_problems.append(f"securitypolicyviolation on {self.page.url}: {text}")

    def _on_console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.csp_problems.append(f"console {message.type} on {self.page.url}: {text}")

    def _on_request(self, request) -> None:
        if not (request.url.startswith(self.base_url + "/") or request.url.startswith("data:")):
            self.foreign_requests.append(request.url)

    def _on_response(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    # -- actions --

    def login(self, username: str, password: str = DEMO_PASSWORD):
        page = self.page
        page.goto("/konto/logga-in/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("load")
        return page

    def visit(self, path: str, status: int = 200):
        response = self.page.goto(path)
        assert response is not None, f"no response for {path}"
        assert response.status == status, f"{self.username}: {path} answered {response.status}, not {status}"
        self.page.wait_for_load_state("load")
        self.assert_clean()
        return self.page

    def assert_clean(self) -> None:
        """No CSP violation, script error, server error or outside request since the last check in this
        context. What is found is reported once (and cleared), so it is blamed on the page that caused it."""
        found = {
            "Content-Security-Policy violations": self.csp_problems,
            "JavaScript errors": self.page_errors,
            "server errors": self.server_errors,
            "requests outside the server under test": self.foreign_requests,
        }
        report = []
        for title, items in found.items():
            if items:
                report.append(f"{title}:\n  " + "\n  ".join(items))
                items.clear()
        assert not report, f"{self.username or 'anonymous'}: " + "\n".join(report)

    def axe_violations(self) -> list[dict]:
        """Run axe-core on the current page, in this (CSP-enforcing) context.

        The page's CSP (script-src 'self' 'nonce-…') refuses inline scripts, so Playwright's
        add_script_tag(content=…) and add_script_tag(path=…) – which both insert an inline <script> – are
        blocked. page.evaluate() runs through the DevTools protocol, which CSP does not govern, so the
        vendored axe-core is evaluated that way: no bypass_csp, and the page stays exactly as served.
        """
        page = self.page
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source())
        violations = page.evaluate(AXE_RUN, WCAG_TAGS)
        self.assert_clean()  # the axe run itself must not trip the CSP
        return violations

    def main_text(self) -> str:
        return self.page.locator("body").inner_text()

    def close(self) -> None:
        self.context.close()


def unlabelled_choice_groups(page) -> list[str]:
    """Names of checkbox/radio groups (several inputs sharing a name) outside a fieldset with a legend,
    and labels pointing at nothing (for=""): the question is then not tied to its options."""
    return page.evaluate(
        """() => {
      const problems = [];
      const byName = {};
      document.querySelectorAll("main input[type=checkbox][name], main input[type=radio][name]")
        .forEach((input) => { (byName[input.name] = byName[input.name] || []).push(input); });
      for (const [name, inputs] of Object.entries(byName)) {
        if (inputs.length < 2) continue;
        const fieldset = inputs[0].closest("fieldset");
        const legend = fieldset && fieldset.querySelector(":scope > legend");
        if (!legend || !legend.textContent.trim()) problems.push(name);
      }
      document.querySelectorAll("main label[for='']").forEach((l) => problems.push("label: " + l.textContent.trim()));
      return problems;
    }"""
    )


def form_failure(page) -> str:
    """Message for a form that did not save: where the browser is and what the form said."""
    errors = page.locator("main [role=alert], main .errors, main .error").all_inner_texts()
    return f"the form did not save; still on {page.url}: " + " | ".join(
        e.strip() for e in errors if e.strip()
    )


_AXE_CACHE: dict[str, str] = {}


def axe_source() -> str:
    if "source" not in _AXE_CACHE:
        _AXE_CACHE["source"] = AXE_SOURCE.read_text(encoding="utf-8")
    return _AXE_CACHE["source"]
