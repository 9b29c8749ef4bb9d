"""Fixed vocabularies of the catalogue, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Theme(models.TextChoices):
    AIR = "air", _("Air quality")
    NOISE = "noise", _("Noise")
    HEAT = "heat", _("Heat")
    WATER = "water", _("Water and rain")
    TRAFFIC = "traffic", _("Traffic")
    BIODIVERSITY = "biodiversity", _("Biodiversity")
    SOIL = "soil", _("Soil")
    LIGHT = "light", _("Light")
    RADIATION = "radiation", _("Radiation")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    PERIODIC = "periodic", _("Periodic")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class InitiatorType(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    MUNICIPALITY = "municipality", _("Municipality")
    NGO = "ngo", _("NGO")
    RESEARCH = "research", _("Research institute")
    BUSINESS = "business", _("Business")
    SCHOOL = "school", _("School")


class Participation(models.TextChoices):
    """The Dutch participation ladder, lowest step first."""

    INFORM = "inform", _("Inform")
    CONSULT = "consult", _("Consult")
    ADVISE = "advise", _("Advise")
    COPRODUCE = "co-produce", _("Co-produce")
    CODECIDE = "co-decide", _("Co-decide")


PARTICIPATION_STEP = {code: step for step, code in enumerate(Participation.values)}


class Licence(models.TextChoices):
    CC0 = "cc0", "CC0 1.0"
    CC_BY = "cc-by", "CC BY 4.0"
    ODBL = "odbl", "ODbL 1.0"
    PDDL = "pddl", "PDDL 1.0"
    ON_REQUEST = "on-request", _("Available on request")
    CLOSED = "closed", _("Not shared")


OPEN_LICENCES = {Licence.CC0, Licence.CC_BY, Licence.ODBL, Licence.PDDL}


class Moderation(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    ARCHIVED = "archived", _("Archived")


class Impact(models.TextChoices):
    NONE = "none", _("None yet")
    REPORTED = "reported", _("Reported to the municipality")
    DEBATE = "debate", _("Used in policy debate")
    CHANGED = "changed", _("Policy changed")


IMPACT_LEVEL = {code: level for level, code in enumerate(Impact.values)}


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    PARTICIPANT = "participant", _("Participant")


class MembershipState(models.TextChoices):
    REQUESTED = "requested", _("Asked to join")
    ACTIVE = "active", _("Member")


class AgeBand(models.TextChoices):
    UNDER_25 = "0-24", _("Under 25")
    FROM_25 = "25-44", _("25–44")
    FROM_45 = "45-64", _("45–64")
    FROM_65 = "65+", _("65 and over")


LANGUAGE_NAMES = {
    "nl": _("Dutch"),
    "en": _("English"),
    "de": _("German"),
    "fr": _("French"),
    "es": _("Spanish"),
    "it": _("Italian"),
    "pl": _("Polish"),
    "pt": _("Portuguese"),
    "tr": _("Turkish"),
    "ar": _("Arabic"),
    "fy": _("Frisian"),
}

COUNTRY_NAMES = {
    "NL": _("Netherlands"),
    "BE": _("Belgium"),
    "DE": _("Germany"),
    "FR": _("France"),
    "ES": _("Spain"),
    "IT": _("Italy"),
    "PT": _("Portugal"),
    "PL": _("Poland"),
    "SE": _("Sweden"),
    "DK": _("Denmark"),
    "FI": _("Finland"),
    "NO": _("Norway"),
    "AT": _("Austria"),
    "CH": _("Switzerland"),
    "IE": _("Ireland"),
    "GB": _("United Kingdom"),
    "CZ": _("Czechia"),
    "GR": _("Greece"),
    "HU": _("Hungary"),
    "RO": _("Romania"),
    "BG": _("Bulgaria"),
    "HR": _("Croatia"),
    "SI": _("Slovenia"),
    "SK": _("Slovakia"),
    "EE": _("Estonia"),
    "LV": _("Latvia"),
    "LT": _("Lithuania"),
    "LU": _("Luxembourg"),
    "XK": _("Kosovo"),
}
