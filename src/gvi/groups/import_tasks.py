"""The worker's side of the group-audit import: a large file is checked (dry run) and, once the user has
confirmed the preview, imported by the worker instead of inside the request (gvi.operations.imports)."""

from django.core.files.base import ContentFile

from gvi.operations import imports
from gvi.operations.background import task

CHECK, COMMIT = "audit:check:", "audit:commit:"
KINDS_PREFIXES = (CHECK, COMMIT)


def job_kinds() -> tuple[str, ...]:
    from gvi.groups.importers import KINDS

    return tuple(prefix + kind for prefix in KINDS_PREFIXES for kind in KINDS)


def _runner(commit: bool):
    def run(job, content: bytes, progress) -> dict:
        from gvi.groups import importers

        kind = job.kind.removeprefix(COMMIT if commit else CHECK)
        source = ContentFile(content, name=job.file_name)
        action = importers.import_file if commit else importers.dry_run
        return importers.report_to_outcome(action(job.user, kind, source, progress=progress))

    return run


@task()
def check_import(job_id: int) -> dict:
    return imports.run(job_id, _runner(commit=False), keep_file=True)


@task()
def commit_import(job_id: int) -> dict:
    return imports.run(job_id, _runner(commit=True))
