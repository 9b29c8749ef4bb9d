"""Writing the append-only audit log: one function, used by every service that must leave
a trace (moderation decisions, invalidations, role changes, tokens)."""

from __future__ import annotations

from typing import Any

from citimeasure.models import AuditEvent


def audit_record(
    *, actor, action: str, obj: Any = None, summary: str = "", data: dict | None = None
) -> AuditEvent:
    """Append one event. Call it inside the service's transaction, so the event and the
    change commit (or roll back) together. Never put secrets or exact locations in `data`."""
    authenticated = getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        # Not the e-mail: the log outlives accounts, and a deleted account's address must go.
        actor_label=f"user {actor.pk}" if authenticated else "system",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary,
        data=data or {},
    )
