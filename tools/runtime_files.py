"""The files of the runtime image: copy them from a source tree to a target directory.

Usage (the Dockerfile's build stage): ``python tools/runtime_files.py /src /app``.

The runtime image gets the Django project and its apps, templates and static sources, and
nothing else: no tests (``tests/``), benchmarks (``bench/``), documentation, build helpers
(``tools/``), CI files, or the demo seeder (``demo/builder``; ``seed_demo`` then says the demo
is not installed). ``tests/test_runtime_image.py`` builds this tree and runs the app from it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

# Top-level entries of the source tree that the app needs at run time.
RUNTIME_ENTRIES = (
    "manage.py",
    "execsupport",
    "strategy",
    "initiatives",
    "metrics",
    "workspace",
    "security",
    "reviews",
    "activity",
    "sheets",
    "surveys",
    "assessment",
    "support",
    "demo",
    "templates",
    "static",
)
# Paths below those entries that stay out of the image.
EXCLUDED = ("demo/builder",)
SKIPPED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def runtime_files(source: Path) -> list[Path]:
    """Paths (relative to ``source``, sorted) of every file the runtime image gets.

    Raises FileNotFoundError when an entry of ``RUNTIME_ENTRIES`` is missing (a renamed app
    must be renamed here too).
    """
    found: list[Path] = []
    for entry in RUNTIME_ENTRIES:
        path = source / entry
        if not path.exists():
            raise FileNotFoundError(f"{entry} is listed in RUNTIME_ENTRIES but not in {source}")
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for candidate in candidates:
            relative = candidate.relative_to(source)
            if not candidate.is_file() or _skipped(relative):
                continue
            found.append(relative)
    return sorted(found)


def _skipped(relative: Path) -> bool:
    if any(part in SKIPPED_NAMES for part in relative.parts):
        return True
    if relative.suffix in SKIPPED_SUFFIXES:
        return True
    text = relative.as_posix()
    return any(text == excluded or text.startswith(excluded + "/") for excluded in EXCLUDED)


def runtime_copy(source: Path, target: Path) -> int:
    """Copy the runtime files from ``source`` into ``target`` (created); their number."""
    files = runtime_files(source)
    for relative in files:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, destination)
    return len(files)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: runtime_files.py SOURCE TARGET", file=sys.stderr)
        return 2
    count = runtime_copy(Path(argv[0]), Path(argv[1]))
    print(f"Copied {count} runtime files to {argv[1]}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
