import os
import socket

from django.conf import settings
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from gvi.operations.worker import Worker


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background worker: queued tasks (read-model recomputations) and the scheduled jobs "
        "(purge, access-log verification, risk and network recomputation). Stop with Ctrl-C or SIGTERM: "
        "the running task is finished first."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=default_worker_id(), reload=False, queue_name="*")
        parser.add_argument(
            "--no-schedule",
            action="store_false",
            dest="schedule",
            help="Run queued tasks only; do not enqueue the scheduled jobs (another worker does).",
        )
        parser.add_argument(
            "--housekeeping-seconds",
            type=float,
            default=settings.GVI_WORKER_HEARTBEAT_SECONDS,
            help="Seconds between heartbeats, recovery of abandoned tasks and scheduling (default: %(default)s).",
        )

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        max_tasks,
        worker_id,
        exclude_queues,
        schedule,
        housekeeping_seconds,
        **options,
    ):
        self.configure_logging(verbosity)
        worker = Worker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            housekeeping_seconds=housekeeping_seconds,
            schedule=schedule,
        )
        worker.configure_signals()
        worker.run()
