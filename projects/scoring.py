"""Method v1 of the scores (../shared/SCORING.md), as pure functions on plain values.

No ORM and no request here: the services gather the data, these functions do the
arithmetic. Shares are exact (`fractions.Fraction`); rounding happens only for display.
A component that cannot be computed is `None` ("absent"), never zero. Each docstring states
the formula and a worked example; the "How are scores computed?" page shows them as they are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

METHOD = "v1"

#: Weights of the inclusivity components (renormalised over the components present).
INCLUSIVITY_WEIGHTS: dict[str, Fraction] = {
    "spatial_equity": Fraction(40, 100),
    "representativeness": Fraction(25, 100),
    "access": Fraction(35, 100),
}

#: The metrics whose percentile ranks make up the comparison score.
COMPARISON_METRICS: tuple[str, ...] = (
    "completeness",
    "quality",
    "coverage",
    "openness",
    "participation",
    "inclusivity",
    "longevity",
    "impact",
)

#: Fewer answers than this and representativeness is absent (and the distribution hidden).
MIN_ANSWERS = 10

#: A peer group smaller than this falls back to all published projects.
MIN_PEERS = 3

#: Access & process points per yes/no item of the self-assessment.
ACCESS_POINTS: dict[str, int] = {
    "free_to_join": 15,
    "non_digital_option": 10,
    "several_languages": 10,
    "recruits_underrepresented": 15,
    "results_shared": 10,
    "open_licence": 10,
    "locations_protected": 10,
}
#: Points per participation ladder step (inform 0 … co-decide 4).
LADDER_POINTS = 5

OPEN_LICENCE_CODES = frozenset({"cc0", "cc-by", "odbl", "pddl"})
ON_REQUEST_LICENCE = "on-request"


@dataclass(frozen=True)
class Area:
    """One neighbourhood as the spatial-equity formula sees it.

    `population` and `income` are None when unknown; `sensors` is the number of the
    project's active sensors placed in it.
    """

    code: str
    population: int | None
    income: float | None
    sensors: int = 0


def _qualifying(areas: Iterable[Area]) -> list[Area]:
    """Areas with population > 0 and a known income, poorest first (ties by code)."""
    rows = [a for a in areas if a.population and a.population > 0 and a.income is not None]
    return sorted(rows, key=lambda a: (a.income, a.code))


def concentration_index(areas: Iterable[Area]) -> Fraction | None:
    """Concentration index of sensor density over income: CI = 2·Σ σ_i·r_i − 1.

    Neighbourhoods with population > 0 and a known income are sorted poorest first (ties
    by code); π_i = P_i/ΣP, σ_i = s_i/Σs over those only, r_i = Σ_{j<i} π_j + π_i/2.
    CI = 0 when sensors follow population whatever the income, > 0 when they gather
    where richer residents live, < 0 where poorer ones live. Absent (None) when no sensor
    stands in a qualifying neighbourhood or fewer than 2 neighbourhoods qualify.

    Worked example (SCORING.md §1): populations 100, 100, 200 poorest first, sensors
    0, 1, 3 → π = .25, .25, .5; r = .125, .375, .75; σ = 0, .25, .75.

    >>> ci = concentration_index([
    ...     Area("A", 100, 20_000, 0), Area("B", 100, 30_000, 1), Area("C", 200, 40_000, 3)])
    >>> ci, float(ci)
    (Fraction(5, 16), 0.3125)
    """
    rows = _qualifying(areas)
    total_population = sum(a.population for a in rows)
    total_sensors = sum(a.sensors for a in rows)
    if len(rows) < 2 or total_sensors == 0:
        return None
    below = Fraction(0)
    weighted = Fraction(0)
    for area in rows:
        share = Fraction(area.population, total_population)
        rank = below + share / 2
        weighted += Fraction(area.sensors, total_sensors) * rank
        below += share
    return 2 * weighted - 1


def spatial_equity(ci: Fraction | None) -> Fraction | None:
    """Spatial equity E = 100·(1 − max(0, CI)); absent when CI is.

    Only concentration among the better-off costs points: sensors that favour poorer
    neighbourhoods are not penalised.

    >>> spatial_equity(Fraction(5, 16))
    Fraction(275, 4)
    >>> float(spatial_equity(Fraction(5, 16)))
    68.75
    >>> spatial_equity(Fraction(-1, 2)), spatial_equity(None)
    (Fraction(100, 1), None)
    """
    if ci is None:
        return None
    return 100 * (1 - max(Fraction(0), ci))


def quintile_shares(areas: Iterable[Area]) -> list[dict[str, Fraction]] | None:
    """Per income quintile of residents: the share of sensors and the share of residents.

    For the chart, not the score. Qualifying neighbourhoods (as for the CI) are sorted
    poorest first; a neighbourhood belongs to quintile ⌊5·r_i⌋ (0 = poorest fifth), with
    r_i its population-weighted fractional rank (the midpoint of its slice of residents),
    so a neighbourhood is never split. Absent when no neighbourhood qualifies.

    >>> rows = quintile_shares([
    ...     Area("A", 100, 20_000, 0), Area("B", 100, 30_000, 1), Area("C", 200, 40_000, 3)])
    >>> [(str(q["residents"]), str(q["sensors"])) for q in rows]
    [('1/4', '0'), ('1/4', '1/4'), ('0', '0'), ('1/2', '3/4'), ('0', '0')]
    """
    rows = _qualifying(areas)
    if not rows:
        return None
    total_population = sum(a.population for a in rows)
    total_sensors = sum(a.sensors for a in rows)
    result = [{"residents": Fraction(0), "sensors": Fraction(0)} for _ in range(5)]
    below = Fraction(0)
    for area in rows:
        share = Fraction(area.population, total_population)
        quintile = min(4, math.floor(5 * (below + share / 2)))
        result[quintile]["residents"] += share
        if total_sensors:
            result[quintile]["sensors"] += Fraction(area.sensors, total_sensors)
        below += share
    return result


def coverage(areas: Iterable[Area]) -> Fraction | None:
    """Share of residents living in a neighbourhood with ≥ 1 active sensor (0–1).

    Over the neighbourhoods with a known population (income plays no part here). Absent
    when no neighbourhood has a known population.

    >>> coverage([Area("A", 100, None, 0), Area("B", 100, None, 1), Area("C", 200, 1.0, 3)])
    Fraction(3, 4)
    """
    rows = [a for a in areas if a.population is not None]
    total = sum(a.population for a in rows)
    if total == 0:
        return None
    return Fraction(sum(a.population for a in rows if a.sensors > 0), total)


def dissimilarity(answers: Mapping[str, int], residents: Mapping[str, int]) -> Fraction | None:
    """Dissimilarity index D = ½·Σ_k |p_k − q_k| between participants and residents.

    p_k = share of responding participants in age band k, q_k = share of the city's
    residents in band k. 0 = participants look exactly like the city, 1 = no overlap.
    Absent when either side has no one.

    >>> dissimilarity({"0-24": 5, "25-44": 5}, {"0-24": 1, "25-44": 1, "45-64": 1, "65+": 1})
    Fraction(1, 2)
    """
    n_answers, n_residents = sum(answers.values()), sum(residents.values())
    if n_answers == 0 or n_residents == 0:
        return None
    bands = set(answers) | set(residents)
    total = sum(
        abs(Fraction(answers.get(k, 0), n_answers) - Fraction(residents.get(k, 0), n_residents))
        for k in bands
    )
    return total / 2


def representativeness(answers: Mapping[str, int], residents: Mapping[str, int]) -> Fraction | None:
    """Representativeness R = 100·(1 − D); absent with fewer than 10 answers.

    The threshold keeps a handful of answers from passing for a profile of the
    participants (and the same threshold hides the distribution itself).

    >>> representativeness({"0-24": 5, "25-44": 5},
    ...                    {"0-24": 1, "25-44": 1, "45-64": 1, "65+": 1})
    Fraction(50, 1)
    >>> representativeness({"0-24": 9}, {"0-24": 1}) is None
    True
    """
    if sum(answers.values()) < MIN_ANSWERS:
        return None
    d = dissimilarity(answers, residents)
    return None if d is None else 100 * (1 - d)


def access_process(
    *,
    free_to_join: bool | None,
    non_digital_option: bool | None,
    languages_offered: int,
    recruits_underrepresented: bool | None,
    results_shared: bool | None,
    participation_step: int,
    licence: str,
    locations_protected: bool | None,
) -> tuple[Fraction | None, dict[str, int]]:
    """Access & process A: points from the self-assessment, total 100.

    free to join 15, non-digital way to take part 10, 2+ languages 10, recruits
    under-represented groups 15, results shared back 10, participation ladder 5 per step
    (inform 0 … co-decide 20), open licence (CC0, CC-BY, ODbL, PDDL) 10, home locations
    protected 10. Absent while any yes/no question is unanswered, since an unanswered
    item would otherwise count as a silent "no". Returns (A, points per item).

    >>> a, points = access_process(free_to_join=True, non_digital_option=False,
    ...     languages_offered=2, recruits_underrepresented=True, results_shared=True,
    ...     participation_step=3, licence="cc-by", locations_protected=True)
    >>> a
    Fraction(85, 1)
    >>> access_process(free_to_join=None, non_digital_option=True, languages_offered=1,
    ...     recruits_underrepresented=True, results_shared=True, participation_step=0,
    ...     licence="cc0", locations_protected=True)[0] is None
    True
    """
    answers = {
        "free_to_join": free_to_join,
        "non_digital_option": non_digital_option,
        "recruits_underrepresented": recruits_underrepresented,
        "results_shared": results_shared,
        "locations_protected": locations_protected,
    }
    facts = {
        **answers,
        "several_languages": languages_offered >= 2,
        "open_licence": licence in OPEN_LICENCE_CODES,
    }
    points = {item: (ACCESS_POINTS[item] if facts[item] else 0) for item in ACCESS_POINTS}
    points["participation"] = LADDER_POINTS * participation_step
    if any(value is None for value in answers.values()):
        return None, points
    return Fraction(sum(points.values())), points


def weighted_mean(
    components: Mapping[str, Fraction | None], weights: Mapping[str, Fraction] | None = None
) -> Fraction | None:
    """Inclusivity = Σ w_k·c_k / Σ w_k over the components present (weights renormalised).

    Weights: spatial equity 0.40, representativeness 0.25, access & process 0.35. An absent
    component (None) is left out rather than counted as zero; all absent → absent.

    >>> weighted_mean({"spatial_equity": Fraction(275, 4), "representativeness": None,
    ...                "access": Fraction(85)})
    Fraction(229, 3)

    i.e. (0.40·68.75 + 0.35·85) / (0.40 + 0.35) = 57.25 / 0.75 ≈ 76.33.
    """
    weights = INCLUSIVITY_WEIGHTS if weights is None else weights
    present = {k: v for k, v in components.items() if v is not None}
    total_weight = sum((weights[k] for k in present), Fraction(0))
    if total_weight == 0:
        return None
    return sum((weights[k] * v for k, v in present.items()), Fraction(0)) / total_weight


def population_weighted_mean(
    values: Iterable[tuple[Fraction | None, int | None]],
) -> Fraction | None:
    """A multi-city project's score: Σ P_c·S_c / Σ P_c over the cities with a score.

    Cities where the score is absent, or whose population is unknown or zero, are left out.

    >>> population_weighted_mean([(Fraction(60), 300_000), (Fraction(80), 100_000), (None, 5)])
    Fraction(65, 1)
    """
    present = [(v, p) for v, p in values if v is not None and p]
    total = sum(p for _, p in present)
    if total == 0:
        return None
    return sum((Fraction(v) * p for v, p in present), Fraction(0)) / total


def openness(licence: str) -> Fraction:
    """Openness: 1 for an open licence (CC0, CC-BY, ODbL, PDDL), ½ for "on request", else 0.

    >>> openness("odbl"), openness("on-request"), openness("closed")
    (Fraction(1, 1), Fraction(1, 2), Fraction(0, 1))
    """
    if licence in OPEN_LICENCE_CODES:
        return Fraction(1)
    if licence == ON_REQUEST_LICENCE:
        return Fraction(1, 2)
    return Fraction(0)


def longevity_months(since: date | None, at: date) -> int | None:
    """Whole months from `since` (first reading, else start date) to `at`; absent without one.

    A month counts once its day of the month is reached again; never negative.

    >>> longevity_months(date(2024, 1, 31), date(2024, 3, 30))
    1
    >>> longevity_months(date(2024, 1, 15), date(2025, 1, 15))
    12
    >>> longevity_months(None, date(2025, 1, 1)) is None
    True
    """
    if since is None:
        return None
    months = (at.year - since.year) * 12 + (at.month - since.month)
    if at.day < since.day:
        months -= 1
    return max(0, months)


def percentile_rank(value: Fraction | float, values: Sequence[Fraction | float | None]) -> Fraction:
    """pr = 100·(below + ½·equal)/N among the present `values` (the peer group, itself included).

    Ties share the midpoint, so equal values get equal ranks.

    >>> percentile_rank(2, [1, 2, 2, 3, None])
    Fraction(50, 1)
    >>> percentile_rank(3, [1, 2, 2, 3])
    Fraction(175, 2)
    """
    present = [v for v in values if v is not None]
    below = sum(1 for v in present if v < value)
    equal = sum(1 for v in present if v == value)
    return Fraction(100) * (below + Fraction(equal, 2)) / len(present)


def peer_group(project_id: int, themes: Mapping[int, str]) -> list[int]:
    """The published projects with the same primary theme; all of them if fewer than 3.

    `themes` maps every published project's id to its primary theme.

    >>> peer_group(1, {1: "air", 2: "air", 3: "noise"})
    [1, 2, 3]
    >>> peer_group(1, {1: "air", 2: "air", 3: "air", 4: "noise"})
    [1, 2, 3]
    """
    same = sorted(pid for pid, theme in themes.items() if theme == themes[project_id])
    return same if len(same) >= MIN_PEERS else sorted(themes)


def comparison(
    project_id: int,
    metrics: Mapping[int, Mapping[str, Fraction | float | None]],
    themes: Mapping[int, str],
) -> tuple[Fraction | None, dict[str, Fraction | None]]:
    """Comparison score = mean of the project's percentile ranks over the comparison metrics.

    Metrics: completeness, quality, coverage, openness, participation, inclusivity,
    longevity, impact; ranks within the peer group (see `peer_group`). A metric absent for
    the project is left out of its mean; absent values of peers are not ranked.
    Returns (score, rank per metric).

    >>> metrics = {1: {"impact": 1, "quality": None}, 2: {"impact": 2, "quality": 0.9},
    ...            3: {"impact": 2, "quality": 0.5}}
    >>> score, ranks = comparison(2, metrics, {1: "air", 2: "air", 3: "air"})
    >>> score, ranks["impact"], ranks["quality"], ranks["coverage"]
    (Fraction(425, 6), Fraction(200, 3), Fraction(75, 1), None)
    """
    peers = peer_group(project_id, themes)
    ranks: dict[str, Fraction | None] = {}
    for metric in COMPARISON_METRICS:
        value = metrics[project_id].get(metric)
        if value is None:
            ranks[metric] = None
            continue
        ranks[metric] = percentile_rank(value, [metrics[p].get(metric) for p in peers])
    present = [r for r in ranks.values() if r is not None]
    score = sum(present, Fraction(0)) / len(present) if present else None
    return score, ranks


def profile_vector(
    *,
    themes: Iterable[str],
    participation_step: int,
    initiator_type: str,
    active_sensors: int,
    all_themes: Sequence[str],
    all_initiators: Sequence[str],
) -> list[float]:
    """The profile vector for similarity: themes one-hot, ladder step, initiator one-hot,
    log10(1 + active sensors).

    >>> profile_vector(themes=["air"], participation_step=2, initiator_type="ngo",
    ...     active_sensors=9, all_themes=["air", "noise"], all_initiators=["ngo", "school"])
    [1.0, 0.0, 2.0, 1.0, 0.0, 1.0]
    """
    chosen = set(themes)
    return [
        *(1.0 if t in chosen else 0.0 for t in all_themes),
        float(participation_step),
        *(1.0 if i == initiator_type else 0.0 for i in all_initiators),
        math.log10(1 + active_sensors),
    ]


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float | None:
    """cos(a, b) = a·b / (|a|·|b|); absent when either vector is all zeros.

    >>> cosine_similarity([3.0, 4.0], [6.0, 8.0])
    1.0
    >>> cosine_similarity([1.0, 0.0], [0.0, 1.0])
    0.0
    """
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    if norm == 0:
        return None
    return dot / norm


def per_ten_thousand(count: int, population: int | None) -> Fraction | None:
    """Active sensors per 10,000 residents; absent without a population.

    >>> per_ten_thousand(25, 50_000)
    Fraction(5, 1)
    """
    if not population:
        return None
    return Fraction(count * 10_000, population)
