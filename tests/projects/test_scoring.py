"""The arithmetic of method v1, against values worked out by hand (no database)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from projects import scoring
from projects.scoring import Area

UNIFORM = {"0-24": 25, "25-44": 25, "45-64": 25, "65+": 25}


def _three(s1: int, s2: int, s3: int) -> list[Area]:
    """SCORING.md §1: populations 100, 100, 200, poorest first."""
    return [Area("A", 100, 20_000, s1), Area("B", 100, 30_000, s2), Area("C", 200, 40_000, s3)]


def test_it_reproduces_the_worked_example_of_scoring_md():
    ci = scoring.concentration_index(_three(0, 1, 3))
    assert ci == Fraction(5, 16) == 0.3125
    assert scoring.spatial_equity(ci) == Fraction(6875, 100)


def test_it_gives_zero_for_sensors_in_proportion_to_population():
    ci = scoring.concentration_index(_three(1, 1, 2))
    assert ci == 0
    assert scoring.spatial_equity(ci) == 100


def test_it_gives_the_top_of_the_range_when_all_sensors_are_in_the_richest():
    # σ = 0, 0, 1; r_C = .75 → CI = 2·.75 − 1 = .5; E = 50.
    ci = scoring.concentration_index(_three(0, 0, 5))
    assert ci == Fraction(1, 2)
    assert scoring.spatial_equity(ci) == 50


def test_it_does_not_penalise_sensors_all_in_the_poorest():
    # σ = 1, 0, 0; r_A = .125 → CI = .25 − 1 = −.75; E = 100.
    ci = scoring.concentration_index(_three(4, 0, 0))
    assert ci == Fraction(-3, 4)
    assert scoring.spatial_equity(ci) == 100


def test_it_breaks_income_ties_by_code():
    # Equal incomes: order by code B0 < B1 whatever the input order. π = .5, .5; r = .25, .75;
    # all sensors in B1 → CI = 2·.75 − 1 = .5.
    areas = [Area("B1", 100, 30_000, 2), Area("B0", 100, 30_000, 0)]
    assert scoring.concentration_index(areas) == Fraction(1, 2)
    assert scoring.concentration_index(list(reversed(areas))) == Fraction(1, 2)


def test_it_leaves_out_unknown_income_and_zero_population():
    # Only A and C qualify: π = 1/3, 2/3; r = 1/6, 2/3; sensors 1, 1 (B's 5 and D's 7 take no part)
    # → CI = 2·(½·1/6 + ½·2/3) − 1 = −1/6.
    areas = [
        Area("A", 100, 20_000, 1),
        Area("B", 100, None, 5),
        Area("C", 200, 40_000, 1),
        Area("D", 0, 50_000, 7),
    ]
    assert scoring.concentration_index(areas) == Fraction(-1, 6)


def test_it_is_absent_without_sensors_or_with_one_qualifying_neighbourhood():
    assert scoring.concentration_index(_three(0, 0, 0)) is None
    assert scoring.concentration_index([Area("A", 100, 1.0, 3), Area("B", 100, None, 1)]) is None
    assert scoring.spatial_equity(None) is None


def test_it_ignores_sensors_outside_every_neighbourhood():
    # Sensors outside every neighbourhood are never placed, so only placed counts appear.
    assert scoring.concentration_index(_three(0, 1, 3)) == Fraction(5, 16)


def test_it_reports_quintile_shares_that_add_up():
    shares = scoring.quintile_shares(_three(0, 1, 3))
    assert sum(q["residents"] for q in shares) == 1
    assert sum(q["sensors"] for q in shares) == 1
    assert shares[3] == {"residents": Fraction(1, 2), "sensors": Fraction(3, 4)}


def test_it_computes_coverage_over_known_populations():
    assert scoring.coverage(_three(0, 1, 3)) == Fraction(3, 4)
    assert scoring.coverage([Area("A", None, None, 3)]) is None


def test_it_computes_dissimilarity_and_representativeness():
    answers = {"0-24": 4, "25-44": 4, "45-64": 1, "65+": 1}
    # p = .4, .4, .1, .1; q = .25 each → D = ½(.15 + .15 + .15 + .15) = .3 → R = 70.
    assert scoring.dissimilarity(answers, UNIFORM) == Fraction(3, 10)
    assert scoring.representativeness(answers, UNIFORM) == 70
    assert scoring.representativeness(UNIFORM, UNIFORM) == 100


def test_it_leaves_representativeness_absent_below_ten_answers():
    assert scoring.representativeness({"0-24": 9}, UNIFORM) is None
    assert scoring.representativeness({"0-24": 10}, UNIFORM) == 25  # D = ½(.75 + 3·.25) = .75


def _access(**overrides):
    answers = dict(
        free_to_join=True,
        non_digital_option=True,
        languages_offered=2,
        recruits_underrepresented=True,
        results_shared=True,
        participation_step=4,
        licence="cc0",
        locations_protected=True,
    )
    return scoring.access_process(**{**answers, **overrides})


def test_it_adds_up_access_points_to_a_hundred():
    assert _access()[0] == 100
    value, points = _access(
        free_to_join=False, languages_offered=1, participation_step=1, licence="on-request"
    )
    assert value == 100 - 15 - 10 - 15 - 10
    assert points["participation"] == 5


def test_it_leaves_access_absent_while_a_question_is_unanswered():
    assert _access(results_shared=None)[0] is None


def test_it_renormalises_weights_over_present_components():
    everything = {
        "spatial_equity": Fraction(6875, 100),
        "representativeness": Fraction(70),
        "access": Fraction(100),
    }
    assert scoring.weighted_mean(everything) == Fraction(275, 10) + Fraction(175, 10) + 35
    # Representativeness absent: (.4·68.75 + .35·100) / .75 = 62.5 / .75.
    assert scoring.weighted_mean({**everything, "representativeness": None}) == Fraction(250, 3)
    only_access = {"spatial_equity": None, "representativeness": None, "access": Fraction(40)}
    assert scoring.weighted_mean(only_access) == 40
    assert scoring.weighted_mean(dict.fromkeys(everything)) is None


def test_it_weights_cities_by_population():
    assert scoring.population_weighted_mean([(Fraction(50), 100), (Fraction(80), 300)]) == Fraction(
        725, 10
    )
    assert scoring.population_weighted_mean([(None, 100), (Fraction(80), 300)]) == 80
    assert scoring.population_weighted_mean([(None, 100)]) is None


@pytest.mark.parametrize(("value", "expected"), [(1, 12.5), (2, 50), (3, 87.5)])
def test_it_shares_ties_in_percentile_ranks(value, expected):
    # 1 below-none; 2 ties twice with one below; 3 above three.
    assert scoring.percentile_rank(value, [1, 2, 2, 3]) == expected


def test_it_does_not_rank_absent_values():
    assert scoring.percentile_rank(2, [2, None, None]) == 50


def test_it_falls_back_to_all_published_when_the_peer_group_is_small():
    themes = {1: "air", 2: "air", 3: "noise", 4: "noise", 5: "noise"}
    assert scoring.peer_group(1, themes) == [1, 2, 3, 4, 5]
    assert scoring.peer_group(3, themes) == [3, 4, 5]


def test_it_averages_present_percentile_ranks_for_the_comparison_score():
    themes = {1: "air", 2: "air", 3: "air", 4: "noise"}
    metrics = {
        1: {"coverage": Fraction(1, 2), "impact": 3, "quality": None},
        2: {"coverage": Fraction(1, 4), "impact": 0, "quality": 0.5},
        3: {"coverage": Fraction(1, 2), "impact": 0, "quality": 0.9},
        4: {"coverage": 1, "impact": 3, "quality": 1.0},  # other theme: not a peer
    }
    score, ranks = scoring.comparison(1, metrics, themes)
    # coverage: 1 below, 2 equal of 3 → 100·2/3; impact: 2 below, 1 equal → 100·2.5/3.
    assert ranks["coverage"] == Fraction(200, 3)
    assert ranks["impact"] == Fraction(250, 3)
    assert ranks["quality"] is None
    assert score == Fraction(225, 3)


def test_it_computes_openness_and_longevity():
    assert scoring.openness("cc-by") == 1
    assert scoring.openness("on-request") == Fraction(1, 2)
    assert scoring.longevity_months(date(2024, 2, 29), date(2024, 3, 28)) == 0
    assert scoring.longevity_months(date(2024, 2, 29), date(2024, 3, 29)) == 1
    assert scoring.longevity_months(date(2025, 2, 1), date(2024, 1, 1)) == 0


def test_it_measures_cosine_similarity_of_profiles():
    a = scoring.profile_vector(
        themes=["air"],
        participation_step=1,
        initiator_type="ngo",
        active_sensors=0,
        all_themes=["air", "noise"],
        all_initiators=["ngo", "school"],
    )
    b = scoring.profile_vector(
        themes=["noise"],
        participation_step=0,
        initiator_type="school",
        active_sensors=0,
        all_themes=["air", "noise"],
        all_initiators=["ngo", "school"],
    )
    assert a == [1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    assert scoring.cosine_similarity(a, b) == 0.0
    assert scoring.cosine_similarity(a, a) == pytest.approx(1.0)
    assert scoring.cosine_similarity([0.0, 0.0], a[:2]) is None


def _square(lon: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_it_places_points_in_polygons_and_none_outside():
    from projects.placement import NeighbourhoodIndex

    index = NeighbourhoodIndex([("A", _square(0, 0)), ("B", _square(0.01, 0)), ("bad", {})])
    assert index.locate_many([(0.005, 0.005), (0.015, 0.005), (5.0, 5.0)]) == ["A", "B", None]
    assert index.locate(0.01, 0.005) == "A"  # on the shared border: the first area given


def test_it_places_ten_thousand_points_in_a_thousand_areas_at_once():
    import random
    import time

    from projects.placement import NeighbourhoodIndex

    areas = [(f"{i}-{j}", _square(i * 0.01, j * 0.01)) for i in range(40) for j in range(25)]
    rng = random.Random(4)
    points = [(rng.uniform(0, 0.4), rng.uniform(0, 0.25)) for _ in range(10_000)]
    started = time.perf_counter()
    placed = NeighbourhoodIndex(areas).locate_many(points)
    assert time.perf_counter() - started < 5  # a sanity bound; it takes a few tens of ms
    i, j = int(points[0][0] / 0.01), int(points[0][1] / 0.01)
    assert placed[0] == f"{i}-{j}"
