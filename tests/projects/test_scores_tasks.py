"""The nightly run: fanned out per city, tracked in the database, safe to deliver twice."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from projects import services_scores, tasks
from projects.models import CityStat, RescoreMark, Score, ScoreKind
from tests.factories import CityFactory, NeighbourhoodFactory, ProjectFactory, square
from tests.projects.test_scores_service import (  # noqa: F401  (fixtures)
    _answered_project,
    _points,
    city,
    selectors,
)


def _rows() -> tuple[list[tuple], list[tuple]]:
    """Every stored score and city statistic, as plain comparable values."""
    scores = sorted(
        Score.objects.values_list(
            "project_id", "city_id", "kind", "method", "day", "value", "components", "computed_at"
        ),
        key=repr,
    )
    stats = sorted(
        CityStat.objects.values_list("city_id", "method", "day", "values", "computed_at"), key=repr
    )
    return scores, stats


def _two_cities(city, selectors):  # noqa: F811
    other = CityFactory(name="Otherton", slug="otherton", population=1000, lon=6.0, lat=53.0)
    NeighbourhoodFactory(city=other, code="OT1", boundary=square(6.0, 53.0), population=1000)
    here = _answered_project(city, title="Here", slug="here")
    there = _answered_project(other, title="There", slug="there")
    both = _answered_project(city, title="Both", slug="both", cities=[city, other])
    selectors.points[here.pk] = _points(0, 1, 3)
    selectors.points[both.pk] = _points(1, 1, 0)
    selectors.points[there.pk] = [(99, 6.005, 53.005)]
    return here, there, both, other


def test_it_plans_one_chunk_per_city_and_marks_every_project(city, selectors):  # noqa: F811
    here, there, both, _other = _two_cities(city, selectors)
    at = timezone.now()
    chunks = services_scores.scores_nightly_plan(at=at)
    # "both" goes with its first city by slug (otherton < testville).
    assert chunks == [[there.pk, both.pk], [here.pk]]
    assert set(RescoreMark.objects.values_list("project_id", flat=True)) == {
        here.pk,
        there.pk,
        both.pk,
    }


def test_it_writes_every_row_once_the_chunks_have_run(city, selectors):  # noqa: F811
    here, there, both, other = _two_cities(city, selectors)
    assert tasks.scores_nightly.delay().get() == 2
    assert not RescoreMark.objects.exists()  # every chunk cleared its marks
    day = timezone.localdate()
    for project in (here, there, both):
        kinds = set(Score.objects.filter(project=project, day=day).values_list("kind", "city_id"))
        assert (ScoreKind.COMPARISON, None) in kinds and (ScoreKind.INCLUSIVITY, None) in kinds
    assert set(
        Score.objects.filter(
            project=both, kind=ScoreKind.INCLUSIVITY, city__isnull=False
        ).values_list("city_id", flat=True)
    ) == {city.pk, other.pk}
    stats = {s.city_id: s.values for s in CityStat.objects.filter(day=day)}
    assert stats[other.pk]["published_projects"] == 2
    assert stats[city.pk]["active_sensors"] == 6  # here 4 + both 2 in Testville


def test_it_leaves_identical_rows_when_a_chunk_is_delivered_twice(city, selectors):  # noqa: F811
    _two_cities(city, selectors)
    at = timezone.now().replace(microsecond=0)
    chunks = services_scores.scores_nightly_plan(at=at)
    for chunk in chunks:
        tasks.scores_city_chunk.delay(chunk, at.isoformat())
    first = _rows()
    assert first[0] and first[1]
    for chunk in chunks:  # the broker hands the same messages out again, same day
        tasks.scores_city_chunk.delay(chunk, at.isoformat())
    assert _rows() == first


def test_it_keeps_a_mark_requested_again_during_the_nightly_run(city, selectors):  # noqa: F811
    here, *_rest = _two_cities(city, selectors)
    at = timezone.now()
    chunks = services_scores.scores_nightly_plan(at=at)
    services_scores.rescore_request(project_ids=[here.pk])  # a profile edit meanwhile
    for chunk in chunks:
        services_scores.scores_chunk_run(project_ids=chunk, at=at)
    assert list(RescoreMark.objects.values_list("project_id", flat=True)) == [here.pk]


def test_it_leaves_a_lost_chunk_to_the_sweep(city, selectors):  # noqa: F811
    here, there, both, _other = _two_cities(city, selectors)
    at = timezone.now() - timedelta(hours=1)
    chunks = services_scores.scores_nightly_plan(at=at)
    services_scores.scores_chunk_run(project_ids=chunks[0], at=at)  # the other chunk is lost
    assert list(RescoreMark.objects.values_list("project_id", flat=True)) == [here.pk]
    assert services_scores.rescore_run() == [here.pk]
    assert Score.objects.filter(project=here, kind=ScoreKind.INCLUSIVITY).exists()
    assert not RescoreMark.objects.exists()


def test_it_skips_a_project_unpublished_since_the_plan(city, selectors):  # noqa: F811
    project = _answered_project(city, title="Gone", slug="gone")
    at = timezone.now()
    chunks = services_scores.scores_nightly_plan(at=at)
    project.moderation = "archived"
    project.save(update_fields=["moderation"])
    assert tasks.scores_city_chunk.delay(chunks[0], at.isoformat()).get() == 0
    assert not Score.objects.filter(project=project).exists()


def test_it_stops_every_task_before_the_broker_would_hand_it_out_again():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for task in (
        tasks.scores_nightly,
        tasks.scores_city_chunk,
        tasks.rescore_projects,
        tasks.rescore_sweep,
    ):
        assert task.soft_time_limit < task.time_limit < visibility
        assert task.max_retries is not None and task.max_retries <= 5
        assert task.retry_backoff_max <= 600


def test_it_makes_no_chunk_without_published_projects(db):
    ProjectFactory(moderation="draft")
    assert services_scores.scores_nightly_plan(at=timezone.now()) == []
    assert not RescoreMark.objects.exists()


def test_it_names_the_unknown_slugs_given_to_the_command(city, selectors):  # noqa: F811
    import pytest
    from django.core.management import CommandError, call_command

    _answered_project(city, slug="known")
    with pytest.raises(CommandError, match="No published project with slug: nope"):
        call_command("compute_scores", "--project", "known", "--project", "nope")
    with pytest.raises(CommandError, match="No city with slug: atlantis"):
        call_command("compute_scores", "--city", "atlantis")
    assert not Score.objects.exists()
