"""CSV uploads: the file is checked, stored and processed in resumable chunks."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from citimeasure.models import ApiToken, AuditEvent
from measurements import uploads
from measurements.models import CsvUpload, Reading, UploadState
from measurements.validation import Rejection, localize, parse_local_time
from tests.measurements.factories import SensorFactory, quantity

pytestmark = pytest.mark.django_db

URL = "/api/v1/uploads/"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sensor(published, bob):
    return SensorFactory(project=published, owner=bob)


def csv_body(sensor, count: int, start=T0, header="sensor,quantity,time,value,unit") -> bytes:
    lines = [header]
    for i in range(count):
        lines.append(f"{sensor.pk},pm25,{(start + timedelta(minutes=i)).isoformat()},{5 + i % 20},")
    return ("\n".join(lines) + "\n").encode()


def make_upload(actor, project, body: bytes, tz: str = "") -> CsvUpload:
    return uploads.csv_upload_create(
        actor=actor,
        project=project,
        file=SimpleUploadedFile("readings.csv", body, content_type="text/csv"),
        declared_timezone=tz,
    )


def report_lines(upload: CsvUpload) -> list[list[str]]:
    upload.refresh_from_db()
    with upload.error_report.open("rb") as handle:
        return list(csv.reader(io.StringIO(handle.read().decode())))


# --- time zones (pure) ----------------------------------------------------------------


def test_it_reads_a_time_without_offset_in_the_declared_zone():
    assert parse_local_time("2024-07-01T14:00:00", tz=AMSTERDAM, index=3) == datetime(
        2024, 7, 1, 12, 0, tzinfo=UTC
    )
    assert parse_local_time("2024-01-15 14:00", tz=AMSTERDAM, index=3) == datetime(
        2024, 1, 15, 13, 0, tzinfo=UTC
    )


def test_it_keeps_rejecting_a_time_without_offset_when_no_zone_is_declared():
    with pytest.raises(Rejection) as raised:
        parse_local_time("2024-07-01T14:00:00", tz=None, index=3)
    assert raised.value.code == "time_without_offset"


def test_it_rejects_the_hour_that_happens_twice_when_clocks_go_back():
    with pytest.raises(Rejection) as raised:
        localize(datetime(2024, 10, 27, 2, 30), AMSTERDAM, raw="2024-10-27T02:30", index=1)
    assert raised.value.code == "time_ambiguous"
    assert "2024-10-27T02:30" in raised.value.message


def test_it_rejects_the_hour_that_never_happens_when_clocks_go_forward():
    with pytest.raises(Rejection) as raised:
        localize(datetime(2024, 3, 31, 2, 30), AMSTERDAM, raw="2024-03-31T02:30", index=1)
    assert raised.value.code == "time_nonexistent"


def test_it_accepts_the_hours_either_side_of_a_dst_change():
    before = parse_local_time("2024-10-27T01:59:00", tz=AMSTERDAM, index=0)
    after = parse_local_time("2024-10-27T03:00:00", tz=AMSTERDAM, index=0)
    assert before == datetime(2024, 10, 26, 23, 59, tzinfo=UTC)
    assert after == datetime(2024, 10, 27, 2, 0, tzinfo=UTC)


# --- accepting the file ---------------------------------------------------------------


def test_it_processes_a_good_file_and_stores_every_row(
    published, bob, sensor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload = make_upload(bob, published, csv_body(sensor, 12))
    upload.refresh_from_db()
    assert upload.state == UploadState.DONE
    assert (upload.accepted, upload.duplicates, upload.rejected) == (12, 0, 0)
    assert upload.progress == 100
    assert Reading.objects.filter(sensor=sensor, source="csv").count() == 12
    assert AuditEvent.objects.filter(action="csv_upload.create", object_id=str(upload.pk)).exists()


def test_it_reports_each_bad_line_with_its_line_number_and_code(published, bob, alice, sensor):
    other = SensorFactory(owner=alice)  # another project: not writable through this upload
    sensor.quantities.set([quantity("pm25")])
    body = (
        "sensor,quantity,time,value\n"
        f"{sensor.pk},pm25,2024-05-01T10:00:00Z,5\n"
        f"{sensor.pk},pm25,2024-05-01T10:01:00,5\n"
        f"{sensor.pk},pm25,2024-05-01T10:02:00Z,abc\n"
        f"{sensor.pk},nonsense,2024-05-01T10:03:00Z,5\n"
        f"{other.pk},pm25,2024-05-01T10:04:00Z,5\n"
        f"{sensor.pk},pm25,2024-05-01T10:05:00Z\n"
        "\n"
        f"{sensor.pk},pm25,2024-05-01T10:06:00Z,-5\n"
        f"{sensor.pk},pm25,2024-05-01T10:07:00Z,=1+2\n"
    ).encode()
    upload = make_upload(bob, published, body)
    uploads.csv_upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.state == UploadState.DONE
    assert (upload.accepted, upload.rejected) == (1, 7)
    lines = report_lines(upload)
    assert lines[0] == ["line", "code", "message"]
    codes = {int(line): code for line, code, _ in lines[1:]}
    assert codes == {
        3: "time_without_offset",
        4: "value_not_numeric",
        5: "unknown_quantity",
        6: "unknown_sensor",
        7: "columns_mismatch",
        9: "value_impossible",
        10: "value_not_numeric",
    }
    messages = [message for _, _, message in lines[1:]]
    assert all(m.startswith("Line ") for m in messages)
    # The echoed bad value cannot become a formula in a spreadsheet.
    assert not any(cell.startswith("=") for line in lines for cell in line)
    assert Reading.objects.filter(sensor=other).count() == 0


def test_it_reads_times_without_offset_in_the_declared_zone_and_rejects_dst_gaps(
    published, bob, sensor
):
    body = (
        "sensor,quantity,time,value\n"
        f"{sensor.pk},pm25,2024-10-27T01:30:00,5\n"
        f"{sensor.pk},pm25,2024-10-27T02:30:00,5\n"
        f"{sensor.pk},pm25,2024-10-27T03:30:00,5\n"
        f"{sensor.pk},pm25,2024-03-31T02:30:00,5\n"
        f"{sensor.pk},pm25,2024-10-27T02:30:00+01:00,7\n"
    ).encode()
    upload = make_upload(bob, published, body, tz="Europe/Amsterdam")
    uploads.csv_upload_process(upload_id=upload.pk)
    stored = sorted(Reading.objects.filter(sensor=sensor).values_list("time", flat=True))
    assert stored == [
        datetime(2024, 10, 26, 23, 30, tzinfo=UTC),
        datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
        datetime(2024, 10, 27, 2, 30, tzinfo=UTC),
    ]
    codes = {int(line): code for line, code, _ in report_lines(upload)[1:]}
    assert codes == {3: "time_ambiguous", 5: "time_nonexistent"}


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("sensor,quantity,time", "missing column(s) value"),
        ("sensor,quantity,time,value,colour", "unknown column(s) colour"),
        ("12,pm25,2024-05-01T10:00:00Z,5", "missing column(s) sensor, quantity, time, value"),
    ],
)
def test_it_refuses_a_file_whose_header_is_wrong_before_storing_anything(
    api, published, bob, sensor, header, named
):
    api.force_authenticate(bob)
    body = csv_body(sensor, 3, header=header)
    response = api.post(
        URL,
        {"project": published.slug, "file": SimpleUploadedFile("r.csv", body)},
        format="multipart",
    )
    assert response.status_code == 400
    assert named in response.json()["file"][0]
    assert "Line 1" in response.json()["file"][0]
    assert not CsvUpload.objects.exists()
    assert not Reading.objects.exists()


def test_it_refuses_a_file_over_the_size_limit_with_413_naming_the_limit(
    api, published, bob, sensor, settings
):
    settings.CSV_UPLOAD_MAX_BYTES = 100
    api.force_authenticate(bob)
    response = api.post(
        URL,
        {"project": published.slug, "file": SimpleUploadedFile("r.csv", csv_body(sensor, 10))},
        format="multipart",
    )
    assert response.status_code == 413
    assert "100 bytes" in response.json()["detail"]
    assert not CsvUpload.objects.exists()


def test_it_refuses_an_unknown_time_zone(api, published, bob, sensor):
    api.force_authenticate(bob)
    response = api.post(
        URL,
        {
            "project": published.slug,
            "timezone": "Mars/Olympus",
            "file": SimpleUploadedFile("r.csv", csv_body(sensor, 2)),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "Mars/Olympus" in response.json()["timezone"][0]


def test_it_lets_only_members_upload(api, published, draft, charlie, sensor):
    api.force_authenticate(charlie)
    body = {"project": published.slug, "file": SimpleUploadedFile("r.csv", csv_body(sensor, 2))}
    assert api.post(URL, body, format="multipart").status_code == 403
    body = {"project": draft.slug, "file": SimpleUploadedFile("r.csv", csv_body(sensor, 2))}
    assert api.post(URL, body, format="multipart").status_code == 404
    assert not CsvUpload.objects.exists()


def test_it_uploads_through_the_api_with_a_token_and_reports_progress(
    api, published, bob, alice, charlie, sensor, django_capture_on_commit_callbacks
):
    token = ApiToken.issue(user=bob, name="script")[1]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            URL,
            {"project": published.slug, "file": SimpleUploadedFile("r.csv", csv_body(sensor, 4))},
            format="multipart",
        )
    assert response.status_code == 202
    upload_id = response.json()["id"]
    status = api.get(f"{URL}{upload_id}/").json()
    assert status["state"] == "done"
    assert (status["accepted"], status["progress"]) == (4, 100)
    api.credentials()
    api.force_authenticate(alice)  # the coordinator may follow it too
    assert api.get(f"{URL}{upload_id}/").status_code == 200
    api.force_authenticate(charlie)
    assert api.get(f"{URL}{upload_id}/").status_code == 404


# --- resume and resend ------------------------------------------------------------------


def test_it_resumes_after_a_crash_without_losing_or_doubling_rows(
    published, bob, sensor, monkeypatch
):
    monkeypatch.setattr(uploads, "CHUNK_ROWS", 4)
    body = csv_body(sensor, 10)
    body += f"{sensor.pk},pm25,not-a-time,5,\n".encode()
    upload = make_upload(bob, published, body)
    # The "crash": the job stops after two chunks (8 rows), as if its worker died.
    uploads.csv_upload_process(upload_id=upload.pk, max_chunks=2)
    upload.refresh_from_db()
    assert upload.state == UploadState.RUNNING
    assert (upload.rows_done, upload.accepted) == (8, 8)
    assert 0 < upload.progress < 100
    # The restarted job resumes at the saved offset.
    uploads.csv_upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.state == UploadState.DONE
    assert (upload.accepted, upload.duplicates, upload.rejected) == (10, 0, 1)
    assert Reading.objects.filter(sensor=sensor).count() == 10
    assert [line[:2] for line in report_lines(upload)[1:]] == [["12", "time_invalid"]]


def test_it_reports_rows_of_a_half_committed_chunk_as_duplicates(published, bob, sensor):
    upload = make_upload(bob, published, csv_body(sensor, 6))
    # A crash after the readings committed but before the offset did: the rows are stored...
    uploads.readings_ingest_checked(
        rows=[
            {
                "sensor": sensor.pk,
                "quantity": "pm25",
                "time": (T0 + timedelta(minutes=i)).isoformat(),
                "value": 5 + i,
            }
            for i in range(3)
        ],
        source="csv",
        actor=bob,
    )
    # ...and the resumed job reads them again.
    uploads.csv_upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.accepted, upload.duplicates) == (3, 3)
    assert Reading.objects.filter(sensor=sensor).count() == 6


def test_it_stores_nothing_twice_when_the_same_file_is_uploaded_again(published, bob, sensor):
    first = make_upload(bob, published, csv_body(sensor, 5))
    uploads.csv_upload_process(upload_id=first.pk)
    second = make_upload(bob, published, csv_body(sensor, 5))
    uploads.csv_upload_process(upload_id=second.pk)
    second.refresh_from_db()
    assert (second.accepted, second.duplicates) == (0, 5)
    assert Reading.objects.filter(sensor=sensor).count() == 5


def test_it_leaves_a_finished_upload_alone_when_run_again(published, bob, sensor):
    upload = make_upload(bob, published, csv_body(sensor, 3))
    uploads.csv_upload_process(upload_id=upload.pk)
    assert uploads.csv_upload_process(upload_id=upload.pk) is None
    upload.refresh_from_db()
    assert (upload.accepted, upload.duplicates) == (3, 0)


def test_it_sweeps_up_uploads_stuck_for_more_than_ten_minutes(published, bob, sensor):
    stuck = make_upload(bob, published, csv_body(sensor, 3))
    fresh = make_upload(bob, published, csv_body(sensor, 3, start=T0 + timedelta(days=1)))
    CsvUpload.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert uploads.csv_uploads_sweep() == [stuck.pk]

    from measurements.tasks import csv_uploads_sweep

    assert csv_uploads_sweep() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.state == UploadState.DONE
    assert fresh.state == UploadState.QUEUED


# --- pages ------------------------------------------------------------------------------


def test_it_shows_the_progress_page_and_serves_the_error_report_as_a_download(
    client, published, bob, charlie, sensor, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    body = (
        csv_body(sensor, 2)
        + f"{sensor.pk},pm25,2024-05-01T11:00:00Z,<script>x</script>,\n".encode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/uploads/new/",
            {"project": published.pk, "file": SimpleUploadedFile("r.csv", body), "timezone": ""},
        )
    upload = CsvUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/uploads/{upload.pk}/"
    page = client.get(response["Location"])
    assert b"<progress" in page.content
    assert b"measurements/upload.js" in page.content
    report = client.get(f"/uploads/{upload.pk}/errors.csv")
    assert report["Content-Type"].startswith("text/csv")
    assert report["Content-Disposition"].startswith("attachment")
    assert report["X-Content-Type-Options"] == "nosniff"
    assert b"value_not_numeric" in b"".join(report.streaming_content)
    client.force_login(charlie)
    assert client.get(f"/uploads/{upload.pk}/errors.csv").status_code == 404
    assert client.get(f"/uploads/{upload.pk}/").status_code == 404


def test_it_shows_the_upload_form_with_the_size_limit(client, published, bob):
    client.force_login(bob)
    response = client.get(f"/uploads/new/?project={published.slug}")
    assert response.status_code == 200
    assert b"200 MB" in response.content
    assert b'enctype="multipart/form-data"' in response.content


# --- the quantity a sensor measures (pure validation) -----------------------------------


def _context(sensor_quantities):
    from measurements.validation import Context, QuantityInfo

    infos = {
        "pm25": QuantityInfo(1, "pm25", "µg/m³", 0, 1000, 0, 500),
        "temperature": QuantityInfo(2, "temperature", "°C", -90, 60, -40, 50),
    }
    return Context(
        quantities=infos,
        writable_sensor_ids=frozenset({7, 8}),
        now=datetime(2024, 6, 1, tzinfo=UTC),
        sensor_quantities=sensor_quantities,
    )


def test_it_rejects_a_quantity_the_sensor_does_not_measure():
    from measurements.validation import validate_row

    row = {"sensor": 7, "quantity": "temperature", "time": "2024-05-01T10:00:00Z", "value": 20}
    with pytest.raises(Rejection) as raised:
        validate_row(row, index=4, context=_context({7: frozenset({1})}))
    assert raised.value.code == "quantity_not_measured"
    assert raised.value.message.startswith("Row 4:")


def test_it_accepts_any_known_quantity_for_a_sensor_without_configured_quantities():
    from measurements.validation import validate_row

    row = {"sensor": 8, "quantity": "temperature", "time": "2024-05-01T10:00:00Z", "value": 20}
    assert validate_row(row, index=0, context=_context({7: frozenset({1})})).value == 20
