"""Optimistic concurrency: the error a versioned save raises when the row changed meanwhile.

The apps' versioned models raise it (``strategy.models.VersionedModel``, which re-exports it);
the API turns it into a 412 with the current version (``execsupport.api.exception_handler``)
and the pages into a "changed meanwhile" message.
"""

from __future__ import annotations

from django.db import models


class VersionConflict(Exception):
    """The row was saved by someone else since the caller read it (optimistic concurrency).

    ``expected`` is the version the caller read, ``current`` the version in the database now
    (``None``: the row was deleted meanwhile). Nothing was written.
    """

    def __init__(self, *, instance: models.Model, expected: int, current: int | None):
        self.instance = instance
        self.expected = expected
        self.current = current
        name = instance._meta.verbose_name
        if current is None:
            message = f"This {name} was deleted by someone else meanwhile."
        else:
            message = (
                f"This {name} was changed by someone else meanwhile "
                f"(you read version {expected}; it is now at version {current})."
            )
        super().__init__(message)
