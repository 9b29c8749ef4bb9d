"""Initiatives and where they run: cities, neighbourhoods, projects, members, scores."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.choices import (
    OPEN_LICENCES,
    PARTICIPATION_STEP,
    AgeBand,
    Impact,
    InitiatorType,
    Licence,
    MembershipState,
    Moderation,
    Participation,
    Role,
    Status,
    Theme,
)

MODERATORS_GROUP = "moderators"


def user_is_moderator(user) -> bool:
    """Moderators are staff in the `moderators` group (or superusers)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name=MODERATORS_GROUP).exists()


class City(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(unique=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:city", args=[self.slug])


class Neighbourhood(models.Model):
    """A statistical area of a city, with the boundary and figures its statistics office publishes.

    Unknown figures are NULL, never zero: a zero would count in the scores as a real value.
    """

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="neighbourhoods")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    boundary = models.JSONField(_("boundary"), help_text=_("GeoJSON Polygon or MultiPolygon"))
    population = models.PositiveIntegerField(null=True, blank=True)
    mean_income = models.FloatField(
        _("mean income per resident"), null=True, blank=True, help_text=_("euros per year")
    )
    age_0_24 = models.PositiveIntegerField(null=True, blank=True)
    age_25_44 = models.PositiveIntegerField(null=True, blank=True)
    age_45_64 = models.PositiveIntegerField(null=True, blank=True)
    age_65_plus = models.PositiveIntegerField(null=True, blank=True)
    synthetic = models.BooleanField(
        _("synthetic"), default=False, help_text=_("Invented demo data, not official statistics")
    )

    class Meta:
        ordering = ["city", "code"]
        constraints = [
            models.UniqueConstraint(fields=["city", "code"], name="neighbourhood_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def age_bands(self) -> dict[str, int | None]:
        """Resident counts per age band, keyed like AgeBand values."""
        return {
            AgeBand.UNDER_25: self.age_0_24,
            AgeBand.FROM_25: self.age_25_44,
            AgeBand.FROM_45: self.age_45_64,
            AgeBand.FROM_65: self.age_65_plus,
        }


#: What coordinators edit, in the order the form and the API show it (one list for both).
PROJECT_CONTENT_FIELDS = [
    "title",
    "summary",
    "description",
    "language",
    "themes",
    "primary_theme",
    "cities",
    "status",
    "start_date",
    "end_date",
    "website",
    "initiator_type",
    "licence",
]
PROJECT_PROFILE_FIELDS = [
    "goal",
    "what_is_measured",
    "sensor_kits",
    "role_residents",
    "role_municipality",
    "participation_level",
    "costs",
    "languages_offered",
    "results_return",
    "policy_impact",
    "impact_level",
]
#: The inclusivity self-assessment of SCORING.md §3 (None = not answered yet).
SELF_ASSESSMENT_FIELDS = [
    "free_to_join",
    "non_digital_option",
    "recruits_underrepresented",
    "results_shared",
    "locations_protected",
]


def project_problems(*, theme_codes, primary_theme, start_date, end_date) -> dict[str, str]:
    """Rules across fields of a project that the form and the API both apply (one place).

    Returns {field: message}; empty when the values fit together.
    """
    problems = {}
    if theme_codes is not None and primary_theme and primary_theme not in set(theme_codes):
        problems["primary_theme"] = _("The primary theme must be one of the chosen themes.")
    if start_date and end_date and end_date < start_date:
        problems["end_date"] = _("The end date is before the start date.")
    return problems


class ThemeTag(models.Model):
    """One row per Theme code (created by a migration), so projects can carry several themes
    and be filtered by any of them on every database."""

    code = models.CharField(primary_key=True, max_length=20, choices=Theme.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.get_code_display()


class ProjectQuerySet(models.QuerySet):
    def published(self):
        return self.filter(moderation=Moderation.PUBLISHED)

    def visible_to(self, user):
        """Projects `user` may see: published ones, plus their own and, for moderators, all.

        The one rule used by pages, API, search, map and counts alike.
        """
        if user is None:
            user = AnonymousUser()
        if user_is_moderator(user):
            return self.all()
        if not user.is_authenticated:
            return self.published()
        return self.filter(
            Q(moderation=Moderation.PUBLISHED)
            | Q(memberships__user=user, memberships__state=MembershipState.ACTIVE)
        ).distinct()

    def readings_open_to(self, user):
        """Projects whose raw readings `user` may read and download: the visible ones under
        an open licence, and those without one ("available on request", "not shared") that
        `user` actively belongs to. (Charts and maps of every visible project show hourly
        summaries; this rule is about the readings themselves: the API and the exports.)"""
        visible = self.visible_to(user)
        if not getattr(user, "is_authenticated", False):
            return visible.filter(licence__in=OPEN_LICENCES)
        return visible.filter(
            Q(licence__in=OPEN_LICENCES)
            | Q(memberships__user=user, memberships__state=MembershipState.ACTIVE)
        ).distinct()

    def editable_by(self, user):
        """Projects whose content `user` may change: coordinators (and moderators)."""
        if user_is_moderator(user):
            return self.exclude(moderation=Moderation.ARCHIVED)
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return (
            self.filter(
                memberships__user=user,
                memberships__state=MembershipState.ACTIVE,
                memberships__role=Role.COORDINATOR,
            )
            .exclude(moderation=Moderation.ARCHIVED)
            .distinct()
        )

    def awaiting_moderation(self):
        return self.filter(moderation=Moderation.SUBMITTED).order_by("submitted_at")


class Project(models.Model):
    """A citizen measurement initiative, with the profile that makes initiatives comparable."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(unique=True, max_length=220)
    summary = models.CharField(_("summary"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language of the description"),
        max_length=8,
        default="en",
        choices=[
            (code, code)
            for code in (
                "nl",
                "en",
                "de",
                "fr",
                "es",
                "it",
                "pl",
                "pt",
                "fi",
                "no",
                "sl",
                "bg",
                "sq",
            )
        ],
    )
    themes = models.ManyToManyField("ThemeTag", related_name="projects", verbose_name=_("themes"))
    primary_theme = models.CharField(_("primary theme"), max_length=20, choices=Theme.choices)
    cities = models.ManyToManyField(City, related_name="projects", verbose_name=_("cities"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    initiator_type = models.CharField(_("initiator"), max_length=20, choices=InitiatorType.choices)
    licence = models.CharField(
        _("data licence"), max_length=20, choices=Licence.choices, default=Licence.CC_BY
    )
    source = models.URLField(
        _("source"), max_length=500, blank=True, help_text=_("Where the facts come from")
    )
    demo = models.BooleanField(default=False, help_text=_("An invented demo project"))
    illustrative_profile = models.BooleanField(
        default=False,
        help_text=_(
            "A real initiative whose licence, impact and self-assessment answers were "
            "invented for the demo (the sourced facts are real)"
        ),
    )

    moderation = models.CharField(
        max_length=20, choices=Moderation.choices, default=Moderation.DRAFT, db_index=True
    )
    rejection_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    # The profile.
    goal = models.TextField(_("goal"), blank=True)
    what_is_measured = models.TextField(_("what is measured"), blank=True)
    sensor_kits = models.TextField(_("sensor kits and calibration"), blank=True)
    role_residents = models.TextField(_("role of residents"), blank=True)
    role_municipality = models.TextField(_("role of the municipality"), blank=True)
    participation_level = models.CharField(
        _("participation level"),
        max_length=20,
        choices=Participation.choices,
        default=Participation.INFORM,
    )
    costs = models.TextField(_("costs"), blank=True)
    languages_offered = models.JSONField(_("languages offered"), default=list, blank=True)
    results_return = models.TextField(_("how results return to participants"), blank=True)
    policy_impact = models.TextField(_("policy impact"), blank=True)
    impact_level = models.CharField(
        _("impact so far"), max_length=20, choices=Impact.choices, default=Impact.NONE
    )

    # The inclusivity self-assessment (SCORING.md §3); None means "not answered yet".
    free_to_join = models.BooleanField(
        _("free to join (no fee; kits provided or lent free)"), null=True, blank=True
    )
    non_digital_option = models.BooleanField(
        _("a non-digital way to take part (paper, phone, community centre)"), null=True, blank=True
    )
    recruits_underrepresented = models.BooleanField(
        _("actively recruits under-represented groups"), null=True, blank=True
    )
    results_shared = models.BooleanField(
        _("results are shared back with participants"), null=True, blank=True
    )
    locations_protected = models.BooleanField(
        _("privacy protection (home locations not published exactly)"), null=True, blank=True
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.slug])

    @property
    def participation_step(self) -> int:
        """The ladder step, 0 (inform) … 4 (co-decide)."""
        return PARTICIPATION_STEP[self.participation_level]

    @property
    def has_open_licence(self) -> bool:
        return self.licence in OPEN_LICENCES

    def self_assessment(self) -> dict[str, bool | None]:
        """The yes/no items of the inclusivity self-assessment (None = unanswered)."""
        return {name: getattr(self, name) for name in SELF_ASSESSMENT_FIELDS}

    def is_visible_to(self, user) -> bool:
        return Project.objects.visible_to(user).filter(pk=self.pk).exists()

    def is_editable_by(self, user) -> bool:
        return Project.objects.editable_by(user).filter(pk=self.pk).exists()

    def readings_open_to(self, user) -> bool:
        """Whether `user` may read and download this project's raw readings (the rule is
        `ProjectQuerySet.readings_open_to`)."""
        return Project.objects.readings_open_to(user).filter(pk=self.pk).exists()

    def readings_closed_message(self) -> str:
        """Why the readings cannot be downloaded, for a caller who is not a member."""
        return _(
            "This initiative does not publish its readings as open data (licence: "
            "%(licence)s); its members can download them. Ask its coordinators."
        ) % {"licence": self.get_licence_display()}

    def role_of(self, user) -> str | None:
        """The active role of `user` in this project, or None."""
        if not getattr(user, "is_authenticated", False):
            return None
        membership = self.memberships.filter(user=user, state=MembershipState.ACTIVE).first()
        return membership.role if membership else None


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state=MembershipState.ACTIVE)

    def coordinators(self):
        return self.active().filter(role=Role.COORDINATOR)


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PARTICIPANT)
    state = models.CharField(
        max_length=20, choices=MembershipState.choices, default=MembershipState.ACTIVE
    )
    # Optional, anonymous profile for the representativeness score; only ever shown aggregated.
    age_band = models.CharField(max_length=8, choices=AgeBand.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class CityOfficial(models.Model):
    """A user who speaks for a city (a per-city role, granted in the admin)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="city_roles"
    )
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="officials")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "city"], name="city_official_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.city}"


# --- Scores (method text: ../shared/SCORING.md; arithmetic: projects/scoring.py) ----------


class ScoreKind(models.TextChoices):
    INCLUSIVITY = "inclusivity", _("Inclusivity")
    COMPARISON = "comparison", _("Comparison")


class ScoreQuerySet(models.QuerySet):
    def latest_for(self, project, *, method: str = "v1"):
        """The rows of the most recent computation day of `project` (per city and project-wide)."""
        rows = self.filter(project=project, method=method)
        day = rows.order_by("-day").values_list("day", flat=True).first()
        return rows.filter(day=day).select_related("city") if day else rows.none()

    def history_for(self, project, *, kind: str, method: str = "v1"):
        """One project-wide row per day, oldest first: the trend."""
        return self.filter(project=project, kind=kind, method=method, city__isnull=True).order_by(
            "day"
        )


class Score(models.Model):
    """A score of a project, per city (or project-wide when `city` is NULL), one row per day.

    `value` NULL means absent ("not enough data"), never zero. `components` holds each
    component's value (or null), its explanation and the raw figures behind it.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scores")
    city = models.ForeignKey(
        City, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ScoreKind.choices)
    method = models.CharField(max_length=10, default="v1")
    value = models.FloatField(null=True, blank=True)
    components = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    day = models.DateField()

    objects = ScoreQuerySet.as_manager()

    class Meta:
        ordering = ["project", "kind", "-day"]
        constraints = [
            # NULL cities are distinct in a plain unique index, so the project-wide row
            # needs its own partial index for a same-day rerun to upsert, not duplicate.
            models.UniqueConstraint(
                fields=["project", "city", "kind", "method", "day"],
                condition=Q(city__isnull=False),
                name="score_city_day_unique",
            ),
            models.UniqueConstraint(
                fields=["project", "kind", "method", "day"],
                condition=Q(city__isnull=True),
                name="score_project_day_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.project_id}/{self.city_id} {self.day}: {self.value}"


class CityStat(models.Model):
    """The city comparison figures of one day (SCORING.md "City comparison")."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="stats")
    method = models.CharField(max_length=10, default="v1")
    day = models.DateField()
    values = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["city", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["city", "method", "day"], name="citystat_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.city_id} {self.day}"


class RescoreMark(models.Model):
    """A project waiting to be rescored: the outbox, so a request survives a missing broker."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="rescore_mark")
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"rescore {self.project_id} since {self.requested_at}"
