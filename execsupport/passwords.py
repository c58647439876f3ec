"""The password validator (``AUTH_PASSWORD_VALIDATORS``) that works without the internet.

``BreachedPasswordValidator`` refuses a password found in the breached-password list bundled
with the ``zxcvbn`` package (the 30,000 most frequent passwords of the Xato 10-million-password
breach corpus) merged with Django's own list (20,000): about 40,000 distinct passwords, compared
case-insensitively, no network call.

The validator that refuses the product's or the company's name reads the company-level teams,
so it lives with them: ``strategy.passwords.ContextWordsValidator``.
"""

from __future__ import annotations

from functools import lru_cache

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
