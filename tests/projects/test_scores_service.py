"""Scores computed from the database: gathering, placement, upserts, the rescore outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

from projects import services_scores
from projects.choices import Moderation, Role
from projects.models import CityStat, RescoreMark, Score, ScoreKind
from tests.factories import (
    CityFactory,
    MembershipFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    UserFactory,
    square,
)

AT = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
LON, LAT = 5.0, 52.0


def _inside(i: int) -> tuple[float, float]:
    """A point inside the i-th neighbourhood square of the test city."""
    return (LON + 0.01 * i + 0.005, LAT + 0.005)


@pytest.fixture
def city(db):
    """SCORING.md's worked example: three neighbourhoods, poorest first, 100/100/200 residents."""
    city = CityFactory(name="Testville", slug="testville", population=400)
    for i, (population, income) in enumerate([(100, 20_000), (100, 30_000), (200, 40_000)]):
        NeighbourhoodFactory(
            city=city,
            code=f"BU{i}",
            boundary=square(LON + 0.01 * i, LAT),
            population=population,
            mean_income=income,
            age_0_24=population // 4,
            age_25_44=population // 4,
            age_45_64=population // 4,
            age_65_plus=population // 4,
        )
    return city


class FakeSelectors:
    """Stands in for measurements.selectors: fixed sensor points and reading stats."""

    def __init__(self):
        self.points: dict[int, list[tuple[int, float, float]]] = {}
        self.stats: dict[int, dict] = {}

    def active_sensor_points(self, project_ids, *, at):
        return {pid: self.points.get(pid, []) for pid in project_ids}

    def project_reading_stats(self, project_ids, *, at):
        empty = {"completeness": None, "quality": None, "first_reading": None}
        return {pid: self.stats.get(pid, empty) for pid in project_ids}


@pytest.fixture
def selectors(monkeypatch):
    fake = FakeSelectors()
    monkeypatch.setattr(
        services_scores,
        "_selectors",
        lambda: SimpleNamespace(
            active_sensor_points=fake.active_sensor_points,
            project_reading_stats=fake.project_reading_stats,
        ),
    )
    return fake


def _answered_project(city, **kwargs):
    """A published project with every self-assessment item yes (A = 100) and 10 age answers."""
    defaults = dict(
        cities=[city],
        free_to_join=True,
        non_digital_option=True,
        recruits_underrepresented=True,
        results_shared=True,
        locations_protected=True,
        languages_offered=["nl", "en"],
        participation_level="co-decide",
        licence="cc-by",
    )
    project = ProjectFactory(**{**defaults, **kwargs})
    for n in range(10):
        MembershipFactory(project=project, age_band="0-24" if n < 5 else "25-44")
    return project


def _points(*counts: int) -> list[tuple[int, float, float]]:
    points, sid = [], 0
    for i, count in enumerate(counts):
        for _ in range(count):
            sid += 1
            points.append((sid, *_inside(i)))
    return points


def test_it_computes_the_documented_numbers_for_a_small_city(city, selectors):
    project = _answered_project(city)
    selectors.points[project.pk] = _points(0, 1, 3) + [(99, 9.0, 9.0)]  # one outside the city

    services_scores.scores_compute(at=AT)

    row = Score.objects.get(project=project, city=city, kind=ScoreKind.INCLUSIVITY)
    equity = row.components["spatial_equity"]
    assert equity["params"]["ci_exact"] == "5/16"
    assert equity["value"] == 68.75
    assert row.components["representativeness"]["value"] == 50.0
    assert row.components["access"]["value"] == 100.0
    # 0.40·68.75 + 0.25·50 + 0.35·100
    assert row.value == 75.0
    assert row.day == timezone.localdate(AT)
    assert "not enough data" not in equity["explanation"].lower()
    overall = Score.objects.get(project=project, city=None, kind=ScoreKind.INCLUSIVITY)
    assert overall.value == 75.0


def test_it_leaves_out_absent_components_and_renormalises(city, selectors):
    project = ProjectFactory(cities=[city])  # unanswered profile, no age answers, no sensors
    MembershipFactory(project=project, age_band="65+")
    selectors.points[project.pk] = []

    services_scores.scores_compute(at=AT)

    row = Score.objects.get(project=project, city=city, kind=ScoreKind.INCLUSIVITY)
    assert row.value is None
    for name in ("spatial_equity", "representativeness", "access"):
        assert row.components[name]["value"] is None
        assert row.components[name]["explanation"].startswith("Not enough data")
    assert "1 participant answered" in row.components["representativeness"]["explanation"]


def test_it_weights_a_multi_city_project_by_population(city, selectors):
    other = CityFactory(name="Otherville", slug="otherville", population=1200)
    NeighbourhoodFactory(
        city=other, code="X1", boundary=square(6.0, 50.0), population=600, mean_income=10_000
    )
    NeighbourhoodFactory(
        city=other, code="X2", boundary=square(6.01, 50.0), population=600, mean_income=50_000
    )
    project = _answered_project(city, cities=[city, other])
    selectors.points[project.pk] = _points(0, 1, 3) + [(50, 6.015, 50.005)]  # richest of X

    services_scores.scores_compute(at=AT)

    in_other = Score.objects.get(project=project, city=other, kind=ScoreKind.INCLUSIVITY)
    # X: π = ½, ½; all sensors in the richer one: CI = 2·(1·¾) − 1 = ½ → E = 50.
    assert in_other.components["spatial_equity"]["value"] == 50.0
    # R there: residents all in 0-24 (factory default spreads 250 each → uniform) → 50.
    expected_other = Fraction(4, 10) * 50 + Fraction(25, 100) * 50 + Fraction(35, 100) * 100
    assert in_other.value == float(expected_other)
    overall = Score.objects.get(project=project, city=None, kind=ScoreKind.INCLUSIVITY)
    assert overall.value == float((75 * 400 + expected_other * 1200) / 1600)


def test_it_upserts_a_rerun_on_the_same_day(city, selectors):
    project = _answered_project(city)
    selectors.points[project.pk] = _points(0, 1, 3)

    services_scores.scores_compute(at=AT)
    first = list(Score.objects.order_by("pk").values("pk", "kind", "city", "value"))
    selectors.points[project.pk] = _points(1, 1, 2)
    services_scores.scores_compute(at=AT + timedelta(minutes=5))

    assert Score.objects.count() == len(first) == 3  # city, project-wide, comparison
    assert CityStat.objects.count() == 1
    services_scores.scores_compute(at=AT + timedelta(days=1))
    assert Score.objects.count() == 6  # the history keeps one row per day


def test_it_gives_unpublished_projects_no_score(city, selectors, draft, submitted):
    draft.cities.set([city])
    published = _answered_project(city)

    services_scores.scores_compute(at=AT)
    services_scores.scores_compute(project_ids=[draft.pk, submitted.pk], at=AT)

    assert set(Score.objects.values_list("project_id", flat=True)) == {published.pk}


def test_it_ranks_comparison_metrics_within_all_published_when_the_peer_group_is_small(
    city, selectors
):
    a = _answered_project(city, impact_level="changed")
    b = _answered_project(city, impact_level="none", primary_theme="noise")

    services_scores.scores_compute(at=AT)

    comparison = Score.objects.get(project=a, kind=ScoreKind.COMPARISON)
    assert comparison.components["peer_group"] == {"theme": "air", "size": 2, "all_published": True}
    assert comparison.components["ranks"]["impact"] == 75.0  # 100·(1 + ½·1)/2
    assert (
        Score.objects.get(project=b, kind=ScoreKind.COMPARISON).components["ranks"]["impact"]
        == 25.0
    )


def test_it_computes_city_statistics(city, selectors):
    a = _answered_project(city)
    b = _answered_project(city, primary_theme="noise", themes=["noise"])
    selectors.points[a.pk] = _points(0, 1, 0)
    selectors.points[b.pk] = _points(0, 0, 3)

    services_scores.scores_compute(at=AT)

    stat = CityStat.objects.get(city=city).values
    assert stat["published_projects"] == 2
    assert stat["active_sensors"] == 4
    assert stat["sensors_per_10k"] == 100.0  # 4 per 400 residents
    assert stat["coverage"] == 0.75
    assert stat["ci_exact"] == "5/16"
    assert stat["themes"] == ["air", "noise"]


def test_it_records_a_rescore_request_and_the_sweep_clears_it(
    city, selectors, django_capture_on_commit_callbacks
):
    project = _answered_project(city)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services_scores.rescore_request(project_ids=[project.pk, project.pk])
    assert RescoreMark.objects.filter(project=project).count() == 1
    assert len(callbacks) == 1
    # The broker was away: nothing ran. The sweep finds the mark once it is old enough.
    RescoreMark.objects.update(requested_at=timezone.now() - timedelta(minutes=5))

    from projects.tasks import rescore_sweep

    assert rescore_sweep() == 1
    assert not RescoreMark.objects.exists()
    assert Score.objects.filter(project=project, kind=ScoreKind.INCLUSIVITY).exists()


def test_it_keeps_a_mark_requested_again_during_the_run(city, selectors, monkeypatch):
    project = _answered_project(city)
    RescoreMark.objects.create(project=project, requested_at=timezone.now() - timedelta(hours=1))
    real = services_scores.scores_compute

    def compute_while_someone_asks_again(**kwargs):
        real(**kwargs)
        RescoreMark.objects.filter(project=project).update(
            requested_at=timezone.now() + timedelta(seconds=1)
        )

    monkeypatch.setattr(services_scores, "scores_compute", compute_while_someone_asks_again)
    services_scores.rescore_run()

    assert RescoreMark.objects.filter(project=project).exists()


def test_it_runs_from_the_command_for_one_project(city, selectors):
    a = _answered_project(city, slug="one")
    b = _answered_project(city, slug="two")

    call_command("compute_scores", "--project", "one")

    assert Score.objects.filter(project=a, kind=ScoreKind.INCLUSIVITY).exists()
    assert not Score.objects.filter(project=b, kind=ScoreKind.INCLUSIVITY).exists()
    assert Score.objects.filter(project=b, kind=ScoreKind.COMPARISON).exists()


def test_it_counts_participants_of_any_role(city, selectors):
    project = _answered_project(city)
    MembershipFactory(project=project, user=UserFactory(), role=Role.COORDINATOR)
    ProjectFactory(moderation=Moderation.DRAFT, cities=[city])

    services_scores.scores_compute(at=AT)

    metrics = Score.objects.get(project=project, kind=ScoreKind.COMPARISON).components["metrics"]
    assert metrics["participants"] == 11


def test_it_works_with_the_real_measurement_selectors(city):
    project = _answered_project(city)

    services_scores.scores_compute(at=AT)

    metrics = Score.objects.get(project=project, kind=ScoreKind.COMPARISON).components["metrics"]
    assert metrics["active_sensors"] == 0
    assert metrics["completeness"] is None


def test_it_rescores_on_commit_through_the_task(
    city, selectors, django_capture_on_commit_callbacks
):
    project = _answered_project(city)

    with django_capture_on_commit_callbacks(execute=True):
        services_scores.rescore_request(project_ids=[project.pk])

    assert not RescoreMark.objects.exists()
    assert Score.objects.filter(project=project, city=None, kind=ScoreKind.INCLUSIVITY).exists()


def test_it_seeds_demo_answers_that_show_both_representativeness_cases(db):
    """The demo must show a computed representativeness and a "not enough data" one."""
    from io import StringIO

    from projects.models import Membership, Project

    call_command("load_demo", without_readings=True, stdout=StringIO())
    call_command(
        "load_demo", without_readings=True, stdout=StringIO()
    )  # re-runnable: no duplicate panel members
    answered = {
        p.slug: Membership.objects.active().filter(project=p).exclude(age_band="").count()
        for p in Project.objects.published()
    }
    # The panel's answers plus those of the initiative's own demo members.
    assert answered["hollandse-luchten"] >= 12
    assert answered["snuffelfiets"] < 10
    services_scores.scores_compute()
    rep = {}
    for score in Score.objects.filter(kind=ScoreKind.INCLUSIVITY, city__isnull=False):
        rep[score.project.slug] = score.components["representativeness"]["value"]
    assert rep["hollandse-luchten"] is not None
    assert rep["snuffelfiets"] is None
