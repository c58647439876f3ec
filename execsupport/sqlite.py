"""SQLite's LIKE with Unicode case folding.

Django builds ``icontains``, ``iexact``, ``istartswith`` (and ``contains`` ...) on SQLite as
``LIKE %s ESCAPE '\\'``, and SQLite's built-in LIKE folds the case of ASCII letters only:
"ÄRGER" did not find "Ärger". SQLite lets an application replace the function behind the
LIKE operator (https://sqlite.org/lang_corefunc.html#like): ``like_unicode`` below does what
SQLite's does (``%`` any run, ``_`` one character, the ESCAPE character makes the next one
literal, case ignored) with ``str.casefold`` for every letter. It is registered on every new
SQLite connection (``execsupport.apps``); PostgreSQL is untouched (its ``UPPER(...) LIKE
UPPER(...)`` already folds every letter).

The cost: SQLite no longer uses an index for a LIKE prefix, and each row calls into Python.
SQLite is the small-install database; the big ones run PostgreSQL.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def _like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    """A compiled, anchored regular expression for the LIKE ``pattern``, case folded."""
    parts: list[str] = []
    literal = False
    for char in pattern:
        if literal:
            parts.append(re.escape(char.casefold()))
            literal = False
        elif escape is not None and char == escape:
            literal = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char.casefold()))
    if literal and escape is not None:  # an ESCAPE at the end: SQLite matches it literally
        parts.append(re.escape(escape.casefold()))
    return re.compile("".join(parts), re.DOTALL)


def like_unicode(pattern: str | None, value: object, escape: str | None = None) -> bool | None:
    """``value LIKE pattern [ESCAPE escape]`` with Unicode case folding; SQL NULL in, NULL out.

    SQLite calls ``like(pattern, value[, escape])``. A non-text value is compared as text (as
    SQLite does)."""
    if pattern is None or value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return _like_regex(pattern, escape).fullmatch(text.casefold()) is not None


def sqlite_like_install(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: the Unicode LIKE on every SQLite connection."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("like", 2, like_unicode, deterministic=True)
    raw.create_function("like", 3, like_unicode, deterministic=True)
