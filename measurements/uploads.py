"""CSV uploads of readings: accept the file, then process it in resumable chunks.

The file is stored first and processed by a Celery job (`tasks.csv_upload_process`), so a
200 MB file never ties up a web worker and never sits in memory: the job reads one chunk of
lines at a time from the byte `offset` saved with the upload. Each chunk's readings and the
new offset commit in one transaction, so a job restarted after a crash resumes exactly where
the last commit left it — nothing stored twice, nothing skipped.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from citimeasure.audit import audit_record
from measurements.formats.cells import row_neutralise
from measurements.formats.csv_readings import CsvHeaderError, header_parse, line_row
from measurements.models import CsvUpload, Sensor, Source, UploadState
from measurements.services import IngestReport, RowResult, readings_ingest
from measurements.validation import Rejection, timezone_resolve
from projects.models import Project

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5_000
STALE_AFTER = timedelta(minutes=10)
REPORT_HEADER = ["line", "code", "message"]


class UploadTooLarge(ValidationError):
    """The file is over CSV_UPLOAD_MAX_BYTES (the API answers 413)."""


# --- shared by every channel that rejects some rows before the ingestion service ----------


def readings_ingest_checked(
    *, rows: list[dict[str, Any] | Rejection], source: str, actor=None, device=None
) -> IngestReport:
    """`readings_ingest` for rows a format parser already checked in part.

    `rows` holds a row dict, or the Rejection the parser raised for it; the report numbers
    rows from 0 in the given order, exactly as `readings_ingest` does, so callers answer
    with the same per-row report whatever the channel.
    """
    valid = [(i, r) for i, r in enumerate(rows) if not isinstance(r, Rejection)]
    report = readings_ingest(rows=[r for _, r in valid], source=source, actor=actor, device=device)
    results: list[RowResult | None] = [None] * len(rows)
    for (index, _), result in zip(valid, report.results, strict=True):
        # Renumber: the service counted only the rows it was given.
        message = result.message.replace(f"Row {result.index}:", f"Row {index}:", 1)
        results[index] = RowResult(index, result.status, result.code, message)
    for index, row in enumerate(rows):
        if isinstance(row, Rejection):
            results[index] = RowResult(index, "rejected", row.code, row.message)
    return IngestReport([r for r in results if r is not None])


# --- accepting the file -------------------------------------------------------------------


def _first_line(file: UploadedFile) -> str:
    file.seek(0)
    line = file.readline()
    file.seek(0)
    try:
        return line.decode("utf-8-sig") if isinstance(line, bytes) else line
    except UnicodeDecodeError:
        raise ValidationError({"file": "Line 1: the file is not UTF-8 text."}) from None


@transaction.atomic
def csv_upload_create(
    *, actor, project: Project, file: UploadedFile, declared_timezone: str = ""
) -> CsvUpload:
    """Store an uploaded CSV and enqueue its processing after commit.

    Checked before anything is stored: the actor is an active member of the project, the
    size is within CSV_UPLOAD_MAX_BYTES, the zone (if any) exists and the header names the
    right columns — so a wrong file fails at once, with no rows half-imported.
    """
    if project.role_of(actor) is None:
        raise PermissionDenied("Only members of the project can upload readings to it.")
    limit = settings.CSV_UPLOAD_MAX_BYTES
    if file.size > limit:
        raise UploadTooLarge(
            f"The file is {file.size:,} bytes; the limit is {limit:,} bytes "
            f"({limit // (1024 * 1024)} MB). Split it into smaller files."
        )
    if declared_timezone:
        try:
            timezone_resolve(declared_timezone)
        except ValueError as exc:
            raise ValidationError({"timezone": str(exc)}) from None
    try:
        header_parse(_first_line(file))
    except CsvHeaderError as exc:
        raise ValidationError({"file": str(exc)}) from None
    upload = CsvUpload(
        project=project,
        uploaded_by=actor,
        original_name=os.path.basename(file.name or "readings.csv")[:255],
        size=file.size,
        declared_timezone=declared_timezone.strip(),
    )
    # Saved under a generated name: the uploader's file name is kept as data only.
    upload.file.save(f"{timezone.now():%Y%m%d%H%M%S}.csv", file, save=False)
    upload.save()
    audit_record(
        actor=actor,
        action="csv_upload.create",
        obj=upload,
        summary=f"CSV upload of {upload.size} bytes to {project.slug}",
        data={"project": project.pk, "size": upload.size},
    )
    transaction.on_commit(lambda: _enqueue(upload.pk))
    return upload


def _enqueue(upload_id: int) -> None:
    """Start the job; with the broker away the upload stays queued and the sweep starts it."""
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from measurements.tasks import csv_upload_process

    try:
        csv_upload_process.apply_async((upload_id,), retry=False)
    except BrokerUnavailable:
        logger.warning("could not enqueue CSV upload %s; left to the sweep", upload_id)


# --- processing ---------------------------------------------------------------------------


def _report_path(upload: CsvUpload) -> Path:
    return Path(settings.MEDIA_ROOT) / upload.error_report.name


def _report_prepare(upload: CsvUpload, *, before_line: int) -> None:
    """Create the error report, or on resume drop lines a crashed, uncommitted chunk wrote
    (those rows are processed again), streaming so memory stays flat."""
    if not upload.error_report.name:
        upload.error_report.name = f"upload-errors/{upload.pk}-{timezone.now():%Y%m%d%H%M%S}.csv"
        CsvUpload.objects.filter(pk=upload.pk).update(error_report=upload.error_report.name)
    path = _report_path(upload)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with path.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerow(REPORT_HEADER)
        return
    kept = path.with_suffix(".tmp")
    with (
        path.open(newline="", encoding="utf-8") as src,
        kept.open("w", newline="", encoding="utf-8") as out,
    ):
        writer = csv.writer(out)
        for i, cells in enumerate(csv.reader(src)):
            if i == 0 or (cells and cells[0].isdigit() and int(cells[0]) < before_line):
                writer.writerow(cells)
    kept.replace(path)


def _read_lines(handle, *, limit: int) -> Iterator[tuple[bytes, int]]:
    """Up to `limit` lines from the handle's position, with each line's size in bytes."""
    for _ in range(limit):
        raw = handle.readline()
        if not raw:
            return
        yield raw, len(raw)


@dataclass
class _Chunk:
    rows: list[dict[str, Any] | Rejection]
    lines: list[int]
    size: int
    count: int  # lines read, blank ones too, so line numbers stay those of the file


def _chunk_parse(handle, *, columns, tz, first_line: int, project_sensor_ids) -> _Chunk:
    rows: list[dict[str, Any] | Rejection] = []
    lines: list[int] = []
    size = count = 0
    for n, (raw, length) in enumerate(_read_lines(handle, limit=CHUNK_ROWS)):
        size, count = size + length, count + 1
        line_no = first_line + n
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            rows.append(Rejection(line_no, "encoding_invalid", f"Line {line_no}: not UTF-8."))
            lines.append(line_no)
            continue
        if not text.strip():
            continue
        try:
            row = line_row(text, columns=columns, tz=tz, line_no=line_no)
            if _sensor_id(row.get("sensor")) not in project_sensor_ids:
                raise Rejection(
                    line_no,
                    "unknown_sensor",
                    f"Line {line_no}: sensor {row.get('sensor')!r} is not a sensor of this "
                    "project you may write to.",
                )
        except Rejection as rejection:
            row = rejection
        rows.append(row)
        lines.append(line_no)
    return _Chunk(rows, lines, size, count)


def _sensor_id(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _report_write(upload: CsvUpload, chunk: _Chunk, report: IngestReport) -> None:
    with _report_path(upload).open("a", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for result in report.results:
            if result.status == "rejected":
                line_no = chunk.lines[result.index]
                message = result.message.replace(f"Row {result.index}:", f"Line {line_no}:", 1)
                writer.writerow(row_neutralise([line_no, result.code, message]))


def _file_state(upload: CsvUpload) -> tuple[list[str], int]:
    with upload.file.open("rb") as handle:
        header = handle.readline()
        return header_parse(header.decode("utf-8-sig")), len(header)


def csv_upload_process(*, upload_id: int, max_chunks: int | None = None) -> CsvUpload | None:
    """Process an upload from its saved offset to the end (or for `max_chunks` chunks).

    Each chunk: lock the upload row, read up to CHUNK_ROWS lines from `offset`, ingest them as
    the uploader and save the new offset and counters — all in one transaction. A second
    worker on the same upload waits on the lock and then continues from the new offset, so
    chunks are never processed twice. Returns the upload (None when it is gone or finished).
    """
    upload = CsvUpload.objects.filter(pk=upload_id).first()
    if upload is None or upload.state in (UploadState.DONE, UploadState.FAILED):
        return None
    try:
        columns, header_size = _file_state(upload)
    except (CsvHeaderError, UnicodeDecodeError, OSError) as exc:
        return _finish(upload, state=UploadState.FAILED, message=str(exc))
    tz = timezone_resolve(upload.declared_timezone) if upload.declared_timezone else None
    project_sensor_ids = set(
        Sensor.objects.writable_by(upload.uploaded_by)
        .filter(project=upload.project_id)
        .values_list("pk", flat=True)
    )
    claimed = CsvUpload.objects.filter(
        pk=upload.pk, state__in=[UploadState.QUEUED, UploadState.RUNNING]
    ).update(state=UploadState.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    _report_prepare(upload, before_line=upload.rows_done + 2)
    chunks = 0
    with upload.file.open("rb") as handle:
        while max_chunks is None or chunks < max_chunks:
            with transaction.atomic():
                locked = CsvUpload.objects.select_for_update().get(pk=upload.pk)
                if locked.state != UploadState.RUNNING:
                    return locked
                handle.seek(max(locked.offset, header_size))
                chunk = _chunk_parse(
                    handle,
                    columns=columns,
                    tz=tz,
                    first_line=locked.rows_done + 2,
                    project_sensor_ids=project_sensor_ids,
                )
                if not chunk.size:
                    break
                report = readings_ingest_checked(
                    rows=chunk.rows, source=Source.CSV, actor=upload.uploaded_by
                )
                _report_write(upload, chunk, report)
                CsvUpload.objects.filter(pk=upload.pk).update(
                    offset=max(locked.offset, header_size) + chunk.size,
                    rows_done=locked.rows_done + chunk.count,
                    accepted=locked.accepted + report.accepted,
                    duplicates=locked.duplicates + report.duplicates,
                    rejected=locked.rejected + report.rejected,
                    started_at=timezone.now(),  # doubles as the heartbeat the sweep reads
                )
            chunks += 1
        else:
            return CsvUpload.objects.get(pk=upload.pk)
    upload.refresh_from_db()
    return _finish(
        upload,
        state=UploadState.DONE,
        message=(
            f"{upload.accepted} readings stored, {upload.duplicates} already known, "
            f"{upload.rejected} rejected."
        ),
    )


def _finish(upload: CsvUpload, *, state: str, message: str) -> CsvUpload:
    upload.state, upload.message, upload.finished_at = state, message, timezone.now()
    if state == UploadState.DONE:
        upload.offset = upload.size
    upload.save(update_fields=["state", "message", "finished_at", "offset"])
    return upload


def csv_uploads_sweep(*, now=None) -> list[int]:
    """Ids of uploads queued or running without progress for STALE_AFTER (their worker died or
    their queue message was lost); the periodic task enqueues them again."""
    now = now or timezone.now()
    stale = CsvUpload.objects.filter(
        state__in=[UploadState.QUEUED, UploadState.RUNNING], created_at__lt=now - STALE_AFTER
    ).exclude(started_at__gte=now - STALE_AFTER)
    return list(stale.values_list("pk", flat=True))
