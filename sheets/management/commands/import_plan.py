"""``python manage.py import_plan FILE [--dry-run] [--user NAME]``: import a plan file.

The same import as the page and the API (``sheets.plan_import``): ``.xlsx`` or ``.csv``,
all or nothing. It prints what is created, updated and left alone per sheet; with a bad row
it prints every error (sheet, row, column, message) and exits with code 1, writing nothing.
``--dry-run`` previews only; the next run without it refuses (exit code 1, nothing written)
when someone else changed the plan in between: dry-run again. It acts as ``--user``
(username or e-mail; default: the first active superuser), with that person's rights.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from typing_extensions import override

from sheets.plan_import import plan_import
from sheets.reading import FileUnreadable


class Command(BaseCommand):
    """The ``import_plan`` command (see the module's docstring)."""

    help = "Import objectives, initiatives, KPIs, milestones, measurements and check-ins."

    @override
    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The .xlsx or .csv file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Preview only: check and count, write nothing."
        )
        parser.add_argument("--user", default=None, help="Act as this person (username or e-mail).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    @override
    def handle(self, *args, file: str, dry_run=False, user=None, json=False, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        people = get_user_model().objects.filter(is_active=True)
        if user:
            person = people.filter(Q(username=user) | Q(email__iexact=user)).first()
            if person is None:
                raise CommandError(f"No active person “{user}”.")
        else:
            person = people.filter(is_superuser=True).order_by("id").first()
            if person is None:
                raise CommandError("No active superuser to act as: pass --user.")
        try:
            with path.open("rb") as stream:
                report = plan_import(
                    stream=stream, filename=path.name, user=person, apply=not dry_run
                )
        except FileUnreadable as error:
            raise CommandError(str(error)) from None
        if json:
            self.stdout.write(_json(report.as_dict()))
        else:
            for sheet in report.sheets:
                self.stdout.write(
                    f"{sheet.sheet}: {sheet.created} created, {sheet.updated} updated, "
                    f"{sheet.unchanged} unchanged"
                )
            for flag in report.implausible:
                self.stdout.write(
                    f"{flag['sheet']} row {flag['row']}: value {flag.get('value')} flagged as "
                    "implausible (accepted)"
                )
        if report.changed_since_preview:
            raise CommandError(report.errors[0].message)
        if not report.ok:
            for problem in report.errors:
                where = f"{problem.sheet} row {problem.row}"
                if problem.column:
                    where += f", column {problem.column}"
                self.stderr.write(f"{where}: {problem.message}")
            rows = len({(problem.sheet, problem.row) for problem in report.errors})
            raise CommandError(
                f"{len(report.errors)} error(s) in {rows} row(s): nothing was imported."
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
