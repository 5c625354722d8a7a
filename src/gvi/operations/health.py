"""Health endpoints for operators and load balancers, without authentication and revealing nothing else.

- liveness (`/halsa/`): the process answers; touches no database, so a database outage does not get
  healthy web processes restarted;
- readiness (`/halsa/redo/`): the database answers, every migration is applied and a background worker
  has sent a heartbeat within `GVI_WORKER_STALE_SECONDS`. 200 when all hold, otherwise 503; the body
  names only which of the three checks failed.
"""

from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gvi.operations.models import WorkerHeartbeat
from gvi.operations.worker import stale_before

OK, FAILED = "ok", "failed"
_migrations_applied = False  # once seen applied, stays so for this process (its code does not change)


@never_cache
@require_GET
@transaction.non_atomic_requests
def liveness(request):
    return JsonResponse({"status": OK})


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _migrations() -> bool:
    global _migrations_applied
    if not _migrations_applied:
        try:
            executor = MigrationExecutor(connection)
            _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            return False
    return _migrations_applied


def _worker() -> bool:
    try:
        return WorkerHeartbeat.objects.filter(seen_at__gte=stale_before()).exists()
    except DatabaseError:
        return False


@never_cache
@require_GET
@transaction.non_atomic_requests
def readiness(request):
    database = _database()
    checks = {
        "database": database,
        "migrations": database and _migrations(),
        "worker": database and _worker(),
    }
    ready = all(checks.values())
    return JsonResponse(
        {
            "status": OK if ready else "unavailable",
            "checks": {k: OK if v else FAILED for k, v in checks.items()},
        },
        status=200 if ready else 503,
    )
