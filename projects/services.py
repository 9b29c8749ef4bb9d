"""Writes on projects that span models or have side effects (workflow, membership, e-mail)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from citimeasure.audit import audit_record
from citimeasure.models import Consent
from projects.choices import AgeBand, MembershipState, Moderation, Role
from projects.models import MODERATORS_GROUP, Membership, Project, user_is_moderator
from projects.services_scores import rescore_request

User = get_user_model()


def unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    """A slug for `title` that no other project uses (`air-amsterdam`, `air-amsterdam-2`, …)."""
    base = slugify(title)[:200] or "project"
    slug, n = base, 1
    while Project.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def user_can_contribute(user) -> bool:
    """Only residents with a verified e-mail address may create or join projects."""
    from allauth.account.models import EmailAddress

    if not getattr(user, "is_authenticated", False):
        return False
    return EmailAddress.objects.filter(user=user, verified=True).exists()


@transaction.atomic
def project_create(*, actor, data: dict, themes, cities) -> Project:
    """Create a draft project; its creator becomes its coordinator."""
    if not user_can_contribute(actor):
        raise PermissionDenied(_("Verify your e-mail address before starting a project."))
    project = Project(**data, created_by=actor, moderation=Moderation.DRAFT)
    project.slug = unique_slug(project.title)
    project.full_clean(exclude=["slug"])
    project.save()
    project.themes.set(themes)
    project.cities.set(cities)
    Membership.objects.create(project=project, user=actor, role=Role.COORDINATOR)
    return project


@transaction.atomic
def project_update(*, actor, project: Project, data: dict, themes=None, cities=None) -> Project:
    """Change a project's content. A rejected project goes back to draft when edited."""
    if not project.is_editable_by(actor):
        raise PermissionDenied(_("Only the project's coordinators may change it."))
    for field, value in data.items():
        setattr(project, field, value)
    if project.moderation == Moderation.REJECTED:
        project.moderation = Moderation.DRAFT
    project.full_clean()
    project.save()
    if themes is not None:
        project.themes.set(themes)
    if cities is not None:
        project.cities.set(cities)
    _after_profile_change(project)
    return project


def _after_profile_change(project: Project) -> None:
    """Ask for a rescore of the project once the change is committed: its profile, members
    and publication all feed the scores."""
    rescore_request(project_ids=[project.pk])


def _notify(
    *, recipients, subject: str, template: str, context: dict, language: str = "en"
) -> None:
    """Send one plain-text e-mail per recipient after the transaction commits."""
    addresses = sorted({r for r in recipients if r})
    if not addresses:
        return
    with translation.override(language):
        body = render_to_string(template, context)
        subject = str(subject)

    def send():
        for address in addresses:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])

    transaction.on_commit(send)


def _coordinator_emails(project: Project) -> list[str]:
    return list(project.memberships.coordinators().values_list("user__email", flat=True))


def _moderator_emails() -> list[str]:
    return list(
        User.objects.filter(is_active=True, is_staff=True, groups__name=MODERATORS_GROUP)
        .values_list("email", flat=True)
        .distinct()
    )


def _site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


@transaction.atomic
def project_submit(*, actor, project: Project) -> Project:
    """Send a draft (or rejected) project to the moderators."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.role_of(actor) != Role.COORDINATOR:
        raise PermissionDenied(_("Only the project's coordinators may submit it."))
    if project.moderation not in (Moderation.DRAFT, Moderation.REJECTED):
        raise ValidationError(_("Only a draft or rejected project can be submitted."))
    if not project.cities.exists() or not project.themes.exists():
        raise ValidationError(_("Choose at least one city and one theme before submitting."))
    project.moderation = Moderation.SUBMITTED
    project.submitted_at = timezone.now()
    project.rejection_reason = ""
    project.save(update_fields=["moderation", "submitted_at", "rejection_reason", "updated_at"])
    _notify(
        recipients=_moderator_emails(),
        subject=_("New project to moderate: %(title)s") % {"title": project.title},
        template="projects/email/submitted.txt",
        context={"project": project, "url": _site_url(reverse("projects:moderation"))},
    )
    return project


@transaction.atomic
def project_publish(*, actor, project: Project) -> Project:
    """Publish a submitted project (moderators only) and tell its coordinators."""
    if not user_is_moderator(actor):
        raise PermissionDenied(_("Only moderators may publish projects."))
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.moderation != Moderation.SUBMITTED:
        raise ValidationError(_("Only a submitted project can be published."))
    project.moderation = Moderation.PUBLISHED
    project.published_at = timezone.now()
    project.save(update_fields=["moderation", "published_at", "updated_at"])
    audit_record(actor=actor, action="project.publish", obj=project, summary=project.slug)
    _notify(
        recipients=_coordinator_emails(project),
        subject=_("Your project is published: %(title)s") % {"title": project.title},
        template="projects/email/published.txt",
        context={"project": project, "url": _site_url(project.get_absolute_url())},
    )
    _after_profile_change(project)
    return project


@transaction.atomic
def project_reject(*, actor, project: Project, reason: str) -> Project:
    """Reject a submitted project with a reason the coordinators can act on."""
    if not user_is_moderator(actor):
        raise PermissionDenied(_("Only moderators may reject projects."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give a reason, so the coordinators know what to change.")}
        )
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.moderation != Moderation.SUBMITTED:
        raise ValidationError(_("Only a submitted project can be rejected."))
    project.moderation = Moderation.REJECTED
    project.rejection_reason = reason
    project.save(update_fields=["moderation", "rejection_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="project.reject",
        obj=project,
        summary=project.slug,
        data={"reason": reason},
    )
    _notify(
        recipients=_coordinator_emails(project),
        subject=_("Your project needs changes: %(title)s") % {"title": project.title},
        template="projects/email/rejected.txt",
        context={
            "project": project,
            "reason": reason,
            "url": _site_url(project.get_absolute_url()),
        },
    )
    return project


@transaction.atomic
def membership_request(*, actor, project: Project, consent_version: str) -> Membership:
    """A verified resident asks to join a published project; coordinators decide.

    `consent_version` is the version of the participation text the resident agreed to
    (`citimeasure.privacy.CONSENT_VERSIONS["join"]`); it is recorded with the time, so we can
    show later what exactly they agreed to.
    """
    if not user_can_contribute(actor):
        raise PermissionDenied(_("Verify your e-mail address before joining a project."))
    if project.moderation != Moderation.PUBLISHED:
        raise ValidationError(_("Only published projects take new members."))
    if not consent_version:
        raise ValidationError(
            {"consent": _("Agree to how the project uses your data before joining.")}
        )
    membership, created = Membership.objects.get_or_create(
        project=project,
        user=actor,
        defaults={"state": MembershipState.REQUESTED, "role": Role.PARTICIPANT},
    )
    if created:
        Consent.objects.create(
            user=actor, kind=Consent.Kind.JOIN, project=project, text_version=consent_version
        )
        _notify(
            recipients=_coordinator_emails(project),
            subject=_("Someone asks to join %(title)s") % {"title": project.title},
            template="projects/email/join_request.txt",
            context={
                "project": project,
                "url": _site_url(reverse("projects:members", args=[project.slug])),
            },
        )
    return membership


def _require_coordinator(actor, project: Project) -> None:
    if project.role_of(actor) != Role.COORDINATOR and not user_is_moderator(actor):
        raise PermissionDenied(_("Only the project's coordinators may manage members."))


@transaction.atomic
def membership_accept(*, actor, membership: Membership) -> Membership:
    _require_coordinator(actor, membership.project)
    membership.state = MembershipState.ACTIVE
    membership.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action="membership.accept",
        obj=membership,
        summary=membership.project.slug,
        data={"user": membership.user_id, "role": membership.role},
    )
    _after_profile_change(membership.project)
    return membership


@transaction.atomic
def membership_set_role(*, actor, membership: Membership, role: str) -> Membership:
    """Change a member's role; a project never loses its last coordinator."""
    _require_coordinator(actor, membership.project)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if membership.role == Role.COORDINATOR and role != Role.COORDINATOR:
        _keep_one_coordinator(membership)
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="membership.set_role",
        obj=membership,
        summary=membership.project.slug,
        data={"user": membership.user_id, "from": previous, "to": role},
    )
    return membership


def _keep_one_coordinator(membership: Membership) -> None:
    others = membership.project.memberships.coordinators().exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(_("A project needs at least one coordinator."))


@transaction.atomic
def membership_remove(*, actor, membership: Membership) -> None:
    """Remove a member (coordinators), or leave a project (the member themselves)."""
    if membership.user_id != getattr(actor, "pk", None):
        _require_coordinator(actor, membership.project)
    if membership.role == Role.COORDINATOR and membership.state == MembershipState.ACTIVE:
        _keep_one_coordinator(membership)
    project = membership.project
    audit_record(
        actor=actor,
        action="membership.remove",
        obj=membership,
        summary=project.slug,
        data={"user": membership.user_id, "role": membership.role, "state": membership.state},
    )
    membership.delete()
    _after_profile_change(project)


@transaction.atomic
def questionnaire_answer(*, actor, project: Project, age_band: str) -> Membership:
    """Record (or change, or withdraw with "") the member's anonymous age band.

    Only the aggregate over at least 10 answers is ever shown; a change rescores the project.
    """
    membership = project.memberships.active().filter(user=actor).first()
    if membership is None:
        raise PermissionDenied(_("Only members of the project answer its questionnaire."))
    if age_band and age_band not in AgeBand.values:
        raise ValidationError({"age_band": _("Choose one of the age bands.")})
    membership.age_band = age_band
    membership.save(update_fields=["age_band"])
    _after_profile_change(project)
    return membership
