"""Changes to who may do what: saves and deletions of memberships, accounts (their flags and
groups), teams (made private or public) and webhooks, each with what it was before."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib.auth import get_user_model

from security.models import SecurityEvent
from security.services import security_event_record

Kind = SecurityEvent.Kind


def _before(instance, fields: list[str]) -> dict[str, Any] | None:
    """The stored values of ``fields`` before this save: remembered by the instance when it
    was read (``TimestampedModel``), else one query. ``None`` for a new row."""
    if instance._state.adding or instance.pk is None:
        return None
    loaded = getattr(instance, "_loaded_values", None) or {}
    attnames = [instance._meta.get_field(name).attname for name in fields]
    if all(name in loaded for name in attnames):
        return {name: loaded[att] for name, att in zip(fields, attnames, strict=True)}
    row = type(instance)._base_manager.filter(pk=instance.pk).values(*attnames).first()
    if row is None:
        return None
    return {name: row[att] for name, att in zip(fields, attnames, strict=True)}


def _stash(fields: list[str]):
    def receiver(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
        if raw:
            return
        if update_fields is not None and not set(fields) & set(update_fields):
            instance._security_before = "untouched"
            return
        instance._security_before = _before(instance, fields)

    return receiver


MEMBERSHIP_FIELDS = ["role", "team", "user"]


def on_membership_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """Log a membership added, or its role or team changed (from the state ``pre_save`` read);
    fixtures and saves of other fields log nothing."""
    before = getattr(instance, "_security_before", None)
    if raw or before == "untouched":
        return
    team = {"team_id": instance.team_id, "team": str(instance.team)}
    if created or before is None:
        security_event_record(
            kind=Kind.MEMBERSHIP_ADDED,
            subject=instance.user,
            details={**team, "role": instance.role},
        )
        return
    if before["role"] == instance.role and before["team"] == instance.team_id:
        return
    security_event_record(
        kind=Kind.MEMBERSHIP_CHANGED,
        subject=instance.user,
        details={
            **team,
            "from_role": before["role"],
            "to_role": instance.role,
            **({"from_team_id": before["team"]} if before["team"] != instance.team_id else {}),
        },
    )


def on_membership_deleted(sender, instance, **kwargs) -> None:
    """Log a membership removed; the person by name, or ``#<id>`` if the account is gone too."""
    user_model = get_user_model()
    subject = user_model._default_manager.filter(pk=instance.user_id).first()
    security_event_record(
        kind=Kind.MEMBERSHIP_REMOVED,
        subject=subject,
        subject_name="" if subject else f"#{instance.user_id}",
        details={"team_id": instance.team_id, "role": instance.role},
    )


ACCOUNT_FLAGS = {"is_superuser": "superuser", "is_staff": "staff", "is_active": "active"}


def on_account_pre_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Read an account's role flags before it is saved, for ``on_account_saved``; note whether the
    password was set."""
    if raw:
        return
    instance._security_password_set = getattr(instance, "_password", None) is not None
    fields = list(ACCOUNT_FLAGS)
    if update_fields is not None and not set(fields) & set(update_fields):
        instance._security_before = "untouched"
        return
    if instance.pk is None:
        instance._security_before = None
        return
    instance._security_before = (
        sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    )


def on_account_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """Log a password change, an account created with a role, or a role flag changed (one event per
    flag)."""
    if raw:
        return
    if not created and getattr(instance, "_security_password_set", False):
        instance._security_password_set = False
        security_event_record(kind=Kind.PASSWORD_CHANGED, subject=instance, details={})
    # A person created here and given the strategy office next (manage.py setup_link, the
    # admin) is an account creation, not a role change: on_groups_changed reads this once.
    instance._security_new_account = created
    # The flags read before the save: a dict, None (a new account) or "untouched".
    before: dict[str, Any] | str | None = getattr(instance, "_security_before", "untouched")
    instance._security_before = "untouched"
    if isinstance(before, str):  # "untouched"
        return
    if before is None:
        roles = [
            label
            for field, label in ACCOUNT_FLAGS.items()
            if field != "is_active" and getattr(instance, field)
        ]
        if roles:  # a new ordinary account has no role to report
            security_event_record(
                kind=Kind.ACCOUNT_CREATED, subject=instance, details={"roles": roles}
            )
        return
    for field, label in ACCOUNT_FLAGS.items():
        now = getattr(instance, field)
        was = before[field]
        if was != now:
            security_event_record(
                kind=Kind.ROLE_CHANGED,
                subject=instance,
                details={"role": label, "from": was, "to": now, "new_account": False},
            )


def on_groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """The strategy office is a group: joining or leaving it is a role change."""
    from strategy.models import STRATEGY_OFFICE_GROUP

    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    group_model = apps.get_model("auth", "Group")
    user_model = get_user_model()
    to = action == "post_add"
    if not reverse:  # instance: a person; pk_set: groups
        if action == "pre_clear":
            groups = instance.groups.filter(name=STRATEGY_OFFICE_GROUP)
        else:
            groups = group_model.objects.filter(pk__in=pk_set or (), name=STRATEGY_OFFICE_GROUP)
        people = [instance] if groups.exists() else []
        if people and to and getattr(instance, "_security_new_account", False):
            instance._security_new_account = False
            security_event_record(
                kind=Kind.ACCOUNT_CREATED,
                subject=instance,
                details={"roles": ["strategy office"]},
            )
            return
    else:  # instance: a group; pk_set: people
        if instance.name != STRATEGY_OFFICE_GROUP:
            return
        if action == "pre_clear":
            people = list(instance.user_set.all())
        else:
            people = list(user_model._default_manager.filter(pk__in=pk_set or ()))
    for person in people:
        security_event_record(
            kind=Kind.ROLE_CHANGED,
            subject=person,
            details={"role": "strategy office", "from": not to, "to": to, "new_account": False},
        )


TEAM_FIELDS = ["is_private"]


def on_team_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """Log a team's privacy changed (a new team only when created private)."""
    before = getattr(instance, "_security_before", None)
    if raw or before == "untouched":
        return
    was = None if (created or before is None) else before["is_private"]
    if was == instance.is_private or (was is None and not instance.is_private):
        return  # unchanged, or a new public team
    security_event_record(
        kind=Kind.TEAM_PRIVACY_CHANGED,
        details={
            "team_id": instance.pk,
            "team": instance.name,
            "from": "private" if was else ("public" if was is not None else None),
            "to": "private" if instance.is_private else "public",
        },
    )


WEBHOOK_FIELDS = ["name", "url", "is_active", "min_severity", "alert_kinds", "owner", "team"]


def _host(url: str) -> str:
    """A webhook's host only: its path and query often carry the receiver's own secret."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _webhook_facts(webhook) -> dict[str, Any]:
    return {
        "webhook_id": webhook.pk,
        "name": webhook.name,
        "host": _host(webhook.url),
        "is_active": webhook.is_active,
        "min_severity": webhook.min_severity,
        "owner_id": webhook.owner_id,
        "team_id": webhook.team_id,
    }


def on_webhook_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """Log a webhook created or changed (per field, URLs by host only), with its owner as
    subject."""
    before = getattr(instance, "_security_before", None)
    if raw or before == "untouched":
        return
    owner = instance.owner if instance.owner_id else None
    if created or before is None:
        security_event_record(
            kind=Kind.WEBHOOK_CREATED, subject=owner, details=_webhook_facts(instance)
        )
        return
    changes: dict[str, Any] = {}
    for field in WEBHOOK_FIELDS:
        attname = instance._meta.get_field(field).attname
        was, now = before[field], getattr(instance, attname)
        if was == now:
            continue
        if field == "url":
            changes["url"] = {"from_host": _host(was or ""), "to_host": _host(now or "")}
        else:
            changes[field] = {"from": was, "to": now}
    if changes:
        security_event_record(
            kind=Kind.WEBHOOK_CHANGED,
            subject=owner,
            details={**_webhook_facts(instance), "changes": changes},
        )


def on_webhook_deleted(sender, instance, **kwargs) -> None:
    """Log a webhook deleted."""
    security_event_record(kind=Kind.WEBHOOK_DELETED, details=_webhook_facts(instance))
