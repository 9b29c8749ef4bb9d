"""Residents' rights (GDPR): everything we hold about a user, and erasing the account.

The export is a dict of section name → function(user) → JSON-ready data. Apps add their own
sections with `@export_section("sensors")` (imported from their `ready()` or module import),
so the archive grows with the platform and stays in one place.

    >>> sorted(EXPORT_SECTIONS)[:3]
    ['api_tokens', 'city_roles', 'coordinated_projects']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

ExportFunction = Callable[[Any], Any]

#: section name → function(user) returning JSON-serialisable data about that user only.
EXPORT_SECTIONS: dict[str, ExportFunction] = {}


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


def user_export(user) -> dict:
    """The whole archive: every registered section, plus when it was made."""
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
def account_delete(*, user) -> None:
    """Erase the account; memberships, e-mail addresses, tokens and authenticators go with it
    (they cascade), and projects the user created keep existing without their name."""
    if account_delete_blockers(user).exists():
        raise ValueError("The user is the only coordinator of a project.")
    user.delete()
