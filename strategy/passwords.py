"""The password validator that reads the plan (``AUTH_PASSWORD_VALIDATORS``): a password may not
contain the product's or the company's name (``PASSWORD_CONTEXT_WORDS`` plus the names of the
company-level teams), case-insensitively, ignoring spaces and punctuation.

It lives with the teams it reads; the validator that needs no app (the breached-password list)
is ``execsupport.passwords``.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError

from strategy.models import Team


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def context_words() -> list[str]:
    """The words a password may not contain: ``PASSWORD_CONTEXT_WORDS`` and the names and
    slugs of the company-level teams, squashed (lower case, letters and digits only), at
    least 4 characters long."""
    words = [*getattr(settings, "PASSWORD_CONTEXT_WORDS", [])]
    for name, slug in Team.objects.filter(kind=Team.Kind.COMPANY).values_list("name", "slug"):
        words += [name, slug]
    return sorted({w for w in map(_squash, words) if len(w) >= 4})


class ContextWordsValidator:
    """Refuse passwords containing the product's or the company's name."""

    def validate(self, password: str, user=None) -> None:
        """Raise ``ValidationError`` (``password_context_word``) for a password containing a
        context word, whatever the case and separators."""
        squashed = _squash(password)
        for word in context_words():
            if word in squashed:
                raise ValidationError(
                    "Your password can't contain the name of this product or of your company.",
                    code="password_context_word",
                )

    def get_help_text(self) -> str:
        """The rule as shown under the password field."""
        return "Your password can't contain the name of this product or of your company."
