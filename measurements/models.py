"""What is measured: quantities, sensors, readings and rollups (issue 3).

Raw readings are stored once and never altered (only their quality flags change);
every chart, map and score reads the hourly rollups, which are recomputed from the raw
rows for exactly the hours marked dirty (see `measurements.processing`).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connections, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citimeasure.tokens import token_generate, token_matches, token_prefix
from projects.choices import MembershipState, Role
from projects.models import Project


class Quantity(models.Model):
    """An observed property with its canonical unit and its limits.

    Outside the hard limits a value is physically impossible and rejected; outside the
    plausible range it is stored and flagged.
    """

    id = models.SmallAutoField(primary_key=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("canonical unit"), max_length=20)
    hard_min = models.FloatField(_("lowest possible value"))
    hard_max = models.FloatField(_("highest possible value"))
    plausible_min = models.FloatField(_("lowest plausible value"))
    plausible_max = models.FloatField(_("highest plausible value"))
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=1)
    spike_delta = models.FloatField(
        _("spike threshold"),
        null=True,
        blank=True,
        help_text=_("A jump larger than this versus the previous reading is flagged as a spike."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("quantities")

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("Exact (I choose to publish my sensor's exact location)")
    APPROXIMATE = "approximate", _("Approximate (a fixed point within about 250 m)")
    HIDDEN = "hidden", _("Hidden (not shown on any map)")


class SensorQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sensors of the projects `user` may see (the projects' one visibility rule)."""
        return self.filter(project__in=Project.objects.visible_to(user or AnonymousUser()))

    def writable_by(self, user):
        """Sensors `user` may submit readings for: sensors of projects they actively belong to."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(
            project__memberships__user=user, project__memberships__state=MembershipState.ACTIVE
        ).distinct()

    def manageable_by(self, user):
        """Sensors `user` may edit or re-key: their own, and all of projects they coordinate."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        own = models.Q(owner=user, project__memberships__user=user)
        coordinated = models.Q(
            project__memberships__user=user, project__memberships__role=Role.COORDINATOR
        )
        return self.filter(
            own | coordinated, project__memberships__state=MembershipState.ACTIVE
        ).distinct()

    def authenticate_device(self, token: str) -> Sensor | None:
        """The sensor whose device token is `token` (found by the token's prefix, as the
        `Authorization: Token …` header of the readings API presents it), or None."""
        prefix = token_prefix(token)
        if prefix is None:
            return None
        return self.holding_device_token(token, column="device_token_prefix", values=[prefix])

    def holding_device_token(self, token: str, *, column: str, values: list[str]) -> Sensor | None:
        """The sensor whose `column` is one of `values` and whose device token is `token`,
        or None: the one check behind every way a device authenticates (the token header by
        its prefix, the firmware's Basic-auth password for its chip id, the openSenseMap
        box's access token for its box id). Only an active sensor with an owner qualifies: a
        sensor whose owner is gone (account deleted) writes nothing.

        The sensor comes with `registered_quantity_ids`, the quantities it is registered to
        measure (empty: not configured), read in the same query: ingestion needs them for
        every reading the device sends, and a round trip fewer is a device's POST faster. Of
        its own fields it holds those a device's write uses (DEVICE_WRITE_FIELDS); the others
        are deferred, loaded on first use (reading all cost 0.2 ms a request more).

        Written as SQL on a plain cursor: every reading a device sends is authenticated here,
        and compiling the ORM query cost more than running it (1.5 vs 0.6 ms a request), as
        did a raw queryset's per-query set-up (0.15 ms; RESULTS.md). It looks among all
        sensors, so it refuses a filtered queryset rather than ignore the filter.
        """
        if self.query.has_filters():
            raise TypeError("holding_device_token looks among all sensors; call it unfiltered")
        if column not in DEVICE_LOOKUP_COLUMNS:  # a column name, never a caller's text
            raise ValueError(f"not a device lookup column: {column!r}")
        meta = self.model._meta
        # In the model's order, as `from_db` takes a subset of the fields.
        fields = [field for field in meta.concrete_fields if field.name in DEVICE_WRITE_FIELDS]
        through = meta.get_field("quantities").remote_field.through._meta.db_table
        connection = connections[self.db]
        with connection.cursor() as cursor:
            # One row per registration (one with NULL for a sensor without any).
            cursor.execute(
                f"SELECT {', '.join(f's.{field.column}' for field in fields)}, sq.quantity_id "
                f"FROM {meta.db_table} s LEFT JOIN {through} sq ON sq.sensor_id = s.id "
                f"WHERE s.{column} IN ({', '.join(['%s'] * len(values))}) "
                "AND s.is_active AND s.owner_id IS NOT NULL AND s.device_token_digest <> ''",
                list(values),
            )
            rows = cursor.fetchall()
        registered: dict[tuple, set[int]] = {}  # a candidate's columns -> its quantities
        for *own, quantity_id in rows:
            quantities = registered.setdefault(tuple(own), set())
            if quantity_id is not None:
                quantities.add(quantity_id)
        digest_at = [field.name for field in fields].index("device_token_digest")
        for own, quantities in registered.items():
            if token_matches(token, own[digest_at]):
                # The values as an ORM query returns them (JSON parsed, SQLite's 0/1 as
                # booleans, …), by Django's own converters for these columns.
                compiler = self.query.get_compiler(self.db)
                columns = [field.get_col(meta.db_table) for field in fields]
                converters = compiler.get_converters(columns)
                (loaded,) = compiler.apply_converters([own], converters)
                sensor = self.model.from_db(self.db, [f.attname for f in fields], loaded)
                sensor.registered_quantity_ids = frozenset(quantities)
                return sensor
        return None


DEVICE_LOOKUP_COLUMNS = ("device_token_prefix", "sensor_community_id", "opensensemap_id")
# What authenticating and ingesting a device's readings read of its sensor (others are
# deferred: loaded on first use).
DEVICE_WRITE_FIELDS = (
    "id",
    "project",
    "owner",
    "is_active",
    "device_token_digest",
    "opensensemap_sensor_ids",
)


class Sensor(models.Model):
    """A device or station. Its exact location is private; only `published_lat/lon` go public."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sensors")
    # Null once the owner deleted their account and chose to leave the readings as
    # anonymous open data (the exact location is erased then; see the privacy service).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sensors",
    )
    name = models.CharField(_("name"), max_length=120)
    kit = models.CharField(_("kit or model"), max_length=120, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    location_precision = models.CharField(
        _("location shown publicly"),
        max_length=12,
        choices=LocationPrecision.choices,
        default=LocationPrecision.APPROXIMATE,
    )
    published_lat = models.FloatField(null=True, blank=True, editable=False)
    published_lon = models.FloatField(null=True, blank=True, editable=False)
    indoor = models.BooleanField(_("indoors"), default=False)
    height_m = models.FloatField(_("height above ground (m)"), null=True, blank=True)
    sensor_community_id = models.CharField(
        _("Sensor.Community chip id"), max_length=40, blank=True, db_index=True
    )
    opensensemap_id = models.CharField(
        _("openSenseMap box id"), max_length=40, blank=True, db_index=True
    )
    opensensemap_sensor_ids = models.JSONField(
        _("openSenseMap sensor ids"),
        default=dict,
        blank=True,
        help_text=_("Maps each openSenseMap sensor id of the box to one of our quantity codes."),
    )
    quantities = models.ManyToManyField(
        Quantity, blank=True, related_name="sensors", verbose_name=_("quantities measured")
    )
    device_token_prefix = models.CharField(max_length=8, blank=True, db_index=True, editable=False)
    device_token_digest = models.CharField(max_length=64, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SensorQuerySet.as_manager()

    class Meta:
        ordering = ["project", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Keep the published point in step with the exact one; it needs the id, so after insert."""
        super().save(*args, **kwargs)
        published = self.compute_published_location()
        if published != (self.published_lat, self.published_lon):
            self.published_lat, self.published_lon = published
            Sensor.objects.filter(pk=self.pk).update(
                published_lat=self.published_lat, published_lon=self.published_lon
            )

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("measurements:sensor", args=[self.pk])

    def compute_published_location(self) -> tuple[float | None, float | None]:
        from measurements.location import published_location

        point = published_location(
            sensor_id=self.pk, lat=self.lat, lon=self.lon, precision=self.location_precision
        )
        return (None, None) if point is None else point

    def device_token_issue(self) -> str:
        """Create (or rotate) the device token; return the secret, which is never stored."""
        token, prefix, digest = token_generate()
        self.device_token_prefix, self.device_token_digest = prefix, digest
        Sensor.objects.filter(pk=self.pk).update(
            device_token_prefix=prefix, device_token_digest=digest
        )
        return token

    def device_token_revoke(self) -> None:
        self.device_token_prefix, self.device_token_digest = "", ""
        Sensor.objects.filter(pk=self.pk).update(device_token_prefix="", device_token_digest="")


class ReadingQuerySet(models.QuerySet):
    def for_sensor(self, sensor: Sensor | int):
        return self.filter(sensor=sensor)

    def between(self, start: datetime | None, end: datetime | None):
        """Readings with start <= time < end (either bound may be None)."""
        qs = self
        if start is not None:
            qs = qs.filter(time__gte=start)
        if end is not None:
            qs = qs.filter(time__lt=end)
        return qs


class Source(models.TextChoices):
    WEB = "web", _("typed in")
    API = "api", _("API")
    CSV = "csv", _("CSV upload")
    DEVICE = "device", _("sent by the device")


class Reading(models.Model):
    """One observation in the quantity's canonical unit; one per (sensor, quantity, time)."""

    # No index of their own: (sensor, quantity, time) is unique, and its index serves every
    # lookup by sensor; every index is paid for by each of millions of inserts. A quantity
    # is looked up alone only when an administrator tries to delete it (PROTECT).
    sensor = models.ForeignKey(
        Sensor, on_delete=models.CASCADE, related_name="readings", db_index=False
    )
    quantity = models.ForeignKey(
        Quantity, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    time = models.DateTimeField()
    value = models.FloatField()
    flags = models.PositiveIntegerField(default=0, help_text="measurements.quality flag bits")
    source = models.CharField(max_length=8, choices=Source.choices)
    received_at = models.DateTimeField(default=timezone.now)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sensor", "quantity", "time"], name="reading_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sensor_id}/{self.quantity_id} {self.time:%Y-%m-%dT%H:%M:%SZ} = {self.value}"


class RollupStats(models.Model):
    """What every rollup holds: how many readings, how many flagged, and the mean/min/max of
    the unflagged ones (None when all were flagged)."""

    count = models.PositiveIntegerField()
    flagged = models.PositiveIntegerField()
    mean = models.FloatField(null=True)
    min = models.FloatField(null=True)
    max = models.FloatField(null=True)

    class Meta:
        abstract = True


class HourlyRollup(RollupStats):
    """Per sensor, quantity and UTC hour: how many readings, how many flagged, and the
    mean/min/max of the unflagged ones (None when all were flagged)."""

    # Looked up by sensor through the unique (sensor, quantity, hour) index.
    sensor = models.ForeignKey(
        Sensor, on_delete=models.CASCADE, related_name="hourly", db_index=False
    )
    quantity = models.ForeignKey(Quantity, on_delete=models.PROTECT, related_name="+")
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sensor", "quantity", "hour"], name="hourly_rollup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sensor_id}/{self.quantity_id} {self.hour:%Y-%m-%dT%H}Z n={self.count}"


class DirtyHour(models.Model):
    """Outbox: an hour whose rollup must be recomputed. Written in the ingesting transaction,
    so a lost queue message only delays the rollup until the periodic sweep.

    `marked_at` is refreshed when the hour is marked again, so a mark that arrives while
    the hour is being recomputed survives (only marks older than the recompute are deleted).
    """

    # Written with every ingest: only the unique (sensor, quantity, hour) index.
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="+", db_index=False)
    quantity = models.ForeignKey(
        Quantity, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    hour = models.DateTimeField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sensor", "quantity", "hour"], name="dirty_hour_unique")
        ]

    def __str__(self) -> str:
        return f"dirty {self.sensor_id}/{self.quantity_id} {self.hour:%Y-%m-%dT%H}Z"


class DailyRollup(RollupStats):
    """Per sensor, quantity and UTC day, built from the hourly rollups of that day."""

    # Looked up by sensor through the unique (sensor, quantity, day) index.
    sensor = models.ForeignKey(
        Sensor, on_delete=models.CASCADE, related_name="daily", db_index=False
    )
    quantity = models.ForeignKey(Quantity, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sensor", "quantity", "day"], name="daily_rollup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sensor_id}/{self.quantity_id} {self.day} n={self.count}"


class Invalidation(models.Model):
    """A coordinator marked a reading invalid: who, when and why are kept; the value is not
    changed (the reading gets the INVALID flag bit)."""

    reading = models.OneToOneField(Reading, on_delete=models.CASCADE, related_name="invalidation")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()

    def __str__(self) -> str:
        return f"reading {self.reading_id} invalidated"


class UploadState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Processing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CsvUpload(models.Model):
    """A CSV file of readings processed by a Celery job. `offset` and the counters are
    saved after each chunk, so a job restarted after a crash resumes where it stopped."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="uploads"
    )
    file = models.FileField(upload_to="uploads/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    declared_timezone = models.CharField(
        max_length=64, blank=True, help_text=_("For times written without an offset")
    )
    state = models.CharField(max_length=10, choices=UploadState.choices, default=UploadState.QUEUED)
    offset = models.PositiveBigIntegerField(default=0, help_text="bytes processed so far")
    rows_done = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error_report = models.FileField(upload_to="upload-errors/%Y/%m/", blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"

    @property
    def progress(self) -> int:
        """Percentage of the file's bytes processed (0–100)."""
        return 100 if self.state == UploadState.DONE else int(100 * self.offset / max(self.size, 1))
