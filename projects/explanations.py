"""Plain-language explanations of score components, for a city official rather than a statistician.

The scores store each component's figures (`params`); the sentence is rendered from them in
the reader's language when shown, so a Dutch page never shows a stored English sentence.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

COMPONENT_NAMES = {
    "spatial_equity": gettext_lazy("Spatial equity"),
    "representativeness": gettext_lazy("Representativeness"),
    "access": gettext_lazy("Access & process"),
}

METRIC_NAMES = {
    "active_sensors": gettext_lazy("Active sensors"),
    "participants": gettext_lazy("Participants"),
    "completeness": gettext_lazy("Completeness"),
    "quality": gettext_lazy("Quality"),
    "coverage": gettext_lazy("Coverage"),
    "openness": gettext_lazy("Openness"),
    "participation": gettext_lazy("Participation step"),
    "inclusivity": gettext_lazy("Inclusivity"),
    "longevity": gettext_lazy("Longevity (months)"),
    "impact": gettext_lazy("Impact"),
}

METRIC_HELP = {
    "active_sensors": gettext_lazy("Sensors with a reading in the last 30 days."),
    "participants": gettext_lazy("Members with any role."),
    "completeness": gettext_lazy("Share of hours with at least one reading, last 90 days."),
    "quality": gettext_lazy("Share of readings without a quality flag, last 90 days."),
    "coverage": gettext_lazy("Share of residents living in a neighbourhood with an active sensor."),
    "openness": gettext_lazy("1 for an open licence, 0.5 on request, 0 otherwise."),
    "participation": gettext_lazy("Participation ladder: inform 0 … co-decide 4."),
    "inclusivity": gettext_lazy("The inclusivity score."),
    "longevity": gettext_lazy("Whole months since the first reading (or the start date)."),
    "impact": gettext_lazy("None 0, reported 1, used in policy debate 2, policy changed 3."),
}

NOT_ENOUGH_DATA = gettext_lazy("Not enough data")


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{round(100 * share)}"


#: What the concentration index's sign says, beyond ±0.05: (richer, poorer, even).
_PROJECT_LEANS = (
    gettext_lazy("The sensors lean towards neighbourhoods where richer residents live."),
    gettext_lazy("The sensors lean towards neighbourhoods where poorer residents live."),
    gettext_lazy("The sensors are spread roughly in proportion to where people live."),
)
_CITY_LEANS = (
    gettext_lazy("The city's sensors lean towards neighbourhoods where richer residents live."),
    gettext_lazy("The city's sensors lean towards neighbourhoods where poorer residents live."),
    gettext_lazy("The city's sensors are spread roughly in proportion to where people live."),
)
_NO_EQUITY = gettext_lazy(
    "Not enough data: this needs active sensors in at least two neighbourhoods with a "
    "known population and income."
)


def _equity_sentence(ci: float, leans: tuple) -> str:
    """The CI with its reading, shared by the project's and the city's sentences."""
    richer, poorer, even = leans
    lean = richer if ci > 0.05 else poorer if ci < -0.05 else even
    return _("Concentration index %(ci)s (0 = even, +1 = only in the richest areas). ") % {
        "ci": f"{ci:.3f}"
    } + str(lean)


def _shares(top: dict) -> dict:
    return {"sensors": _pct(top["sensors"]), "residents": _pct(top["residents"])}


def explain_spatial_equity(params: dict) -> str:
    ci = params.get("ci")
    if ci is None:
        return str(_NO_EQUITY)
    text = _equity_sentence(ci, _PROJECT_LEANS)
    top = params.get("richest")
    if top and top.get("fifth") == 4:
        text += " " + _(
            "%(sensors)s %% of this project's sensors stand in the richest fifth of "
            "neighbourhoods, where %(residents)s %% of residents live."
        ) % _shares(top)
    elif top:
        text += " " + _(
            "%(sensors)s %% of this project's sensors stand in the richest neighbourhoods, "
            "where %(residents)s %% of residents live."
        ) % _shares(top)
    return text


def explain_representativeness(params: dict) -> str:
    answers = params.get("answers", 0)
    if params.get("d") is None:
        return ngettext(
            "Not enough data: %(n)s participant answered the optional age question; at least "
            "%(min)s answers are needed.",
            "Not enough data: %(n)s participants answered the optional age question; at least "
            "%(min)s answers are needed.",
            answers,
        ) % {"n": answers, "min": params.get("min", 10)}
    return _(
        "%(n)s participants answered the optional age question. Their ages differ from the "
        "city's residents by %(d)s %% (dissimilarity index: the share that would have to change "
        "age band to match)."
    ) % {"n": answers, "d": _pct(params["d"])}


def explain_access(params: dict) -> str:
    if params.get("points") is None:
        return _(
            "Not enough data: the project has not yet answered every inclusivity question "
            "of its profile."
        )
    return _("%(points)s of 100 points from the project's own answers about who can take part.") % {
        "points": params["points"]
    }


def explain_city_equity(values: dict) -> str:
    """The city page's sentence on all its published projects' active sensors together."""
    ci = values.get("ci")
    if ci is None:
        return str(_NO_EQUITY)
    text = _equity_sentence(ci, _CITY_LEANS)
    top = values.get("richest")
    if top and top.get("fifth") == 4:
        text += " " + _(
            "%(sensors)s %% of the city's active sensors stand in the richest fifth of "
            "neighbourhoods, where %(residents)s %% of residents live."
        ) % _shares(top)
    return text


_EXPLAINERS = {
    "spatial_equity": explain_spatial_equity,
    "representativeness": explain_representativeness,
    "access": explain_access,
}


def explain(component: str, params: dict) -> str:
    """The sentence for one component, in the active language."""
    return _EXPLAINERS[component](params)
