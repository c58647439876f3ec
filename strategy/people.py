"""How a person is named on the pages."""

from __future__ import annotations


def person_name(*, first_name: str, last_name: str, username: str) -> str:
    """The full name as ``User.get_full_name()`` builds it, else the username."""
    return f"{first_name} {last_name}".strip() or username
