"""`manage.py load_demo`: load the reference and demo data in seeds/, idempotently.

Running it twice changes nothing: every row is keyed (cities and projects by slug,
neighbourhoods by city and code, users by e-mail) and only written when a value differs,
so a second run reports everything as unchanged.

What is real and what is invented:
- cities.csv and initiatives.csv hold public facts, each row with its source URL;
- the neighbourhoods are synthetic grids (marked synthetic);
- demo users, demo projects (demo=True), and the profile answers the initiatives' sources
  do not give (licence, impact, self-assessment, languages) are invented, chosen
  deterministically from a hash of the project's slug so every install shows the same demo.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from projects.choices import Impact, Licence, MembershipState, Moderation, Role
from projects.models import (
    MODERATORS_GROUP,
    SELF_ASSESSMENT_FIELDS,
    City,
    CityOfficial,
    Membership,
    Project,
    ThemeTag,
)
from projects.neighbourhoods import ImportProblem, neighbourhoods_import, read_files

SEEDS = Path(settings.BASE_DIR) / "seeds"
SUMMARY_MAX = Project._meta.get_field("summary").max_length
# Languages the profile form offers (projects.choices.LANGUAGE_NAMES) per country.
COUNTRY_LANGUAGES = {
    "NL": ["nl"],
    "BE": ["nl"],
    "DE": ["de"],
    "ES": ["es"],
    "IT": ["it"],
    "PL": ["pl"],
    "PT": ["pt"],
    "FR": ["fr"],
    "GB": ["en"],
    "IE": ["en"],
}
CITY_LANGUAGES = {"brussel": ["fr", "nl"]}
LICENCE_WEIGHTS = [
    (Licence.CC_BY, 8),
    (Licence.CC0, 4),
    (Licence.ODBL, 3),
    (Licence.ON_REQUEST, 3),
    (Licence.CLOSED, 2),
]
IMPACT_WEIGHTS = [(Impact.NONE, 3), (Impact.REPORTED, 4), (Impact.DEBATE, 2), (Impact.CHANGED, 1)]
ANSWER_WEIGHTS = [(True, 11), (False, 6), (None, 3)]
PROJECT_TEXT_FIELDS = (
    "goal",
    "what_is_measured",
    "sensor_kits",
    "role_residents",
    "role_municipality",
    "costs",
    "results_return",
    "policy_impact",
)

User = get_user_model()


class Command(BaseCommand):
    help = (
        "Load the demo: cities, synthetic neighbourhoods, the real initiatives as published "
        "projects, invented demo projects and demo users (from seeds/). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seeds", default=str(SEEDS), help="the seeds folder (default: %(default)s)"
        )
        parser.add_argument(
            "--without-readings",
            action="store_true",
            help="skip the demo sensors and their 90 days of readings (load_demo_readings)",
        )

    def handle(self, *args, **options) -> None:
        seeds = Path(options["seeds"])
        if not seeds.is_dir():
            raise CommandError(f"No seeds folder at {seeds}")
        try:
            with transaction.atomic():
                tally, users_file = load_demo(seeds)
        except ImportProblem as problem:
            raise CommandError(
                f"A neighbourhood seed file is broken; nothing was loaded:\n{problem}"
            ) from None
        for kind, counts in tally.items():
            self.stdout.write(
                f"{kind}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged"
            )
        self.stdout.write(self.style.SUCCESS("Demo loaded."))
        self.stdout.write(
            f"Demo accounts (password {users_file['password']!r}): "
            + ", ".join(u["email"] for u in users_file["users"])
        )
        self.stdout.write(
            f"The moderator is staff and needs two-factor authentication: add the TOTP secret "
            f"{users_file['moderator_totp_secret']} to an authenticator app."
        )
        if not options["without_readings"]:
            # By command name: the measurements app owns sensors and readings.
            call_command("load_demo_readings", stdout=self.stdout)


def load_demo(seeds: Path) -> tuple[dict[str, Counter], dict[str, Any]]:
    """Load everything in `seeds`; returns what happened per kind of row, and the users file."""
    tally: dict[str, Counter] = {}
    cities = load_cities(seeds / "cities.csv", tally=tally.setdefault("cities", Counter()))
    load_neighbourhoods(
        seeds / "neighbourhoods", cities, tally=tally.setdefault("neighbourhoods", Counter())
    )
    users_file = json.loads((seeds / "demo_users.json").read_text(encoding="utf-8"))
    users = load_users(users_file, cities, tally=tally.setdefault("users", Counter()))
    project_tally = tally.setdefault("projects", Counter())
    member_tally = tally.setdefault("memberships", Counter())
    load_initiatives(
        seeds / "initiatives.csv",
        cities,
        users_file,
        users,
        tally=project_tally,
        member_tally=member_tally,
    )
    demo_projects = json.loads((seeds / "demo_projects.json").read_text(encoding="utf-8"))[
        "projects"
    ]
    load_demo_projects(
        demo_projects, cities, users_file, users, tally=project_tally, member_tally=member_tally
    )
    panels = seeds / "demo_questionnaire.json"
    if panels.exists():
        load_demo_panels(
            json.loads(panels.read_text(encoding="utf-8"))["panels"],
            tally=tally.setdefault("users", Counter()),
            member_tally=member_tally,
        )
    return tally, users_file


def load_demo_panels(
    panels: list[dict[str, Any]], *, tally: Counter, member_tally: Counter
) -> None:
    """Invented age-question answers: demo residents (who cannot log in) joined to published
    initiatives with the given age bands, so some projects reach the 10 answers
    representativeness needs and some do not. Users are keyed by e-mail, so it is re-runnable;
    a panel whose project is missing is skipped."""
    for panel in panels:
        project = Project.objects.filter(slug=panel["project"]).first()
        if project is None:
            continue
        n = 0
        for band, count in sorted(panel["bands"].items()):
            for _ in range(count):
                n += 1
                email = f"{n}.{project.slug}@panel.demo.citimeasure.localhost"[:254]
                user = upsert(
                    User,
                    {"email": email},
                    {
                        "username": f"panel-{n}-{project.pk}",
                        "first_name": "Panel",
                        "last_name": "(demo)",
                        "is_active": True,
                    },
                    {"password": make_password(None)},
                    tally=tally,
                )
                upsert(
                    Membership,
                    {"project": project, "user": user},
                    {"role": Role.PARTICIPANT, "state": MembershipState.ACTIVE, "age_band": band},
                    tally=member_tally,
                )


# --- writing without churn -----------------------------------------------------------


def upsert(
    model: type[models.Model],
    lookup: dict[str, Any],
    values: dict[str, Any],
    create_values: dict[str, Any] | None = None,
    *,
    tally: Counter,
) -> models.Model:
    """update_or_create that saves only when a value differs (so re-runs touch nothing).

    `create_values` are set only on creation (timestamps a re-run must not move).
    """
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model.objects.create(**lookup, **values, **(create_values or {}))
        tally["created"] += 1
        return instance
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=changed)
        tally["updated"] += 1
    else:
        tally["unchanged"] += 1
    return instance


def pick(key: str, weights: list[tuple[Any, int]]) -> Any:
    """A weighted choice that depends only on `key`: the same demo value on every install."""
    point = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % sum(w for _, w in weights)
    for value, weight in weights:
        if point < weight:
            return value
        point -= weight
    raise AssertionError("unreachable")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --- cities and neighbourhoods -------------------------------------------------------


def load_cities(path: Path, *, tally: Counter) -> dict[str, City]:
    """Cities keyed by slug."""
    cities = {}
    for row in read_csv(path):
        values = {
            "name": row["name"],
            "country": row["country"],
            "lat": float(row["lat"]),
            "lon": float(row["lon"]),
            "population": int(row["population"]) if row["population"] else None,
            "population_year": int(row["population_year"]) if row["population_year"] else None,
            "source": row["source"],
        }
        cities[row["slug"]] = upsert(City, {"slug": row["slug"]}, values, tally=tally)
    return cities


def load_neighbourhoods(folder: Path, cities: dict[str, City], *, tally: Counter) -> None:
    """Each city's synthetic neighbourhoods, through the same import as real statistics."""
    for slug, city in cities.items():
        geojson, table = folder / f"{slug}.geojson", folder / f"{slug}.csv"
        if not geojson.exists():
            continue
        features, rows = read_files(geojson, table)
        report = neighbourhoods_import(
            city=city,
            features=features,
            rows=rows,
            synthetic=True,
            geojson_name=str(geojson),
            csv_name=str(table),
        )
        tally["created"] += len(report.created)
        tally["updated"] += len(report.updated)
        tally["unchanged"] += len(report.unchanged)


# --- users ---------------------------------------------------------------------------


def load_users(
    users_file: dict[str, Any], cities: dict[str, City], *, tally: Counter
) -> dict[str, Any]:
    """Demo users keyed by e-mail, verified, with the moderator set up for two-factor login."""
    from allauth.account.models import EmailAddress

    password_hash = None  # hashing is slow on purpose: once per run, and only if needed
    users = {}
    moderators = Group.objects.get(name=MODERATORS_GROUP)
    for entry in users_file["users"]:
        email = entry["email"]
        is_moderator = entry["role"] == "moderator"
        if password_hash is None and not User.objects.filter(email=email).exists():
            password_hash = make_password(users_file["password"])
        user = upsert(
            User,
            {"email": email},
            {
                "username": email.split("@")[0],
                "first_name": entry.get("first_name", ""),
                "last_name": entry.get("last_name", ""),
                "is_staff": is_moderator,
                "is_active": True,
            },
            {"password": password_hash},
            tally=tally,
        )
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if is_moderator:
            user.groups.add(moderators)
            ensure_totp(user, users_file["moderator_totp_secret"])
        for slug in entry.get("cities", []):
            CityOfficial.objects.get_or_create(user=user, city=cities[slug])
        users[email] = user
    return users


def ensure_totp(user, secret: str) -> None:
    """Give `user` a TOTP authenticator with the documented demo secret (staff need one)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)}
        )


# --- projects ------------------------------------------------------------------------


def first_sentence(text: str, limit: int = SUMMARY_MAX) -> str:
    """The description's first sentence, cut at a word to fit the summary field."""
    text = " ".join(text.split())
    sentence = re.split(r"(?<=[.!?])\s+(?=[\"'‘“(]?[A-Z0-9])", text, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def coordinator_for(country: str, users_file: dict[str, Any], users: dict[str, Any]):
    """The demo coordinator responsible for initiatives in `country` ('*' catches the rest)."""
    fallback = None
    for entry in users_file["users"]:
        countries = entry.get("coordinates_initiatives_in", [])
        if country in countries:
            return users[entry["email"]]
        if "*" in countries:
            fallback = users[entry["email"]]
    return fallback


def invented_profile(slug: str, city_slug: str, country: str) -> dict[str, Any]:
    """Demo answers the sources do not give, fixed by the slug (never presented as sourced)."""
    return {
        "licence": pick(f"{slug}:licence", LICENCE_WEIGHTS),
        "impact_level": pick(f"{slug}:impact", IMPACT_WEIGHTS),
        "languages_offered": CITY_LANGUAGES.get(city_slug, COUNTRY_LANGUAGES.get(country, ["en"])),
        **{name: pick(f"{slug}:{name}", ANSWER_WEIGHTS) for name in SELF_ASSESSMENT_FIELDS},
    }


def load_initiatives(
    path: Path,
    cities: dict[str, City],
    users_file: dict[str, Any],
    users: dict[str, Any],
    *,
    tally: Counter,
    member_tally: Counter,
) -> None:
    """The real initiatives, published, with their source; a demo user coordinates each."""
    city_by_name = {city.name: city for city in cities.values()}
    now = timezone.now()
    for row in read_csv(path):
        city = city_by_name[row["city"]]
        themes = [code.strip() for code in row["themes"].split(";") if code.strip()]
        slug = slugify(row["name"])[:220]
        coordinator = coordinator_for(row["country"], users_file, users)
        values = {
            "title": row["name"],
            "summary": first_sentence(row["description"]),
            "description": row["description"],
            # The descriptions in the seed file are written in English, whatever the country.
            "language": "en",
            "primary_theme": themes[0],
            "status": row["status"],
            "start_date": date(int(row["start_year"]), 1, 1) if row["start_year"] else None,
            "website": row["website"],
            "initiator_type": row["initiator_type"],
            "participation_level": row["participation_style"],
            "what_is_measured": row["what_is_measured"],
            "sensor_kits": row["sensor_kit"],
            "source": row["source"],
            "demo": False,
            # The facts come from `source`; licence, impact and self-assessment are invented.
            "illustrative_profile": True,
            "moderation": Moderation.PUBLISHED,
            "rejection_reason": "",
            "created_by": coordinator,
            **invented_profile(slug, city.slug, row["country"]),
        }
        project = upsert(
            Project, {"slug": slug}, values, {"created_at": now, "published_at": now}, tally=tally
        )
        project.themes.set(ThemeTag.objects.filter(code__in=themes))
        project.cities.set([city])
        participants = pick_participants(slug, users_file, users)
        set_members(project, coordinator, participants, users_file, tally=member_tally)


def pick_participants(slug: str, users_file: dict[str, Any], users: dict[str, Any]) -> list:
    """One to three demo residents per project, fixed by the slug."""
    residents = [u["email"] for u in users_file["users"] if u["role"] == "participant"]
    count = pick(f"{slug}:participants", [(1, 1), (2, 2), (3, 2)])
    start = pick(f"{slug}:first-participant", [(i, 1) for i in range(len(residents))])
    return [users[residents[(start + i) % len(residents)]] for i in range(count)]


def set_members(
    project: Project, coordinator, participants: list, users_file: dict[str, Any], *, tally: Counter
) -> None:
    """The coordinator and participants as active members (age band from the demo user)."""
    age_bands = {u["email"]: u.get("age_band", "") for u in users_file["users"]}
    wanted = [(coordinator, Role.COORDINATOR), *((user, Role.PARTICIPANT) for user in participants)]
    for user, role in wanted:
        upsert(
            Membership,
            {"project": project, "user": user},
            {
                "role": role,
                "state": MembershipState.ACTIVE,
                "age_band": age_bands.get(user.email, ""),
            },
            tally=tally,
        )


def load_demo_projects(
    entries: list[dict[str, Any]],
    cities: dict[str, City],
    users_file: dict[str, Any],
    users: dict[str, Any],
    *,
    tally: Counter,
    member_tally: Counter,
) -> None:
    """Invented projects in every moderation state but published (demo=True)."""
    now = timezone.now()
    for entry in entries:
        coordinator = users[entry["coordinator"]]
        moderation = entry["moderation"]
        values = {
            "title": entry["title"],
            "summary": entry["summary"],
            "description": entry["description"],
            "language": entry.get("language", "en"),
            "primary_theme": entry["themes"][0],
            "status": entry["status"],
            "start_date": date.fromisoformat(entry["start_date"])
            if entry.get("start_date")
            else None,
            "website": entry.get("website", ""),
            "initiator_type": entry["initiator_type"],
            "participation_level": entry["participation_level"],
            "licence": entry.get("licence", Licence.CC_BY),
            "impact_level": entry.get("impact_level", Impact.NONE),
            "languages_offered": entry.get("languages_offered", []),
            "source": "",
            "demo": True,
            "moderation": moderation,
            "rejection_reason": entry.get("rejection_reason", ""),
            "created_by": coordinator,
            **{name: entry.get(name, "") for name in PROJECT_TEXT_FIELDS},
            **{name: entry.get(name) for name in SELF_ASSESSMENT_FIELDS},
        }
        create_values = {"created_at": now}
        if moderation in (Moderation.SUBMITTED, Moderation.REJECTED):
            create_values["submitted_at"] = now
        project = upsert(Project, {"slug": entry["slug"]}, values, create_values, tally=tally)
        project.themes.set(ThemeTag.objects.filter(code__in=entry["themes"]))
        project.cities.set([cities[slug] for slug in entry["cities"]])
        participants = [users[email] for email in entry.get("participants", [])]
        set_members(project, coordinator, participants, users_file, tally=member_tally)
