"""Many clients editing the same records: every conflicting save gets a conflict, none is silently lost.

- Any backend: Hypothesis interleaves the steps of several clients (load, save from what was loaded)
  through the service layer; a save succeeds exactly when nobody saved since the client loaded.
- PostgreSQL: real threads, each with its own connection, race on the same records through the service
  layer and through the API (bearer token, PATCH with `version`). In every round all threads load, meet at
  a barrier, and save: exactly one save wins, every other one gets EditConflict / HTTP 409.

In every case: final version == successful saves + 1, and every successful save is in the history with
the version it got and the value it wrote.
"""

import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gvi.access.services import EditConflict, issue_api_token
from gvi.groups.models import Person
from gvi.groups.services import update_person
from gvi.incidents.models import Incident
from gvi.incidents.services import update_incident
from gvi.partnership.models import Role
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    SiteFactory,
)
from tests.trust.budget import examples, hypothesis_settings, record_stat


def small_world():
    site = SiteFactory()
    police = OrganisationFactory()
    analyst = MembershipFactory(organisation=police, site=site, role=Role.ANALYST).user
    incident = IncidentFactory(site=site, owner=police)
    person = PersonFactory(site=site, owner=police, review_date=timezone.localdate() + timedelta(days=100))
    return analyst, incident, person


def assert_nothing_lost(model, pk: int, field: str, successes: list[tuple[int, str]]) -> None:
    """`successes` is (version given, value written) for every save that was acknowledged."""
    stored = model._base_manager.get(pk=pk)
    assert stored.version == len(successes) + 1, (stored.version, len(successes))
    history = {row.version: getattr(row, field) for row in model.history.filter(id=pk, history_type="~")}
    assert sorted(history) == list(range(2, stored.version + 1)), "a version is missing from the history"
    for version, value in successes:
        assert history[version] == value, (
            f"version {version} should hold {value!r}, holds {history[version]!r}"
        )
    if successes:
        assert getattr(stored, field) == max(successes)[1], "the record does not hold the last saved value"


# ----- any backend: interleavings of several clients -----

step = st.tuples(st.integers(0, 5), st.sampled_from(["load", "save", "save"]))


@pytest.mark.django_db
def test_interleaved_clients_never_lose_a_save():
    analyst, incident, person = small_world()
    seen = Counter()

    @settings(
        max_examples=examples(40),
        **hypothesis_settings(),
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(n_clients=st.integers(2, 6), steps=st.lists(step, min_size=1, max_size=25))
    def check(n_clients, steps):
        with transaction.atomic():
            try:
                loaded = {c: Incident.unscoped_all_sites.get(pk=incident.pk) for c in range(n_clients)}
                current = Incident.unscoped_all_sites.get(pk=incident.pk).version
                successes = []
                for number, (client, action) in enumerate(steps):
                    client %= n_clients
                    if action == "load":
                        loaded[client] = Incident.unscoped_all_sites.get(pk=incident.pk)
                        continue
                    copy = loaded[client]
                    value = f"klient {client} steg {number}"
                    stale = copy.version != current
                    try:
                        update_incident(analyst, copy, {"summary": value}, copy.version)
                    except EditConflict:
                        assert stale, "a save from the current version was refused"
                        seen["conflicts"] += 1
                        loaded[client] = Incident.unscoped_all_sites.get(
                            pk=incident.pk
                        )  # a client reloads after a conflict
                        continue
                    assert not stale, "a save from a stale version was accepted: an overwrite"
                    current += 1
                    successes.append((current, value))
                    seen["saves"] += 1
                assert_nothing_lost(Incident, incident.pk, "summary", successes)
                seen["examples"] += 1
            finally:
                transaction.set_rollback(True)

    check()
    record_stat(
        "hypothesis_interleavings",
        examples=seen["examples"],
        saves=seen["saves"],
        conflicts=seen["conflicts"],
    )
    assert seen["conflicts"] and seen["saves"]


# ----- PostgreSQL: real threads -----

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads need a database that allows concurrent writers (the SQLite test database is in memory)",
)
THREADS = 12
ROUNDS = 6


def race(n_threads: int, rounds: int, attempt) -> list[list[tuple]]:
    """Run `attempt(thread, round)` in `n_threads` threads, `rounds` times, all saving at the same moment.

    `attempt` returns a callable that performs the save after the barrier; results are per round.
    """
    barrier = threading.Barrier(n_threads, timeout=60)
    results: list[list[tuple]] = [[] for _ in range(rounds)]
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(thread: int):
        try:
            for round_ in range(rounds):
                save = attempt(thread, round_)  # load, before the barrier
                barrier.wait()
                outcome = save()
                with lock:
                    results[round_].append(outcome)
                barrier.wait()  # the next round starts from the settled state
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_threads_racing_through_the_service_layer():
    analyst, incident, person = small_world()

    def attempt(thread: int, round_: int):
        targets = [
            (Incident, incident.pk, update_incident, "summary"),
            (Person, person.pk, update_person, "notes"),
        ]
        model, pk, update, field = targets[round_ % 2]
        record = model._default_manager.get(pk=pk)
        value = f"tråd {thread} runda {round_}"

        def save():
            try:
                saved = update(analyst, record, {field: value}, record.version)
            except EditConflict:
                return ("conflict", model, None, value)
            return ("saved", model, saved.version, value)

        return save

    results = race(THREADS, ROUNDS, attempt)
    for outcomes in results:
        assert Counter(outcome[0] for outcome in outcomes) == {"saved": 1, "conflict": THREADS - 1}, outcomes
    for model, pk, field in ((Incident, incident.pk, "summary"), (Person, person.pk, "notes")):
        successes = [(o[2], o[3]) for round_ in results for o in round_ if o[0] == "saved" and o[1] is model]
        assert_nothing_lost(model, pk, field, successes)
    record_stat(
        "concurrency_service", threads=THREADS, rounds=ROUNDS, saves=ROUNDS, conflicts=ROUNDS * (THREADS - 1)
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_threads_racing_through_the_api():
    analyst, incident, person = small_world()
    token = issue_api_token(analyst, "samtidighet")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/incidents/{incident.pk}"

    def attempt(thread: int, round_: int):
        client = Client()
        version = client.get(url, **headers).json()["version"]
        value = f"api-tråd {thread} runda {round_}"

        def save():
            response = client.patch(
                url, {"version": version, "summary": value}, content_type="application/json", **headers
            )
            body = response.json()
            return (response.status_code, body.get("version"), value)

        return save

    results = race(THREADS, ROUNDS, attempt)
    for outcomes in results:
        assert Counter(status for status, _v, _s in outcomes) == {200: 1, 409: THREADS - 1}, outcomes
    successes = [(version, value) for round_ in results for status, version, value in round_ if status == 200]
    assert_nothing_lost(Incident, incident.pk, "summary", successes)
    record_stat(
        "concurrency_api", threads=THREADS, rounds=ROUNDS, saves=ROUNDS, conflicts=ROUNDS * (THREADS - 1)
    )


@pytest.mark.slow
def test_threads_racing_on_a_sqlite_file(tmp_path):
    """The same races on a real SQLite file (IMMEDIATE transactions, WAL), in a separate process."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "GVI_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "gvi.settings",
    }
    env.pop("GVI_TRUST_STATS", None)
    script = Path(__file__).with_name("sqlite_race.py")
    completed = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    record_stat("concurrency_sqlite_file", threads=THREADS, rounds=ROUNDS, ok=True)
