"""Pages for importing and exporting the group audit. Thin: parse the form, call importers/exports, render.

Between the dry run and the confirmation the uploaded file is kept server-side, encrypted with the field
key, as ``DATA_DIR/imports/<random token>.bin``; the session holds only the token, kind and file name.
On confirmation the file is validated again from scratch by the import itself.
"""

import re
import secrets
import time
from datetime import timedelta
from functools import wraps
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gvi.access import identity
from gvi.access.decorators import user_roles
from gvi.access.permissions import CREATE, role_may
from gvi.groups import exports, import_tasks, importers
from gvi.operations import imports

PENDING_SESSION_KEY = "gvi_pending_import"
PENDING_MAX_AGE_SECONDS = 30 * 60
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,64}")
SHOWN_ERRORS = 500
SHOWN_CREATED = 200
# Files up to this size are checked at once, inside the request (a few hundred rows: under a second);
# larger ones by the background worker, with their progress on the import's own page.
IN_REQUEST_BYTES = 100_000


def importable_kinds(user) -> list[str]:
    roles = user_roles(user)
    return [
        kind
        for kind in importers.KINDS
        if any(role_may(role, importers.RECORD_TYPES[kind], CREATE) for role in roles)
    ]


def _kind_choices(kinds: list[str]) -> list[tuple[str, str]]:
    return [(kind, importers.kind_label(kind).capitalize()) for kind in kinds]


def _requires_kinds(kinds_for):
    """The page needs a role that may import (or export) at least one kind of record."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not kinds_for(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# ----- forms -----


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Vad innehåller filen?"))
    file = forms.FileField(
        label=gettext_lazy("Fil"),
        help_text=gettext_lazy(
            "CSV (UTF-8, komma eller semikolon) eller Excel-arbetsbok (.xlsx), högst 5 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices(kinds)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importers.MAX_FILE_BYTES:
            raise forms.ValidationError(importers.file_too_big_message())
        return upload


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Vad ska exporteras?"))
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            ("xlsx", gettext_lazy("Excel-arbetsbok (.xlsx)")),
            ("csv", gettext_lazy("CSV för Excel (;)")),
        ],
    )
    purpose = forms.CharField(
        label=gettext_lazy("Ändamål"),
        max_length=300,
        help_text=gettext_lazy("Varför behövs exporten? Ändamålet sparas i åtkomstloggen för varje person."),
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices(kinds)


# ----- the pending upload between dry run and confirmation -----


def _pending_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def _pending_path(token: str) -> Path | None:
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        return None
    return _pending_dir() / f"{token}.bin"


def _sweep_stale_pending() -> None:
    directory = _pending_dir()
    if not directory.is_dir():
        return
    limit = time.time() - 2 * PENDING_MAX_AGE_SECONDS
    for path in directory.glob("*.bin"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def _store_pending(request, kind: str, name: str, data: bytes) -> str:
    _discard_pending(request)
    _sweep_stale_pending()
    token = secrets.token_urlsafe(32)
    directory = _pending_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = _pending_path(token)
    path.write_bytes(Fernet(identity.field_key()).encrypt(data))
    path.chmod(0o600)
    request.session[PENDING_SESSION_KEY] = {
        "token": token,
        "kind": kind,
        "name": name[:200],
        "user": request.user.pk,
        "at": time.time(),
    }
    return token


def _load_pending(pending: dict) -> bytes | None:
    path = _pending_path(pending.get("token"))
    if path is None or not path.is_file():
        return None
    try:
        return Fernet(identity.field_key()).decrypt(path.read_bytes(), ttl=PENDING_MAX_AGE_SECONDS)
    except (InvalidToken, OSError):
        return None


def _discard_pending(request) -> None:
    pending = request.session.pop(PENDING_SESSION_KEY, None)
    if isinstance(pending, dict):
        path = _pending_path(pending.get("token"))
        if path is not None:
            path.unlink(missing_ok=True)


# ----- views -----


def _report_context(report, token=None) -> dict:
    return {
        "report": report,
        "token": token,
        "shown_errors": report.errors[:SHOWN_ERRORS],
        "hidden_errors": max(0, report.error_count - SHOWN_ERRORS),
        "shown_created": report.created[:SHOWN_CREATED],
        "hidden_created": max(0, report.created_count - SHOWN_CREATED),
    }


@_requires_kinds(importable_kinds)
def import_upload(request):
    """Choose kind and file; the upload is dry-run and the report shown with a confirm button."""
    kinds = importable_kinds(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(importers.MAX_FILE_BYTES + 1)
        job = _checked_by_the_worker(request, form.cleaned_data["kind"], upload.name, data)
        if job is not None:
            return redirect("audit_io:import_job", job=job.public_id)
        source = ContentFile(data, name=upload.name)
        report = importers.dry_run(request.user, form.cleaned_data["kind"], source)
        token = None
        if report.ok:
            token = _store_pending(request, form.cleaned_data["kind"], upload.name, data)
        else:
            _discard_pending(request)
        return render(request, "groups/import_report.html", _report_context(report, token))
    return render(
        request,
        "groups/import_upload.html",
        {
            "form": form,
            "columns": [(kind, importers.COLUMNS[kind]) for kind in kinds],
            "assistant": {importers.GROUPS, importers.PERSONS, importers.MEMBERSHIPS} <= set(kinds),
        },
    )


def _checked_by_the_worker(request, kind: str, name: str, data: bytes):
    """A file larger than IN_REQUEST_BYTES is checked by the worker; a small one at once, in the request.
    None when the request checks it (small, or the user may not import this kind: the dry run says so)."""
    if len(data) <= IN_REQUEST_BYTES:
        return None
    try:
        membership = importers.creating_membership(request.user, importers.MODELS[kind])
    except PermissionDenied:
        return None
    _discard_pending(request)
    return imports.start(
        import_tasks.check_import,
        user=request.user,
        site=membership.site,
        kind=import_tasks.CHECK + kind,
        file_name=name,
        content=data,
    )


@_requires_kinds(importable_kinds)
def import_job(request, job):
    """A file checked or imported by the worker: progress while it runs, then the report (with the
    confirmation of a clean check, or the outcome of the import)."""
    found = imports.job_for(request.user, job, import_tasks.job_kinds())
    if found is None:
        raise Http404
    state = imports.state(found)
    context = {"job": found, "state": state, "done_template": "groups/_import_job_done.html"}
    if state in {imports.QUEUED, imports.RUNNING}:
        context["progress"] = imports.progress_of(found)
    outcome = imports.outcome_of(found) if state == imports.DONE else None
    if outcome is not None:
        report = importers.report_from_outcome(outcome)
        context.update(_report_context(report))
        context["confirmable"] = report.dry_run and report.ok and bool(bytes(found.content))
    return render(request, "groups/import_job.html", context)


def _confirm_checked_job(request):
    """The user confirms a file the worker checked: the worker imports it (checked again, all or nothing)."""
    found = imports.job_for(request.user, request.POST.get("job"), import_tasks.job_kinds())
    fresh = found is not None and timezone.now() - found.created_at <= timedelta(
        seconds=PENDING_MAX_AGE_SECONDS
    )
    outcome = imports.outcome_of(found) if fresh and found.kind.startswith(import_tasks.CHECK) else None
    follow = None
    if outcome is not None and not outcome["errors"]:
        kind = import_tasks.COMMIT + found.kind.removeprefix(import_tasks.CHECK)
        follow = imports.continue_with(import_tasks.commit_import, found, kind)
    if follow is None:
        messages.error(
            request, _("Det finns ingen förhandsgranskad import att bekräfta. Ladda upp filen på nytt.")
        )
        return redirect("audit_io:import_upload")
    return redirect("audit_io:import_job", job=follow.public_id)


@_requires_kinds(importable_kinds)
@require_POST
def import_confirm(request):
    """Import the previewed file: validated again, all-or-nothing."""
    if request.POST.get("job"):
        return _confirm_checked_job(request)
    pending = request.session.get(PENDING_SESSION_KEY)
    valid = (
        isinstance(pending, dict)
        and pending.get("user") == request.user.pk
        and time.time() - float(pending.get("at", 0)) <= PENDING_MAX_AGE_SECONDS
        and constant_time_compare(str(request.POST.get("token", "")), str(pending.get("token", "")))
    )
    data = _load_pending(pending) if valid else None
    if data is None:
        if isinstance(pending, dict) and request.POST.get("token") == pending.get("token"):
            _discard_pending(request)
        messages.error(
            request, _("Det finns ingen förhandsgranskad import att bekräfta. Ladda upp filen på nytt.")
        )
        return redirect("audit_io:import_upload")
    _discard_pending(request)
    report = importers.import_file(request.user, pending["kind"], ContentFile(data, name=pending["name"]))
    if report.ok:
        messages.success(request, report.summary())
        return redirect("audit_io:import_upload")
    return render(request, "groups/import_report.html", _report_context(report))


@_requires_kinds(exports.exportable_kinds)
def export(request):
    """Choose kind and format; the download is a POST because every exported person is logged."""
    form = ExportForm(request.POST or None, kinds=exports.exportable_kinds(request.user))
    if request.method == "POST" and form.is_valid():
        result = exports.export_records(
            request.user, form.cleaned_data["kind"], form.cleaned_data["format"], form.cleaned_data["purpose"]
        )
        response = HttpResponse(result.content, content_type=result.content_type)
        response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
        return response
    return render(request, "groups/export.html", {"form": form})
