"""Pages of the import assistant (gvi.groups.assistant): upload, mapping with preview and dry run, confirm;
saved mappings. Analysts only (the roles that may import groups, persons and memberships alike).

Between the steps the sheet is kept server-side encrypted, exactly like an ordinary pending import
(``DATA_DIR/imports/<token>.bin``, Fernet with the field key), together with the current mapping; the
session holds only the token, the file name, the user and the time.
"""

import base64
import json
import secrets
import time
from functools import wraps

from cryptography.fernet import Fernet, InvalidToken
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gvi.access import identity
from gvi.groups import assistant, importers
from gvi.groups.import_views import (
    PENDING_MAX_AGE_SECONDS,
    _pending_dir,
    _pending_path,
    _sweep_stale_pending,
    importable_kinds,
)
from gvi.groups.models import Group, ImportMapping

SESSION_KEY = "gvi_assistant_import"
ALL_KINDS = {importers.GROUPS, importers.PERSONS, importers.MEMBERSHIPS}


def _requires_analyst(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not ALL_KINDS <= set(importable_kinds(request.user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _saved_mappings(user):
    membership = importers.creating_membership(user, Group)
    return ImportMapping.objects.filter(
        site_id=membership.site_id, organisation_id=membership.organisation_id
    )


# ----- the pending sheet (encrypted, with its mapping) -----


def _store(request, name: str, data: bytes, mapping: assistant.Mapping, token: str | None = None) -> str:
    if token is None:
        _discard(request)
        _sweep_stale_pending()
        token = secrets.token_urlsafe(32)
    directory = _pending_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = _pending_path(token)
    blob = json.dumps({"mapping": mapping.as_data(), "data": base64.b64encode(data).decode("ascii")})
    path.write_bytes(Fernet(identity.field_key()).encrypt(blob.encode("utf-8")))
    path.chmod(0o600)
    request.session[SESSION_KEY] = {
        "token": token,
        "name": name[:200],
        "user": request.user.pk,
        "at": time.time(),
        "checked": False,
    }
    return token


def _pending(request):
    """(session entry, data, mapping) of the user's sheet, or None."""
    pending = request.session.get(SESSION_KEY)
    if not (
        isinstance(pending, dict)
        and pending.get("user") == request.user.pk
        and time.time() - float(pending.get("at", 0)) <= PENDING_MAX_AGE_SECONDS
    ):
        return None
    path = _pending_path(pending.get("token"))
    if path is None or not path.is_file():
        return None
    try:
        blob = json.loads(
            Fernet(identity.field_key()).decrypt(path.read_bytes(), ttl=PENDING_MAX_AGE_SECONDS)
        )
    except (InvalidToken, OSError, ValueError):
        return None
    return pending, base64.b64decode(blob["data"]), assistant.Mapping.from_data(blob["mapping"])


def _discard(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if isinstance(pending, dict):
        path = _pending_path(pending.get("token"))
        if path is not None:
            path.unlink(missing_ok=True)


# ----- step 1: upload -----


class AssistantUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Arbetsbok eller fil"),
        help_text=gettext_lazy("Excel-arbetsbok (.xlsx, första bladet) eller CSV, högst 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    saved = forms.ModelChoiceField(
        label=gettext_lazy("Använd en sparad mappning"),
        queryset=ImportMapping.objects.none(),
        required=False,
        empty_label=gettext_lazy("Ingen – gissa utifrån rubrikerna"),
    )

    def __init__(self, *args, mappings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved"].queryset = mappings

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importers.MAX_FILE_BYTES:
            raise forms.ValidationError(importers.file_too_big_message())
        return upload


@_requires_analyst
def assistant_upload(request):
    mappings = _saved_mappings(request.user)
    form = AssistantUploadForm(request.POST or None, request.FILES or None, mappings=mappings)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(importers.MAX_FILE_BYTES + 1)
        try:
            sheet = assistant.read_sheet(data, upload.name)
        except importers.ImportFileError as error:
            for message in error.messages:
                form.add_error("file", message)
        else:
            mapping = assistant.initial_mapping(sheet, form.cleaned_data["saved"])
            _store(request, upload.name, data, mapping)
            return redirect("audit_io:assistant_map")
    return render(request, "groups/assistant_upload.html", {"form": form, "mappings": mappings})


# ----- step 2: mapping, preview and dry run -----


def _mapping_from_post(post, sheet: assistant.Sheet, previous: assistant.Mapping) -> assistant.Mapping:
    numbers = {number for number, _cells in sheet.rows}
    try:
        header_row = int(post.get("header_row", previous.header_row))
    except (TypeError, ValueError):
        header_row = previous.header_row
    header_row = header_row if header_row in numbers else previous.header_row
    if header_row != previous.header_row:
        mapping = assistant.Mapping(header_row, assistant.guess_columns(sheet, header_row))
        mapping.values = {key: dict(values) for key, values in previous.values.items()}
        assistant.fill_value_guesses(sheet, mapping)
    else:
        columns, used = {}, set()
        for index in range(sheet.width):
            key = post.get(f"column_{index}", previous.columns.get(index, ""))
            if key in assistant.FIELDS_BY_KEY and key not in used:
                columns[index] = key
                used.add(key)
        mapping = assistant.Mapping(header_row, columns)
    for key, values in assistant.unknown_values(sheet, mapping).items():
        allowed = assistant.FIELDS_BY_KEY[key].choices
        chosen = {}
        for position, value in enumerate(values):
            code = post.get(f"value_{key}_{position}")
            if code is None:
                code = previous.values.get(key, {}).get(importers._key(value)) or assistant.guess_value(
                    key, value
                )
            if code in allowed.values():
                chosen[importers._key(value)] = code
        mapping.values[key] = chosen
    for item in assistant.FIELDS:
        if item.key not in assistant.DEFAULTABLE:
            continue
        value = post.get(f"default_{item.key}")
        value = previous.defaults.get(item.key, "") if value is None else value.strip()[:500]
        if item.choices is not None and value not in item.choices.values():
            value = ""
        if value:
            mapping.defaults[item.key] = value
    return mapping


def _map_context(request, sheet, mapping, pending, **extra) -> dict:
    header = sheet.header(mapping.header_row)
    unknown = assistant.unknown_values(sheet, mapping)
    missing = assistant.missing_fields(mapping)
    choices = [("", _("Ignorera"))] + [(item.key, str(item.label)) for item in assistant.FIELDS]
    return {
        "name": pending["name"],
        "token": pending["token"],
        "reading": sheet.reading,
        "preview": [
            (number, [importers._as_text(cell) for cell in cells] + [""] * (sheet.width - len(cells)))
            for number, cells in sheet.rows[: assistant.PREVIEW_ROWS]
        ],
        "row_numbers": [number for number, _cells in sheet.rows[: assistant.PREVIEW_ROWS * 2]],
        "mapping": mapping,
        "columns": [
            (index, heading or f"#{index + 1}", mapping.columns.get(index, ""))
            for index, heading in enumerate(header)
        ],
        "field_choices": choices,
        "values": [
            (
                key,
                assistant.FIELDS_BY_KEY[key].label,
                [
                    (position, value, mapping.values.get(key, {}).get(importers._key(value), ""))
                    for position, value in enumerate(values)
                ],
                list(assistant.FIELDS_BY_KEY[key].choices.values()),
            )
            for key, values in unknown.items()
        ],
        # Every field a default can stand in for: the ones without a column first (a required one must have
        # a default), then the mapped ones (their default fills the sheet's empty cells).
        "defaults": [
            (
                item,
                mapping.defaults.get(item.key, ""),
                list(item.choices.values()) if item.choices else None,
                item.required and item in missing,
            )
            for item in [
                *missing,
                *(
                    item
                    for item in assistant.FIELDS
                    if item.key in assistant.DEFAULTABLE and item not in missing
                ),
            ]
        ],
        "errors": assistant.mapping_errors(mapping),
        **extra,
    }


@_requires_analyst
def assistant_map(request):
    found = _pending(request)
    if found is None:
        messages.error(request, _("Det finns ingen uppladdad arbetsbok. Ladda upp den på nytt."))
        return redirect("audit_io:assistant_upload")
    pending, data, mapping = found
    try:
        sheet = assistant.read_sheet(data, pending["name"])
    except importers.ImportFileError:
        _discard(request)
        return redirect("audit_io:assistant_upload")
    extra = {}
    if request.method == "POST":
        mapping = _mapping_from_post(request.POST, sheet, mapping)
        _store(request, pending["name"], data, mapping, token=pending["token"])
        action = request.POST.get("action")
        if action == "save":
            extra["saved"] = _save_mapping(request, sheet, mapping)
        elif action == "preview" and not assistant.mapping_errors(mapping):
            try:
                built, reports = assistant.run(
                    request.user, sheet, mapping, commit=False, filename=pending["name"]
                )
            except importers.ImportFileError as error:
                extra["file_errors"] = error.messages
            else:
                ok = all(report.ok for report in reports)
                if ok:
                    request.session[SESSION_KEY] = {**request.session[SESSION_KEY], "checked": True}
                extra.update({"built": built, "reports": reports, "ok": ok})
    return render(
        request, "groups/assistant_map.html", _map_context(request, sheet, mapping, pending, **extra)
    )


def _save_mapping(request, sheet, mapping) -> bool:
    name = " ".join(str(request.POST.get("mapping_name", "")).split())[:100]
    if not name:
        messages.error(request, _("Ange ett namn för mappningen."))
        return False
    membership = importers.creating_membership(request.user, Group)
    try:
        with transaction.atomic():
            ImportMapping.objects.update_or_create(
                site_id=membership.site_id,
                organisation_id=membership.organisation_id,
                name=name,
                defaults={
                    "header_row": mapping.header_row,
                    "columns": assistant.saveable_columns(sheet, mapping),
                    "values": assistant.saveable_values(mapping),
                    "defaults": mapping.defaults,
                    "created_by": request.user,
                },
            )
    except IntegrityError:
        return False
    messages.success(request, _("Mappningen ”%(name)s” har sparats.") % {"name": name})
    return True


# ----- step 3: confirm -----


@_requires_analyst
@require_POST
def assistant_confirm(request):
    found = _pending(request)
    valid = (
        found is not None
        and found[0].get("checked")
        and constant_time_compare(str(request.POST.get("token", "")), str(found[0].get("token", "")))
    )
    if not valid:
        messages.error(
            request, _("Det finns ingen förhandsgranskad import att bekräfta. Ladda upp arbetsboken på nytt.")
        )
        return redirect("audit_io:assistant_upload")
    pending, data, mapping = found
    _discard(request)  # before importing: a second confirmation finds nothing to import
    try:
        sheet = assistant.read_sheet(data, pending["name"])
        built, reports = assistant.run(request.user, sheet, mapping, commit=True, filename=pending["name"])
    except importers.ImportFileError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("audit_io:assistant_upload")
    if all(report.committed for report in reports):
        for report in reports:
            messages.success(request, report.summary())
        return redirect("audit_io:assistant_upload")
    return render(request, "groups/assistant_result.html", {"built": built, "reports": reports})


# ----- saved mappings -----


@_requires_analyst
def assistant_mapping_delete(request, pk):
    mapping = _saved_mappings(request.user).filter(pk=pk).first()
    if mapping is None:
        raise Http404
    if request.method == "POST":
        mapping.delete()
        messages.success(request, _("Mappningen ”%(name)s” har tagits bort.") % {"name": mapping.name})
        return redirect("audit_io:assistant_upload")
    return render(request, "groups/assistant_mapping_delete.html", {"mapping": mapping})
