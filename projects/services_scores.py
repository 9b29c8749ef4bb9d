"""Computing and storing the scores (method v1): gather the data, call projects.scoring, upsert.

The arithmetic lives in `projects.scoring`; this module only fetches plain values for it
and writes the results. Measurements are reached through `measurements.selectors` only.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone, translation

from projects import scoring
from projects.choices import IMPACT_LEVEL, PARTICIPATION_STEP, AgeBand, InitiatorType, Theme
from projects.explanations import explain
from projects.models import (
    City,
    CityStat,
    Membership,
    Neighbourhood,
    Project,
    RescoreMark,
    Score,
    ScoreKind,
)
from projects.placement import NeighbourhoodIndex

logger = logging.getLogger(__name__)

#: The sweep leaves fresh marks to the task enqueued with them, so both rarely run at once.
SWEEP_GRACE = timedelta(minutes=2)
SIMILAR_COUNT = 5


def _selectors():
    """The measurements selector module, imported late: projects must not need it to load."""
    from measurements import selectors

    return selectors


# --- requests and the outbox -------------------------------------------------------------


def rescore_request(*, project_ids: Iterable[int]) -> None:
    """Record that projects need rescoring and enqueue the work once the transaction commits.

    The RescoreMark rows are the durable record: if the broker is down the periodic sweep
    still finds them, so the queue only makes the rescore sooner.
    """
    ids = sorted(set(project_ids))
    if not ids:
        return
    _mark(ids, due=timezone.now())
    transaction.on_commit(lambda: _enqueue(ids))


#: Readings arrive all the time; a project is rescored for them at most this often.
READINGS_RESCORE_INTERVAL = timedelta(minutes=10)

# What this process knows of the windows: project id -> the time (time.time()) until which
# its window is claimed, by this process or another. Spares each later batch of the window
# its cache round trip (8 % of a web worker's time on single-reading POSTs, RESULTS.md).
_window_ends: dict[int, float] = {}
_clock = time.time  # replaced by tests


def rescore_after_readings(*, project_ids: Iterable[int]) -> None:
    """Rescore projects whose readings changed, at most once per interval per project.

    The first batch of a window claims a cache key (Redis in production) for the interval,
    records a mark due at the window's end and schedules the run for then, so that run sees
    every reading of the window; later batches in the window find the key and do nothing.
    The key holds the window's end, which each process remembers: within the window, its
    later batches do not ask the cache again.

    If the cache (Redis) is away, readings must still be stored: the marks alone are kept
    (an existing mark keeps its earlier due time, so an outage does not postpone it) and the
    beat sweep rescores once they are due.
    """
    seconds = int(READINGS_RESCORE_INTERVAL.total_seconds())
    now = _clock()
    ids = sorted(pid for pid in set(project_ids) if _window_ends.get(pid, 0.0) <= now)
    if not ids:
        return
    due_at = timezone.now() + READINGS_RESCORE_INTERVAL
    ends = now + seconds
    try:
        due = [pid for pid in ids if cache.add(_window_key(pid), ends, seconds)]
        # Claimed by another process: learn when its window ends.
        others = cache.get_many([_window_key(pid) for pid in ids if pid not in due])
    except Exception:  # the cache backend is unreachable
        logger.warning("cache unavailable; rescore of %s left to the sweep", ids, exc_info=True)
        RescoreMark.objects.bulk_create(
            [RescoreMark(project_id=pid, requested_at=due_at) for pid in ids],
            ignore_conflicts=True,
        )
        return
    _window_ends.update(dict.fromkeys(due, ends))
    # Never beyond a window's length from now: another host's clock may run ahead of ours.
    _window_ends.update(
        {int(key.rpartition(":")[2]): min(end, ends) for key, end in others.items()}
    )
    if not due:
        return
    _mark(due, due=due_at)
    transaction.on_commit(lambda: _enqueue(due, countdown=seconds))


def _window_key(project_id: int) -> str:
    return f"rescore-window:{project_id}"


def rescore_windows_forget() -> None:
    """Forget what this process knows of the windows (tests: a cleared cache, reused ids)."""
    _window_ends.clear()


def _mark(ids: list[int], *, due: datetime) -> None:
    """Upsert the durable marks; `requested_at` is when the sweep may take them."""
    RescoreMark.objects.bulk_create(
        [RescoreMark(project_id=pid, requested_at=due) for pid in ids],
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=["requested_at"],
    )


def _enqueue(ids: list[int], countdown: int | None = None) -> None:
    from projects.tasks import rescore_projects

    try:
        # One quick publish retry only: a request must not wait on a dead broker.
        rescore_projects.apply_async(
            (ids,),
            countdown=countdown,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_max": 0.2},
        )
    except Exception:  # broker unreachable: the sweep will pick the marks up
        logger.warning("could not enqueue rescore of %s; left to the sweep", ids, exc_info=True)


def rescore_run(*, project_ids: list[int] | None = None, at: datetime | None = None) -> list[int]:
    """Rescore the given projects (or, for the sweep, those marked a while ago) and clear
    their marks.

    A mark is deleted only if nobody asked again while we computed (conditional delete on
    `requested_at`), so a request arriving mid-run is not lost. Two runs overlapping do the
    same upserts twice, which leaves the same rows.
    """
    started = timezone.now()
    if project_ids is None:
        project_ids = list(
            RescoreMark.objects.filter(requested_at__lte=started - SWEEP_GRACE).values_list(
                "project_id", flat=True
            )
        )
    if not project_ids:
        return []
    scores_compute(project_ids=project_ids, at=at)
    RescoreMark.objects.filter(project_id__in=project_ids, requested_at__lte=started).delete()
    return project_ids


# --- gathering ---------------------------------------------------------------------------


@dataclass
class _CityData:
    city: City
    neighbourhoods: list[Neighbourhood]
    index: NeighbourhoodIndex
    residents_by_age: dict[str, int]

    @property
    def population(self) -> int | None:
        """The city's population, else the sum of its neighbourhoods' (weights the mean)."""
        if self.city.population:
            return self.city.population
        return sum(n.population or 0 for n in self.neighbourhoods) or None


@dataclass
class _Gathered:
    projects: list[Project]
    cities: dict[int, _CityData]
    points: dict[int, list[tuple[int, float, float]]]
    stats: dict[int, dict]
    answers: dict[int, Counter]
    participants: dict[int, int]
    # (project, city) → {neighbourhood code: active sensors}
    placed: dict[tuple[int, int], Counter] = field(default_factory=dict)


def _residents_by_age(neighbourhoods: list[Neighbourhood]) -> dict[str, int]:
    """Age-band totals over the neighbourhoods that know all four bands (a partial one would
    skew the city's profile)."""
    totals = Counter({band: 0 for band in AgeBand.values})
    for n in neighbourhoods:
        bands = n.age_bands()
        if all(v is not None for v in bands.values()):
            totals.update(bands)
    return dict(totals)


def _gather(projects: list[Project], at: datetime) -> _Gathered:
    ids = [p.pk for p in projects]
    selectors = _selectors()
    city_ids = {c.pk for p in projects for c in p.cities.all()}
    by_city: dict[int, list[Neighbourhood]] = defaultdict(list)
    for n in Neighbourhood.objects.filter(city_id__in=city_ids).order_by("city_id", "code"):
        by_city[n.city_id].append(n)
    cities = {
        c.pk: _CityData(
            city=c,
            neighbourhoods=by_city[c.pk],
            index=NeighbourhoodIndex((n.code, n.boundary) for n in by_city[c.pk]),
            residents_by_age=_residents_by_age(by_city[c.pk]),
        )
        for c in City.objects.filter(pk__in=city_ids)
    }
    answers: dict[int, Counter] = defaultdict(Counter)
    for row in (
        Membership.objects.active()
        .filter(project_id__in=ids)
        .exclude(age_band="")
        .values("project_id", "age_band")
        .annotate(n=Count("id"))
    ):
        answers[row["project_id"]][row["age_band"]] = row["n"]
    participants = dict(
        Membership.objects.active()
        .filter(project_id__in=ids)
        .values_list("project_id")
        .annotate(n=Count("id"))
    )
    data = _Gathered(
        projects=projects,
        cities=cities,
        points=selectors.active_sensor_points(ids, at=at),
        stats=selectors.project_reading_stats(ids, at=at),
        answers=answers,
        participants=participants,
    )
    _place(data)
    return data


def _place(data: _Gathered) -> None:
    """Place every project's sensors in each of its cities with one index query per city."""
    for city_id, city in data.cities.items():
        owners, coords = [], []
        for project in data.projects:
            if any(c.pk == city_id for c in project.cities.all()):
                for _sensor, lon, lat in data.points.get(project.pk, []):
                    owners.append(project.pk)
                    coords.append((lon, lat))
        for project_id, code in zip(owners, city.index.locate_many(coords), strict=True):
            counter = data.placed.setdefault((project_id, city_id), Counter())
            if code is not None:
                counter[code] += 1


def _areas(city: _CityData, placed: Counter | None) -> list[scoring.Area]:
    placed = placed or Counter()
    return [
        scoring.Area(n.code, n.population, n.mean_income, placed.get(n.code, 0))
        for n in city.neighbourhoods
    ]


# --- computing ---------------------------------------------------------------------------


def _num(value: Fraction | float | int | None) -> float | None:
    return None if value is None else float(value)


def _exact(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def _component(name: str, value: Fraction | None, params: dict) -> dict:
    with translation.override("en"):
        explanation = explain(name, params)
    return {
        "value": _num(value),
        "exact": _exact(value),
        "weight": float(scoring.INCLUSIVITY_WEIGHTS[name]),
        "params": params,
        "explanation": explanation,
    }


def _richest(quintiles: list[dict] | None) -> dict | None:
    """The richest quintile that holds residents (a quintile can be empty when one
    neighbourhood's residents span it)."""
    for fifth, q in reversed(list(enumerate(quintiles or []))):
        if q["residents"] > 0:
            return {
                "residents": float(q["residents"]),
                "sensors": float(q["sensors"]),
                "fifth": fifth,
            }
    return None


def _access(project: Project) -> tuple[Fraction | None, dict]:
    value, points = scoring.access_process(
        free_to_join=project.free_to_join,
        non_digital_option=project.non_digital_option,
        languages_offered=len(project.languages_offered or []),
        recruits_underrepresented=project.recruits_underrepresented,
        results_shared=project.results_shared,
        participation_step=PARTICIPATION_STEP[project.participation_level],
        licence=project.licence,
        locations_protected=project.locations_protected,
    )
    return value, {"points": _num(value), "items": points}


def city_inclusivity(project: Project, city: _CityData, placed: Counter | None, answers: Counter):
    """The inclusivity score of one project in one city, with its components."""
    areas = _areas(city, placed)
    ci = scoring.concentration_index(areas)
    equity = scoring.spatial_equity(ci)
    quintiles = scoring.quintile_shares(areas)
    d = (
        scoring.dissimilarity(answers, city.residents_by_age)
        if sum(answers.values()) >= scoring.MIN_ANSWERS
        else None
    )
    representativeness = scoring.representativeness(answers, city.residents_by_age)
    access, access_params = _access(project)
    values = {"spatial_equity": equity, "representativeness": representativeness, "access": access}
    components = {
        "spatial_equity": _component(
            "spatial_equity",
            equity,
            {
                "ci": _num(ci),
                "ci_exact": _exact(ci),
                "sensors_placed": sum((placed or Counter()).values()),
                "quintiles": [
                    {"residents": float(q["residents"]), "sensors": float(q["sensors"])}
                    for q in quintiles or []
                ],
                "richest": _richest(quintiles),
            },
        ),
        "representativeness": _component(
            "representativeness",
            representativeness,
            {
                "answers": sum(answers.values()),
                "min": scoring.MIN_ANSWERS,
                "d": _num(d),
            },
        ),
        "access": _component("access", access, access_params),
    }
    return scoring.weighted_mean(values), components, areas


def _profile_vector(project: Project, active_sensors: int) -> list[float]:
    return scoring.profile_vector(
        themes=[t.code for t in project.themes.all()],
        participation_step=PARTICIPATION_STEP[project.participation_level],
        initiator_type=project.initiator_type,
        active_sensors=active_sensors,
        all_themes=Theme.values,
        all_initiators=InitiatorType.values,
    )


def _similar(projects: list[Project], points: dict) -> dict[int, list[int]]:
    """The five most similar published projects in other cities (sharing no city).

    Similarity depends only on the two profile vectors, and projects often share one (same
    themes, step, initiator and sensor count). So all projects are ranked once per distinct
    vector, most similar first (ties by title, then id), and each project walks its
    vector's ranking, skipping itself and projects sharing a city, until it has five: the
    same lists as ranking every pair (250,000 pairs for 500 projects), far fewer calls.
    """
    vectors = {p.pk: tuple(_profile_vector(p, len(points.get(p.pk, [])))) for p in projects}
    city_sets = {p.pk: {c.pk for c in p.cities.all()} for p in projects}
    rankings: dict[tuple, list[int]] = {}
    result = {}
    for p in projects:
        vector = vectors[p.pk]
        if vector not in rankings:
            ranked = []
            for other in projects:
                sim = scoring.cosine_similarity(vector, vectors[other.pk])
                if sim is not None:
                    ranked.append((-sim, other.title, other.pk))
            rankings[vector] = [pk for _s, _t, pk in sorted(ranked)]
        chosen: list[int] = []
        for pk in rankings[vector]:
            if pk == p.pk or not city_sets[p.pk].isdisjoint(city_sets[pk]):
                continue
            chosen.append(pk)
            if len(chosen) == SIMILAR_COUNT:
                break
        result[p.pk] = chosen
    return result


#: Score rows per INSERT statement (8 parameters a row, well under SQLite's 32,766).
UPSERT_BATCH = 500

#: The two partial unique indexes of Score (see its Meta): the conflict target of each group.
_SCORE_CONFLICTS = {
    True: (("project_id", "city_id", "kind", "method", "day"), "city_id IS NOT NULL"),
    False: (("project_id", "kind", "method", "day"), "city_id IS NULL"),
}
_SCORE_COLUMNS = ("project_id", "city_id", "kind", "method", "value", "components")
_SCORE_COLUMNS += ("computed_at", "day")
_SCORE_UPDATED = ("value", "components", "computed_at")


def _upsert_score(*, rows: list[dict], at: datetime, day) -> None:
    """Insert or update a batch of score rows, keyed by (project, city, kind, method, day).

    One `INSERT … ON CONFLICT (…) WHERE … DO UPDATE` per batch and per kind of row (per
    city or project-wide), instead of a `update_or_create` per row. Raw SQL because the
    conflict target is a partial unique index (NULL cities are distinct in a plain one)
    and `bulk_create(update_conflicts=True)` cannot name its predicate; PostgreSQL and
    SQLite both need it to pick the index. The upsert is atomic per row, so two runs
    overlapping leave the same rows (and the same ids) as one. (tests/faults/slow_worker
    wraps this function to stall a job just before it writes.)
    """
    for has_city in (True, False):
        group = [row for row in rows if (row["city_id"] is not None) == has_city]
        conflict, predicate = _SCORE_CONFLICTS[has_city]
        for i in range(0, len(group), UPSERT_BATCH):
            _upsert_batch(group[i : i + UPSERT_BATCH], conflict, predicate, at=at, day=day)


def _upsert_batch(rows: list[dict], conflict, predicate: str, *, at: datetime, day) -> None:
    if not rows:
        return
    fields = {f.column: f for f in Score._meta.concrete_fields}
    quote = connection.ops.quote_name
    params: list = []
    for row in rows:
        values = {
            "project_id": row["project_id"],
            "city_id": row["city_id"],
            "kind": row["kind"],
            "method": scoring.METHOD,
            "value": _num(row["value"]),
            "components": row["components"],
            "computed_at": at,
            "day": day,
        }
        params.extend(
            fields[column].get_db_prep_save(values[column], connection) for column in _SCORE_COLUMNS
        )
    placeholder = "(" + ", ".join(["%s"] * len(_SCORE_COLUMNS)) + ")"
    sql = (
        f"INSERT INTO {quote(Score._meta.db_table)} "
        f"({', '.join(quote(c) for c in _SCORE_COLUMNS)}) "
        f"VALUES {', '.join([placeholder] * len(rows))} "
        f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) WHERE {predicate} "
        f"DO UPDATE SET {', '.join(f'{quote(c)} = excluded.{quote(c)}' for c in _SCORE_UPDATED)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def scores_compute(
    *,
    project_ids: Iterable[int] | None = None,
    at: datetime | None = None,
    compare_all: bool = True,
) -> dict:
    """Compute and store method-v1 scores; idempotent per (project, city, kind, method, day).

    Inclusivity rows are written for the requested published projects (all when None);
    comparison rows for every published project, because one project's change moves the
    percentile ranks of its whole peer group (`compare_all=False` limits them to the
    requested projects: the nightly chunks all share one `at`, so together they still write
    every row exactly once); city statistics for the requested projects' cities.
    Unpublished projects get no score.
    """
    at = at or timezone.now()
    day = timezone.localdate(at)
    projects = list(Project.objects.published().prefetch_related("cities", "themes").order_by("pk"))
    if not projects:
        return {"projects": 0, "cities": 0}
    published_ids = {p.pk for p in projects}
    targets = published_ids if project_ids is None else published_ids & set(project_ids)
    data = _gather(projects, at)

    inclusivity: dict[int, Fraction | None] = {}
    city_scores: dict[int, list[tuple[int, Fraction | None]]] = defaultdict(list)
    city_areas: dict[int, list[list[scoring.Area]]] = defaultdict(list)
    coverage_areas: dict[int, list[scoring.Area]] = defaultdict(list)
    rows: list[dict] = []
    for project in projects:
        per_city = []
        for city in project.cities.all():
            cd = data.cities[city.pk]
            value, components, areas = city_inclusivity(
                project, cd, data.placed.get((project.pk, city.pk)), data.answers[project.pk]
            )
            per_city.append((value, cd))
            city_scores[city.pk].append((project.pk, value))
            city_areas[city.pk].append(areas)
            coverage_areas[project.pk].extend(areas)
            rows.append(
                dict(
                    project_id=project.pk,
                    city_id=city.pk,
                    value=value,
                    kind=ScoreKind.INCLUSIVITY,
                    components=components,
                )
            )
        overall = scoring.population_weighted_mean((v, cd.population) for v, cd in per_city)
        inclusivity[project.pk] = overall
        rows.append(
            dict(
                project_id=project.pk,
                city_id=None,
                value=overall,
                kind=ScoreKind.INCLUSIVITY,
                components={
                    "per_city": [
                        {
                            "city": cd.city.slug,
                            "name": cd.city.name,
                            "value": _num(v),
                            "population": cd.population,
                        }
                        for v, cd in per_city
                    ],
                    "exact": _exact(overall),
                },
            )
        )

    metrics = {
        p.pk: _metrics(p, data, inclusivity[p.pk], coverage_areas[p.pk], at) for p in projects
    }
    themes = {p.pk: p.primary_theme for p in projects}
    similar = _similar(projects, data.points)
    for project in projects:
        score, ranks = scoring.comparison(project.pk, metrics, themes)
        peers = scoring.peer_group(project.pk, themes)
        rows.append(
            dict(
                project_id=project.pk,
                city_id=None,
                value=score,
                kind=ScoreKind.COMPARISON,
                components={
                    "metrics": {k: _num(v) for k, v in metrics[project.pk].items()},
                    "ranks": {k: _num(v) for k, v in ranks.items()},
                    "peer_group": {
                        "theme": project.primary_theme,
                        "size": len(peers),
                        "all_published": sum(t == project.primary_theme for t in themes.values())
                        < scoring.MIN_PEERS,
                    },
                    "similar": similar[project.pk],
                    "exact": _exact(score),
                },
            )
        )

    target_cities = {c.pk for p in projects if p.pk in targets for c in p.cities.all()}
    wanted = [
        row
        for row in rows
        if row["project_id"] in targets or (row["kind"] == ScoreKind.COMPARISON and compare_all)
    ]
    stats = [
        CityStat(
            city_id=city_id,
            method=scoring.METHOD,
            day=day,
            values=_city_stat(data, city_id, projects, city_scores[city_id]),
            computed_at=at,
        )
        for city_id in sorted(target_cities)
    ]
    with transaction.atomic():
        _upsert_score(rows=wanted, at=at, day=day)
        CityStat.objects.bulk_create(
            stats,
            update_conflicts=True,
            unique_fields=["city", "method", "day"],
            update_fields=["values", "computed_at"],
        )
    return {"projects": len(targets), "cities": len(target_cities)}


def _metrics(project: Project, data: _Gathered, inclusivity, areas, at: datetime) -> dict:
    stats = data.stats.get(project.pk, {})
    first = stats.get("first_reading")
    since = timezone.localdate(first) if first else project.start_date
    return {
        "active_sensors": len(data.points.get(project.pk, [])),
        "participants": data.participants.get(project.pk, 0),
        "completeness": stats.get("completeness"),
        "quality": stats.get("quality"),
        "coverage": scoring.coverage(areas),
        "openness": scoring.openness(project.licence),
        "participation": PARTICIPATION_STEP[project.participation_level],
        "inclusivity": inclusivity,
        "longevity": scoring.longevity_months(since, timezone.localdate(at)),
        "impact": IMPACT_LEVEL[project.impact_level],
    }


def _city_stat(data: _Gathered, city_id: int, projects, scores) -> dict:
    """One city's figures: all its published projects' sensors taken together."""
    cd = data.cities[city_id]
    in_city = [p for p in projects if any(c.pk == city_id for c in p.cities.all())]
    placed = Counter()
    for p in in_city:
        placed.update(data.placed.get((p.pk, city_id), Counter()))
    areas = _areas(cd, placed)
    ci = scoring.concentration_index(areas)
    present = [v for _pid, v in scores if v is not None]
    mean_inclusivity = sum(present, Fraction(0)) / len(present) if present else None
    sensors = sum(placed.values())
    quintiles = scoring.quintile_shares(areas)
    values = {
        "published_projects": len(in_city),
        "active_sensors": sensors,
        "population": cd.population,
        "sensors_per_10k": _num(scoring.per_ten_thousand(sensors, cd.population)),
        "coverage": _num(scoring.coverage(areas)),
        "ci": _num(ci),
        "ci_exact": _exact(ci),
        "spatial_equity": _num(scoring.spatial_equity(ci)),
        "mean_inclusivity": _num(mean_inclusivity),
        "themes": sorted({t.code for p in in_city for t in p.themes.all()}),
        "richest": _richest(quintiles),
        # Counts per neighbourhood only (for the choropleth): the points stay on the server.
        "neighbourhood_sensors": {n.code: placed.get(n.code, 0) for n in cd.neighbourhoods},
    }
    return values


# --- the nightly run ---------------------------------------------------------------------


#: The nightly marks fall due for the sweep only this long after the run started, beyond
#: the chunks' hard time limit, so the sweep does not redo chunks that are still queued.
NIGHTLY_GRACE = timedelta(minutes=30)


def scores_nightly_plan(*, at: datetime | None = None) -> list[list[int]]:
    """Mark every published project for rescoring and return one chunk of ids per city.

    The marks are the durable record of the run: a chunk whose message is lost (or whose
    worker dies) leaves its marks behind and the sweep rescores those projects once they
    fall due (`NIGHTLY_GRACE` after the run's time). A chunk
    holds all the published projects of one city, so that city's statistics are computed
    in the same task, after its projects; a project of several cities goes with the first
    of them (by slug) and its other cities' figures are written by their own chunks from
    the same data. Cities without a published project make no chunk.
    """
    at = at or timezone.now()
    chunks: dict[str, list[int]] = defaultdict(list)
    ids = []
    for project in Project.objects.published().prefetch_related("cities").order_by("pk"):
        slugs = sorted(c.slug for c in project.cities.all())
        chunks[slugs[0] if slugs else ""].append(project.pk)
        ids.append(project.pk)
    if ids:
        _mark(ids, due=at + NIGHTLY_GRACE)
    return [chunks[slug] for slug in sorted(chunks)]


def scores_chunk_run(*, project_ids: list[int], at: datetime) -> list[int]:
    """One city's chunk of the nightly run: its projects' rows and its statistics.

    `at` is the run's time, the same for every chunk, so a duplicate delivery (or a retry)
    writes exactly the rows the first delivery wrote. Only the marks this run left are
    cleared (same due time): a project asked for again meanwhile keeps its mark.
    """
    present = list(
        Project.objects.published().filter(pk__in=project_ids).values_list("pk", flat=True)
    )
    if present:
        scores_compute(project_ids=present, at=at, compare_all=False)
    RescoreMark.objects.filter(project_id__in=project_ids, requested_at=at + NIGHTLY_GRACE).delete()
    return present
