"""The measurements that run inside one Django process bound to a seeded benchmark database.

Every figure is taken side by side with its baseline in the same run, so the report gives ratios that do
not depend on how fast this particular machine is.
"""

import io
import math
import resource
import statistics
import time
from datetime import timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.analysis import hawkes, network
from gvi.bench.seed import BENCH_USERNAME, TODAY
from gvi.evaluation.selectors import violence_by_month
from gvi.groups import importers
from gvi.groups.models import Group, GroupMembership, GroupRelation, Person
from gvi.incidents.models import Incident, Involvement

BACKEND = "django.contrib.auth.backends.ModelBackend"


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_user():
    return get_user_model().objects.get(username=BENCH_USERNAME)


def bench_site(user):
    return user.memberships.select_related("site").order_by("-pk").first().site


def _device(user) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "bench"})
    return device


def session_keys(count: int) -> list[str]:
    """Sessions that have passed password and second factor, as the login views would leave them."""
    user = bench_user()
    device = _device(user)
    keys = []
    for _index in range(count):
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = BACKEND
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        keys.append(session.session_key)
    return keys


def page_paths() -> dict[str, str]:
    """The ten most used pages and endpoints (the soak test's mix), with comparable records at any scale.

    Detail pages show the site's most violent group, its latest incident and that group's first member, so
    the same kind of record is shown at every scale.
    """
    user = bench_user()
    site = bench_site(user)
    group = (
        Group.unscoped_all_sites.filter(site=site)
        .annotate(n=Count("involvements", filter=Q(involvements__role="suspect")))
        .order_by("-n", "pk")
        .first()
    )
    incident = (
        Incident.unscoped_all_sites.filter(site=site, involvements__group=group)
        .order_by("-occurred_at", "-pk")
        .first()
    )
    person = (
        Person.unscoped_all_sites.filter(site=site, owner__type="police", memberships__group=group)
        .order_by("pk")
        .first()
    )
    return {
        "start page": "/",
        "incident list": "/incidenter/",
        "incident detail": f"/incidenter/{incident.pk}/",
        "incident timeline": "/incidenter/tidslinje/",
        "group audit": "/kartlaggning/",
        "group detail": f"/grupper/{group.pk}/",
        "person detail": f"/personer/{person.pk}/",
        "retaliation risk": "/incidenter/risk/",
        "API incidents": "/api/v1/incidents?limit=20",
        "API person": f"/api/v1/persons/{person.pk}",
    }


def read_models() -> dict:
    """What the worker computes after the data changed (gvi.operations): every site's network measures
    and every access scope's risk picture. Pages only read them, so this is timed here, not in a page."""
    from gvi.groups.network import recompute_site as measure_network
    from gvi.incidents.risk import recompute_site as compute_risk
    from gvi.partnership.models import Site

    started = time.perf_counter()
    sites = list(Site.objects.order_by("pk"))
    for site in sites:
        measure_network(site)
    network_seconds = time.perf_counter() - started
    scopes = sum(compute_risk(site) for site in sites)
    return {
        "sites": len(sites),
        "scopes": scopes,
        "network_seconds": network_seconds,
        "risk_seconds": time.perf_counter() - started - network_seconds,
    }


def query_counts(paths: dict[str, str]) -> dict[str, dict]:
    """Queries and status per page, each page requested twice (the second count excludes warm-up caches)."""
    client = Client()
    user = bench_user()
    client.force_login(user, backend=BACKEND)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = _device(user).persistent_id
    session.save()
    counts = {}
    for name, path in paths.items():
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        counts[name] = {"queries": len(captured), "status": response.status_code}
    return counts


def _timed(function, repeat: int = 5) -> tuple[float, object]:
    """Median seconds of `repeat` calls, and the last result."""
    times, result = [], None
    for _index in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def dashboard_aggregates(months: int = 120) -> dict:
    """violence_by_month (the site statistics page) against the plain GROUP BY computing the same numbers."""
    user = bench_user()
    site = bench_site(user)
    incidents = Incident.unscoped_all_sites.filter(site=site)
    app_seconds, rows = _timed(lambda: violence_by_month(incidents, months=months, today=TODAY))
    start = rows[0].month + "-01"
    sql = """
        SELECT to_char(date_trunc('month', i.occurred_at AT TIME ZONE 'Europe/Stockholm'), 'YYYY-MM') AS month,
               count(*),
               count(*) FILTER (WHERE i.type = 'lethal' OR i.dead > 0),
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM incidents_involvement v
                                              WHERE v.incident_id = i.id AND v.group_id IS NOT NULL)),
               sum(i.dead), sum(i.injured),
               count(*) FILTER (WHERE i.type = 'explosion'),
               count(*) FILTER (WHERE i.type = 'shooting')
        FROM incidents_incident i
        WHERE i.site_id = %s AND (i.occurred_at AT TIME ZONE 'Europe/Stockholm')::date >= %s::date
        GROUP BY 1
    """

    def plain():
        with connection.cursor() as cursor:
            cursor.execute(sql, [site.pk, start])
            return {row[0]: tuple(int(v or 0) for v in row[1:]) for row in cursor.fetchall()}

    sql_seconds, by_month = _timed(plain)
    app = {
        r.month: (r.serious, r.lethal, r.group_involved, r.dead, r.injured, r.explosions, r.shootings)
        for r in rows
        if r.serious
    }
    return {
        "months": months,
        "incidents": sum(r.serious for r in rows),
        "app_seconds": app_seconds,
        "sql_seconds": sql_seconds,
        "ratio": app_seconds / sql_seconds,
        "equal": app == by_month,
    }


def import_throughput(rows: int = 500) -> dict:
    """The real incident importer (validated, all-or-nothing) against COPY of the same rows; both rolled back."""
    user = bench_user()
    site = bench_site(user)
    groups = list(
        Group.unscoped_all_sites.filter(site=site).order_by("pk").values_list("name", flat=True)[:50]
    )
    rng = np.random.default_rng(9)
    types = ["skjutning", "sprangning", "grov_misshandel", "mordbrand"]
    lines = ["tidpunkt;typ;omrade;doda;skadade;diarienummer;grupper_misstankta;grupper_utsatta"]
    records = []
    for index in range(rows):
        day = TODAY - timedelta(days=int(rng.integers(1, 3000)))
        hour, minute = int(rng.integers(0, 24)), int(rng.integers(0, 60))
        suspect, victim = rng.choice(len(groups), size=2, replace=False)
        reference = f"9000-K{index}"
        lines.append(
            f"{day:%Y-%m-%d} {hour:02d}:{minute:02d};{types[index % 4]};Centrum;0;1;{reference};"
            f"{groups[suspect]};{groups[victim]}"
        )
        records.append((day, hour, minute, reference))
    data = ("\n".join(lines) + "\n").encode()

    class _Rollback(Exception):
        pass

    started = time.perf_counter()
    try:
        with transaction.atomic():
            report = importers.import_file(user, "incidenter", io.BytesIO(data))
            raise _Rollback
    except _Rollback:
        pass
    import_seconds = time.perf_counter() - started
    if not report.committed:
        raise RuntimeError(f"bench import failed: {report.file_errors} {report.row_errors[:5]}")

    owner_id = user.memberships.order_by("-pk").first().organisation_id
    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            columns = (
                "site_id, owner_id, version, created_at, updated_at, type, confirmed_shooting, occurred_at, "
                "dead, injured, police_reference, status, summary"
            )
            with cursor.cursor.copy(f"COPY incidents_incident ({columns}) FROM STDIN") as copy:
                for day, hour, minute, reference in records:
                    at = f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}:00+01"
                    copy.write_row(
                        (
                            site.pk,
                            owner_id,
                            1,
                            at,
                            at,
                            "shooting",
                            False,
                            at,
                            0,
                            1,
                            reference,
                            "new",
                            "",
                        )
                    )
            raise _Rollback
    except _Rollback:
        pass
    copy_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "import_rows_per_s": rows / import_seconds,
        "copy_rows_per_s": rows / copy_seconds,
        "share_of_copy": copy_seconds / import_seconds,
    }


def hawkes_fit(reference_events: int = 1500) -> dict:
    """The pooled retaliation-risk model on every incident (one stream per suspect group, all sites)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.group_id, extract(epoch FROM i.occurred_at) FROM incidents_involvement v "
            "JOIN incidents_incident i ON i.id = v.incident_id WHERE v.role = 'suspect' AND v.person_id IS NULL "
            "AND v.group_id IS NOT NULL ORDER BY v.group_id, i.occurred_at"
        )
        pairs = np.array(cursor.fetchall(), dtype=float)
    load_seconds = time.perf_counter() - started
    origin = pairs[:, 1].min()
    days = (pairs[:, 1] - origin) / 86_400
    end = float(days.max()) + 1
    splits = np.flatnonzero(np.diff(pairs[:, 0])) + 1
    streams = [hawkes.Stream(times, end, 0.0, key) for key, times in enumerate(np.split(days, splits))]
    events = int(days.size)

    started = time.perf_counter()
    hawkes.fit_pooled(streams[:1], start_alphas=(0.5,), start_betas=(1 / 3,))  # warm-up (imports, SciPy)
    problem = hawkes._Problem(streams, hawkes.MU_BOUNDS, hawkes.ALPHA_BOUNDS, hawkes.BETA_BOUNDS)
    started = time.perf_counter()
    problem.objective(problem.start_point(0.5, 1 / 3))
    evaluation_seconds = time.perf_counter() - started
    started = time.perf_counter()
    fitted = hawkes.fit_pooled(streams)  # as the risk page fits: every default start point
    fit_seconds = time.perf_counter() - started

    # The linear recursion against the quadratic double sum, on the busiest stream's first events.
    busiest = max(streams, key=lambda s: s.n_events)
    subset = busiest.times[:reference_events]
    horizon = float(subset[-1]) + 1
    mu, alpha, beta = fitted.params(busiest.key)
    started = time.perf_counter()
    linear = hawkes.loglik(subset, mu, alpha, beta, horizon)
    linear_seconds = time.perf_counter() - started
    started = time.perf_counter()
    quadratic = hawkes.loglik_quadratic(subset, mu, alpha, beta, horizon)
    quadratic_seconds = time.perf_counter() - started
    return {
        "events": events,
        "streams": len(streams),
        "load_seconds": load_seconds,
        "evaluation_seconds": evaluation_seconds,
        "fit_seconds": fit_seconds,
        "alpha": fitted.alpha,
        "beta": fitted.beta,
        "converged": fitted.converged,
        "reference_events": int(subset.size),
        "linear_seconds": linear_seconds,
        "quadratic_seconds": quadratic_seconds,
        "loglik_linear": linear,
        "loglik_quadratic": quadratic,
        "agree": math.isclose(linear, quadratic, rel_tol=1e-9, abs_tol=1e-6),
        "default_starts": len(hawkes.START_ALPHAS) * len(hawkes.START_BETAS),
    }


def network_metrics_national() -> dict:
    """The group network measures (degree, betweenness, components, communities) on every site at once."""
    started = time.perf_counter()
    groups = {pk: {"label": name} for pk, name in Group.unscoped_all_sites.values_list("pk", "name")}
    relations = list(
        GroupRelation.unscoped_all_sites.values_list("group_a_id", "group_b_id", "type", "intensity")
    )
    graph = network.build_group_graph(groups, relations)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    metrics = network.network_metrics(graph)
    return {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "build_seconds": build_seconds,
        "metrics_seconds": time.perf_counter() - started,
        "communities": len(metrics.communities),
        "memberships": GroupMembership.unscoped_all_sites.count(),
        "involvements": Involvement.unscoped_all_sites.count(),
    }
