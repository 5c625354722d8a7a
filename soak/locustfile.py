"""Locust load profile: the demo city's analyst, coordinator and caseworker browsing pages and the API.

Run through soak/load.py (which loads the demo city, issues bearer tokens, starts the server on loopback and
runs locust headless, bounded in time). Directly:

    GVI_SOAK_TOKENS='{"analytiker": "gvi_..."}' .venv/bin/locust -f soak/locustfile.py --headless \
        -u 20 -r 5 -t 60s --host http://127.0.0.1:8000

The mix (weights 3 : 2 : 2) follows the roles that use the platform daily. Each simulated user signs in
through the login form (demo mode: no second factor) and then alternates page views and API calls.
"""

import json
import os
import random
import re
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("GVI_SOAK_PASSWORD", "demo-gvi-2026")
TOKENS = json.loads(os.environ.get("GVI_SOAK_TOKENS", "{}"))
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@events.init.add_listener
def loopback_only(environment, **_kwargs):
    host = urlsplit(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"soak/locustfile.py runs against loopback only, not {host!r}")


class GviUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    username = ""

    def on_start(self):
        page = self.client.get("/konto/logga-in/", name="login form")
        found = CSRF_RE.search(page.text)
        token = found.group(1) if found else self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/konto/logga-in/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/konto/logga-in/"},
            name="login",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or urlsplit(response.url).path.startswith("/konto/logga-in"):
                response.failure(f"login as {self.username} failed")
        self.api_headers = {"Authorization": f"Bearer {TOKENS.get(self.username, '')}"}
        self.ids = {}

    def page(self, path: str, name: str | None = None):
        self.client.get(path, name=name or path)

    def api(self, path: str, name: str | None = None):
        response = self.client.get(path, headers=self.api_headers, name=name or path)
        return response.json() if response.status_code == 200 else None

    def some_id(self, kind: str, path: str):
        """An id of a record this user may see, from the API listing (cached per user)."""
        if kind not in self.ids:
            listing = self.api(path + "?limit=50", name=f"{path} (ids)") or {}
            self.ids[kind] = [item["id"] for item in listing.get("items", [])]
        return random.choice(self.ids[kind]) if self.ids[kind] else None


class Analyst(GviUser):
    weight = 3
    username = "analytiker"

    @task(3)
    def start_page(self):
        self.page("/", "start page")

    @task(3)
    def incidents(self):
        self.page("/incidenter/")
        pk = self.some_id("incident", "/api/v1/incidents")
        if pk:
            self.page(f"/incidenter/{pk}/", "/incidenter/<id>/")

    @task(2)
    def group_audit(self):
        self.page("/kartlaggning/")
        pk = self.some_id("group", "/api/v1/groups")
        if pk:
            self.page(f"/grupper/{pk}/", "/grupper/<id>/")

    @task(2)
    def person_entry(self):
        pk = self.some_id("person", "/api/v1/persons")
        if pk:
            self.page(f"/personer/{pk}/", "/personer/<id>/")  # logged read

    @task(1)
    def risk(self):
        self.page("/incidenter/risk/")

    @task(2)
    def api_reads(self):
        self.api("/api/v1/incidents?limit=20")
        pk = self.some_id("person", "/api/v1/persons")
        if pk:
            self.api(f"/api/v1/persons/{pk}", "/api/v1/persons/<id>")


class Coordinator(GviUser):
    weight = 2
    username = "samordnare"

    @task(3)
    def start_page(self):
        self.page("/", "start page")

    @task(2)
    def meetings(self):
        self.page("/moten/")
        self.page("/uppgifter/")

    @task(2)
    def incidents(self):
        self.page("/incidenter/")
        self.page("/incidenter/tidslinje/")

    @task(1)
    def sanctions(self):
        self.page("/sanktioner/")
        self.api("/api/v1/sanctions/episodes")

    @task(1)
    def communication(self):
        self.page("/stormoten/")
        self.api("/api/v1/communication/callins")


class Caseworker(GviUser):
    weight = 2
    username = "socialsekreterare"

    @task(3)
    def start_page(self):
        self.page("/", "start page")

    @task(2)
    def support_cases(self):
        self.page("/stod/")
        self.api("/api/v1/support/cases")

    @task(2)
    def persons(self):
        self.page("/personer/")
        pk = self.some_id("person", "/api/v1/persons")
        if pk:
            self.page(f"/personer/{pk}/", "/personer/<id>/")

    @task(1)
    def disclosures(self):
        self.page("/utlamnanden/")

    @task(1)
    def notifications(self):
        self.page("/enskilda-samtal/")
        self.api("/api/v1/communication/notifications")
