"""Password validators (``AUTH_PASSWORD_VALIDATORS``) that work without the internet.

* ``BreachedPasswordValidator``: refuses a password found in the breached-password list
  bundled with the ``zxcvbn`` package (the 30,000 most frequent passwords of the Xato
  10-million-password breach corpus) merged with Django's own list (20,000):
  about 40,000 distinct passwords, compared case-insensitively, no network call.
* ``ContextWordsValidator``: refuses a password that contains the product's or the
  company's name (``PASSWORD_CONTEXT_WORDS`` plus the names of the company-level teams),
  case-insensitively, ignoring spaces and punctuation.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def breached_passwords() -> frozenset[str]:
    """The bundled breached passwords, lower-cased (read once per process)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = {w.lower() for w in FREQUENCY_LISTS["passwords"]}
    words.update(CommonPasswordValidator().passwords)  # Django's list, lower-cased
    return frozenset(words)


class BreachedPasswordValidator:
    """Refuse passwords of the bundled breached-password list (see the module docstring)."""

    def validate(self, password: str, user=None) -> None:
        """Raise ``ValidationError`` (``password_breached``) for a password on the list, ignoring
        case and surrounding spaces."""
        if password.lower().strip() in breached_passwords():
            raise ValidationError(
                "This password appears in lists of breached passwords.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        """The rule as shown under the password field."""
        return "Your password can't be one found in breached-password lists."


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def context_words() -> list[str]:
    """The words a password may not contain: ``PASSWORD_CONTEXT_WORDS`` and the names and
    slugs of the company-level teams, squashed (lower case, letters and digits only), at
    least 4 characters long."""
    from strategy.models import Team

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
