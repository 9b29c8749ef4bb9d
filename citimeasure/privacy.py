"""Residents' rights (GDPR): everything we hold about a user, and erasing the account.

The export is a dict of section name → function(user) → JSON-ready data. Apps add their own
sections with `@export_section("sensors")` (imported from their `ready()` or module import),
so the archive grows with the platform and stays in one place.

    >>> sorted(EXPORT_SECTIONS)[:3]
    ['api_tokens', 'city_roles', 'consents']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

ExportFunction = Callable[[Any], Any]
EraseFunction = Callable[..., Any]

#: The version of each text a user agrees to; bump it when the text changes, so a stored
#: Consent says which wording was accepted. The one place these versions live.
CONSENT_VERSIONS: dict[str, str] = {"signup": "2026-01", "join": "2026-01"}

#: section name → function(user) returning JSON-serialisable data about that user only.
EXPORT_SECTIONS: dict[str, ExportFunction] = {}

#: name → function(*, user, keep_readings) run inside `account_delete` before the user row
#: goes, for data that does not simply cascade (e.g. sensors that stay as open data).
ERASERS: dict[str, EraseFunction] = {}


def erase_step(name: str) -> Callable[[EraseFunction], EraseFunction]:
    """Register a step of account deletion (see `account_delete`)."""

    def register(function: EraseFunction) -> EraseFunction:
        ERASERS[name] = function
        return function

    return register


def _discover() -> None:
    """Import every installed app's `privacy` module, so their sections and erase steps are
    registered without each app wiring itself up in `ready()`."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("privacy")


def export_section(name: str) -> Callable[[ExportFunction], ExportFunction]:
    """Register a section of the "download my data" archive."""

    def register(function: ExportFunction) -> ExportFunction:
        EXPORT_SECTIONS[name] = function
        return function

    return register


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@export_section("profile")
def _profile(user) -> dict:
    return {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "is_staff": user.is_staff,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }


@export_section("email_addresses")
def _email_addresses(user) -> list[dict]:
    from allauth.account.models import EmailAddress

    return [
        {"email": a.email, "verified": a.verified, "primary": a.primary}
        for a in EmailAddress.objects.filter(user=user).order_by("email")
    ]


@export_section("memberships")
def _memberships(user) -> list[dict]:
    from projects.models import Membership

    rows = Membership.objects.filter(user=user).select_related("project").order_by("created_at")
    return [
        {
            "project": m.project.slug,
            "project_title": m.project.title,
            "role": m.role,
            "state": m.state,
            "age_band": m.age_band,
            "since": _iso(m.created_at),
        }
        for m in rows
    ]


@export_section("coordinated_projects")
def _coordinated_projects(user) -> list[dict]:
    from projects.models import Membership, Project

    coordinated = Membership.objects.coordinators().filter(user=user).values("project")
    return [
        {
            "slug": p.slug,
            "title": p.title,
            "moderation": p.moderation,
            "status": p.status,
            "created_at": _iso(p.created_at),
        }
        for p in Project.objects.filter(pk__in=coordinated).order_by("title")
    ]


@export_section("city_roles")
def _city_roles(user) -> list[dict]:
    from projects.models import CityOfficial

    return [
        {"city": r.city.slug, "city_name": r.city.name}
        for r in CityOfficial.objects.filter(user=user).select_related("city")
    ]


@export_section("api_tokens")
def _api_tokens(user) -> list[dict]:
    """Metadata only: the secret is never stored, and the digest is not the user's business."""
    from citimeasure.models import ApiToken

    return [
        {
            "name": t.name,
            "prefix": t.prefix,
            "created_at": _iso(t.created_at),
            "last_used_at": _iso(t.last_used_at),
            "revoked_at": _iso(t.revoked_at),
        }
        for t in ApiToken.objects.filter(user=user)
    ]


@export_section("two_factor")
def _two_factor(user) -> list[dict]:
    """Which methods are set up, never their secrets or recovery codes."""
    from allauth.mfa.models import Authenticator

    return [
        {"type": a.type, "created_at": _iso(a.created_at), "last_used_at": _iso(a.last_used_at)}
        for a in Authenticator.objects.filter(user=user).order_by("type")
    ]


@export_section("consents")
def _consents(user) -> list[dict]:
    """What the user agreed to, when, and which version of the text."""
    return [
        {
            "kind": c.kind,
            "project": c.project.slug if c.project else None,
            "text_version": c.text_version,
            "at": _iso(c.at),
        }
        for c in user.consents.select_related("project").order_by("at")
    ]


@erase_step("rate_limit_keys")
def _erase_rate_limit_keys(*, user, keep_readings: bool) -> int:
    """Drop the sign-in rate-limit counters keyed by the user's addresses (allauth stores a
    SHA-256 of the address, a pseudonym that would outlive the account for up to the
    limit's window). Failed-login counters are keyed by host + address and expire within
    five minutes; they are left to expire."""
    from allauth.account.models import EmailAddress
    from allauth.core.internal import ratelimit
    from django.core.cache import cache

    addresses = {user.email.lower()} | {
        a.lower() for a in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }
    keys = [
        ratelimit.get_cache_key(None, app="allauth.account", action=action, rate=rate, key=address)
        for action in ("reset_password", "confirm_email")
        for rate in ratelimit.get_rates(app="allauth.account", action=action)
        if rate.per == "key"
        for address in addresses
        if address
    ]
    cache.delete_many(keys)
    return len(keys)


def user_export(user) -> dict:
    """The whole archive: every registered section, plus when it was made."""
    _discover()
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat(), "format_version": 1}
    for name, function in EXPORT_SECTIONS.items():
        data[name] = function(user)
    return data


def account_delete_blockers(user):
    """Projects that would be left without a coordinator if `user` left.

    A project must always have someone who answers for it, so the user appoints another
    coordinator (or the project is handed over) before the account can go.
    """
    from projects.choices import MembershipState, Role
    from projects.models import Membership, Project

    mine = Membership.objects.coordinators().filter(user=user).values("project")
    return (
        Project.objects.filter(pk__in=mine)
        .annotate(
            others=Count(
                "memberships",
                filter=Q(
                    memberships__role=Role.COORDINATOR,
                    memberships__state=MembershipState.ACTIVE,
                )
                & ~Q(memberships__user=user),
            )
        )
        .filter(others=0)
        .order_by("title")
    )


@transaction.atomic
def account_delete(*, user, keep_readings: bool = False) -> dict:
    """Erase the account and return what happened (step name → result).

    Memberships, questionnaire answers, e-mail addresses, tokens, consents and authenticators
    cascade with the user row; projects the user created keep existing without their name;
    audit events keep only "user <id>" (their actor link is cleared). Apps' erase steps run
    first: e.g. the user's sensors are deleted with their readings, or — when `keep_readings`
    — kept as anonymous open data with the exact location erased. Cached pages or values
    about the user are dropped with the cache keys the apps name.
    """
    if account_delete_blockers(user).exists():
        raise ValueError("The user is the only coordinator of a project.")
    _discover()
    done: dict[str, Any] = {}
    for name, function in ERASERS.items():
        done[name] = function(user=user, keep_readings=keep_readings)
    user.delete()
    return done
