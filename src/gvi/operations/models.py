"""What the background worker keeps in the database: who is alive, which scheduled runs were enqueued,
which read models wait for a recomputation, and the import jobs (their files encrypted). Only an import
job can hold person data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gvi.partnership.models import Site


class WorkerHeartbeat(models.Model):
    """One running `gvi worker` process; `seen_at` is renewed every few seconds by the process itself.

    A task claimed by a worker whose heartbeat stopped (killed, machine lost) is handed back to the queue;
    the readiness check asks for a recent heartbeat."""

    worker_id = models.CharField(_("arbetar-id"), max_length=64, primary_key=True)
    hostname = models.CharField(_("värd"), max_length=255)
    pid = models.PositiveIntegerField(_("process"))
    started_at = models.DateTimeField(_("startad"))
    seen_at = models.DateTimeField(_("senast sedd"), db_index=True)

    class Meta:
        verbose_name = _("bakgrundsarbetare")
        verbose_name_plural = _("bakgrundsarbetare")

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} ({self.worker_id})"


class ScheduledRun(models.Model):
    """A scheduled job's run for one slot (e.g. the purge of 2026-11-29 03:30): the unique pair makes
    sure that of several workers exactly one enqueues it."""

    job = models.CharField(_("jobb"), max_length=50)
    slot = models.DateTimeField(_("tidpunkt"))
    enqueued_at = models.DateTimeField(_("köad"), auto_now_add=True)
    task_id = models.CharField(_("uppgifts-id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("schemalagd körning")
        verbose_name_plural = _("schemalagda körningar")
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="operations_run_once_per_slot")]
        indexes = [models.Index(fields=["job", "-slot"])]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot.isoformat()}"


class PendingRecomputation(models.Model):
    """A read model (risk, network) of one site that waits for the worker: changes within the debounce
    window share one recomputation. `generation` counts the requests, so a request that arrives while the
    recomputation runs is never swallowed by it (see gvi.operations.recompute)."""

    kind = models.CharField(_("slag"), max_length=30)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", verbose_name=_("plats"))
    generation = models.PositiveBigIntegerField(_("generation"), default=1)
    requested_at = models.DateTimeField(_("begärd"))
    enqueued_at = models.DateTimeField(_("köad"))

    class Meta:
        verbose_name = _("väntande omräkning")
        verbose_name_plural = _("väntande omräkningar")
        constraints = [
            models.UniqueConstraint(fields=["kind", "site"], name="operations_one_pending_per_site")
        ]

    def __str__(self) -> str:
        return f"{self.kind} site {self.site_id} (generation {self.generation})"


class ImportJob(models.Model):
    """One uploaded file imported by the worker instead of inside the request (a large workbook takes
    minutes). The file and the outcome are kept encrypted with the field key (an import may hold person
    data); the file is emptied when the import has run, the job itself removed after JOBS_KEPT.

    The job is finished in the same transaction as the import it records (gvi.operations.imports.run), so
    a worker killed mid-way leaves the job waiting and nothing imported, and the retry runs it once."""

    public_id = models.UUIDField(_("jobb-id"), unique=True, editable=False)
    kind = models.CharField(_("slag"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("användare")
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", verbose_name=_("plats"))
    file_name = models.CharField(_("filnamn"), max_length=200)
    content = models.BinaryField(_("fil (krypterad)"), default=b"")
    outcome = models.BinaryField(_("utfall (krypterat)"), default=b"")
    task_id = models.CharField(_("uppgifts-id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("skapad"), db_index=True)
    finished_at = models.DateTimeField(_("klar"), null=True, blank=True)

    class Meta:
        verbose_name = _("importjobb")
        verbose_name_plural = _("importjobb")

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"
