"""API fuzzing with schemathesis against the app's own OpenAPI schema, in process (WSGI, no network).

Authenticated pass (a police analyst's bearer token in the shared two-site test world), for every
operation, with schema-valid (positive) and schema-invalid (negative) data, path ids drawn from real
records of every organisation and site as well as random ones:
- no server error (5xx);
- every response conforms to the schema: documented status code, content type, body and headers.

Unauthenticated pass: the same operations with no credentials, a made-up token, an expired token, the
token of a deactivated user, and a session that has passed only the password step (no second factor):
every answer is 401, 403 or 404 — never 2xx, never 5xx. Only the schema itself is public.
"""

from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gvi.access.models import CompartmentedRecord
from gvi.access.services import issue_api_token
from gvi.partnership.models import Role
from tests.factories import UserFactory, build_world
from tests.trust.budget import examples, hypothesis_settings, record_stat

SCHEMA_PATH = "/api/v1/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
DENIED = {401, 403, 404}
FUZZ_SETTINGS = hypothesis_settings(
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app():
    """The real WSGI application, kept from closing the test's connection between requests (as Django's
    own test client does), so each test case runs inside the test transaction and is rolled back."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app, db):
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, wsgi_app)


@pytest.fixture
def fuzz_world(db):
    world = build_world()
    analyst = world.users[Role.ANALYST]
    ids = sorted(
        {record.pk for record in world.records.values() if isinstance(record, CompartmentedRecord)}
        | {1, 2, 3}
    )
    return world, analyst, [str(pk) for pk in ids]


def operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 20, "the API schema lost its operations"
    return found


def _case_strategy(operation, mode, ids):
    plain = operation.as_strategy(generation_mode=mode)
    if "{pk}" not in operation.path:
        return plain
    # Half the cases hit real records (own, other organisation, other site); half get whatever is drawn.
    return st.one_of(
        plain,
        st.sampled_from(ids).flatmap(
            lambda pk: operation.as_strategy(generation_mode=mode, path_parameters={"pk": pk})
        ),
    )


def _run_operation(operation, strategy, budget: int, body) -> None:
    @settings(max_examples=budget, **FUZZ_SETTINGS)
    @given(case=strategy)
    def run(case):
        with transaction.atomic():
            try:
                body(case)
            finally:
                transaction.set_rollback(True)

    run()


BIG = 2**63


def test_authenticated_fuzzing_finds_no_server_error_and_no_schema_violation(api_schema, fuzz_world):
    world, analyst, ids = fuzz_world
    headers = {"Authorization": f"Bearer {issue_api_token(analyst, 'fuzz')}"}
    statuses: Counter = Counter()
    failures: list[str] = []

    def check(case):
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as error:  # collect across operations; report all at the end
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: {_first_line(error)}"
            )
            raise

    ops = operations(api_schema)
    for operation in ops:
        for mode, base in ((GenerationMode.POSITIVE, 6), (GenerationMode.NEGATIVE, 3)):
            try:
                _run_operation(operation, _case_strategy(operation, mode, ids), examples(base), check)
            except (Exception, BaseExceptionGroup):  # noqa: BLE001 - already recorded in `failures`
                pass
    record_stat(
        "schemathesis_authenticated",
        operations=len(ops),
        cases=sum(statuses.values()),
        statuses=dict(statuses),
        failures=len(failures),
    )
    assert not failures, "\n".join(sorted(set(failures)))
    assert any(200 <= status < 300 for status in statuses), "no call succeeded: the token did not work"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return " / ".join(line.strip() for line in text[:4] if line.strip())


@pytest.fixture
def rejected_credentials(fuzz_world):
    """Every kind of credential that must not open the API."""
    world, analyst, ids = fuzz_world
    expired = issue_api_token(analyst, "utgången", expires_at=timezone.now() - timedelta(minutes=1))
    retired = UserFactory(username="slutat")
    retired_token = issue_api_token(retired, "slutat")
    retired.is_active = False
    retired.save()
    client = Client()
    client.force_login(analyst, backend="django.contrib.auth.backends.ModelBackend")  # password step only
    half_session = client.cookies["sessionid"].value
    return [
        ("none", {}, {}),
        ("made-up token", {"Authorization": "Bearer gvi_" + "x" * 43}, {}),
        ("malformed header", {"Authorization": "Basic YWRtaW46YWRtaW4="}, {}),
        ("expired token", {"Authorization": f"Bearer {expired}"}, {}),
        ("deactivated user's token", {"Authorization": f"Bearer {retired_token}"}, {}),
        ("session without second factor", {}, {"sessionid": half_session}),
    ]


def test_no_endpoint_answers_without_authentication(api_schema, fuzz_world, rejected_credentials, wsgi_app):
    world, analyst, ids = fuzz_world
    statuses: Counter = Counter()
    failures: list[str] = []

    def check(case, label, headers, cookies):
        response = case.call(headers=headers, cookies=cookies)
        statuses[response.status_code] += 1
        if response.status_code not in DENIED:
            failures.append(f"{label}: {case.method} {case.formatted_path} -> {response.status_code}")

    ops = operations(api_schema)
    for operation in ops:
        strategy = st.tuples(
            _case_strategy(operation, GenerationMode.POSITIVE, ids), st.sampled_from(rejected_credentials)
        )
        _run_operation(operation, strategy, examples(3), lambda drawn: check(drawn[0], *drawn[1]))
    # Each kind of rejected credential against each operation, at least once, with a real record id.
    for operation in ops:
        path_parameters = {"pk": ids[0]} if "{pk}" in operation.path else None
        _run_operation(
            operation,
            operation.as_strategy(path_parameters=path_parameters),
            1,
            lambda case: [check(case, *credential) for credential in rejected_credentials],
        )
    record_stat(
        "schemathesis_unauthenticated",
        operations=len(ops),
        cases=sum(statuses.values()),
        statuses=dict(statuses),
        failures=len(failures),
    )
    assert not failures, "\n".join(sorted(set(failures)))
    # The schema itself is the one public document.
    assert Client().get(SCHEMA_PATH).status_code == 200


# ----- bugs the fuzzer found once, each pinned by a test so it stays fixed -----

LIST_PATHS = [
    "/api/v1/persons",
    "/api/v1/groups",
    "/api/v1/memberships",
    "/api/v1/relations",
    "/api/v1/incidents",
    "/api/v1/sanctions/actions",
    "/api/v1/sanctions/episodes",
    "/api/v1/sanctions/rules",
    "/api/v1/support/cases",
    "/api/v1/communication/callins",
]


INTEGER_QUERIES = [(path, parameter) for path in LIST_PATHS for parameter in ("offset", "limit")] + [
    ("/api/v1/communication/invitations", "call_in"),
    ("/api/v1/communication/notifications", "person"),
    ("/api/v1/communication/communications-back", "group"),
    ("/api/v1/sanctions/episodes", "group"),
    ("/api/v1/sanctions/actions", "episode"),
    ("/api/v1/memberships", "group"),
    ("/api/v1/memberships", "person"),
]


def test_integer_parameters_beyond_the_database_range_are_refused(fuzz_world):
    world, analyst, ids = fuzz_world
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(analyst, 'sidor')}"}
    answers = {}
    for path, parameter in INTEGER_QUERIES:
        for value in (BIG, 10**20):
            answers[f"{path}?{parameter}={value}"] = client.get(
                f"{path}?{parameter}={value}", **headers
            ).status_code
    assert all(status < 500 for status in answers.values()), {k: v for k, v in answers.items() if v >= 500}


def test_explicit_null_in_a_patch_is_a_422(fuzz_world):
    from gvi.communication.models import Notification

    world, analyst, ids = fuzz_world
    notification = Notification.objects.visible_to(analyst, "change").first()
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(analyst, 'null')}"}
    answers = {}
    for field in ("date", "place"):
        response = client.patch(
            f"/api/v1/communication/notifications/{notification.pk}",
            {"version": notification.version, field: None},
            content_type="application/json",
            **headers,
        )
        answers[field] = response.status_code
    assert set(answers.values()) == {422}, answers


def test_schema_documents_error_statuses(api_schema):
    missing = []
    for operation in operations(api_schema):
        documented = set(operation.responses.status_codes)
        expected = {"401", "422"} | ({"400"} if operation.body else set())
        if expected - documented:
            missing.append(f"{operation.method.upper()} {operation.path}: {sorted(expected - documented)}")
    assert not missing, "\n".join(missing)


def test_api_lists_of_person_records_are_logged(fuzz_world):
    from gvi.access.models import AccessLog

    world, analyst, ids = fuzz_world
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(analyst, 'lista')}"}
    unlogged = {}
    for path in ("/api/v1/persons", "/api/v1/memberships"):
        before = AccessLog.objects.count()
        items = client.get(path, **headers).json()["items"]
        assert items, path
        if AccessLog.objects.count() - before < len(items):
            unlogged[path] = (len(items), AccessLog.objects.count() - before)
    assert not unlogged, f"path: (records returned, access-log rows written) {unlogged}"


def test_nul_characters_in_text_are_refused(fuzz_world):
    world, analyst, ids = fuzz_world
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(analyst, 'nul')}"}
    answers = {}
    for path, body in (
        ("/api/v1/persons", {"alias": "Nul\x00tecken", "is_at_risk": True}),
        (
            "/api/v1/incidents",
            {"type": "shooting", "occurred_at": "2025-01-01T12:00:00Z", "summary": "a\x00b"},
        ),
    ):
        answers[path] = client.post(path, body, content_type="application/json", **headers).status_code
    assert set(answers.values()) == {422}, answers


def test_datetimes_with_any_utc_offset_are_accepted_or_refused_cleanly(fuzz_world):
    world, analyst, ids = fuzz_world
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(analyst, 'offset')}"}
    answers = {}
    for offset in ("-21:00", "+18:30", "-16:00"):
        body = {"type": "shooting", "occurred_at": f"2025-01-01T12:00:00{offset}"}
        answers[offset] = client.post(
            "/api/v1/incidents", body, content_type="application/json", **headers
        ).status_code
    assert all(status in (201, 422) for status in answers.values()), answers
