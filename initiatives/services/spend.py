"""Spend: recorded and corrected on an initiative, its stored sum kept by the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from initiatives.models import (
    Initiative,
    SpendEntry,
)
from initiatives.services.common import fields_before, initiative_mark_stale
from initiatives.signals import spend_recorded


@transaction.atomic
def spend_record(
    *,
    initiative: Initiative,
    date: dt.date,
    amount: Decimal,
    entered_by,
    category: str = "",
    note: str = "",
) -> SpendEntry:
    """Record money spent on an initiative by ``entered_by`` (who acted: the initiative's
    other people are told, ``metrics.work``)."""
    entry = SpendEntry(
        initiative=initiative,
        date=date,
        amount=amount,
        category=category,
        note=note,
        entered_by=entered_by,
    )
    return spend_save(entry=entry, by=entered_by)


@transaction.atomic
def spend_save(*, entry: SpendEntry, by=None) -> SpendEntry:
    """Save a spend entry (new or corrected in the admin); the initiative's score follows. A
    new entry or a change by ``by`` tells the initiative's owner and contributors
    (``metrics.work``); an unchanged save tells nobody."""
    entry.full_clean()
    changed = entry.changed_fields()
    previous = fields_before(entry, changed).get("amount", entry.amount)
    entry.save()
    initiative_mark_stale(entry.initiative_id)
    if changed is None or changed:
        spend_recorded.send(
            sender=SpendEntry,
            entry=entry,
            by=by,
            previous_amount=None if changed is None else previous,
        )
    return entry
