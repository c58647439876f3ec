"""End-to-end: the strategy office uploads a plan workbook with a bad row, reads the preview
(the bad row by sheet, row, column and message; nothing written), uploads the corrected file,
and applies it.

The preview with the bad row is the README's screenshot (docs/screenshots/import-preview.png,
written again with ``README_SCREENSHOTS=1``).
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest

from strategy.models import Objective
from tests.sheets.conftest import base, full_plan, xlsx_bytes  # noqa: F401 (base: a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("base"),  # the strategy, theme, period and people to import into
]

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_office_previews_a_bad_file_then_applies_the_corrected_one(web, admin, tmp_path):
    page = web.page
    page.set_default_timeout(60000)  # an upload, a preview and an apply on a busy machine
    page.set_default_navigation_timeout(60000)
    plan = copy.deepcopy(full_plan())
    bad = copy.deepcopy(plan)
    bad["Objectives"][2][6] = "nobody@example.com"  # an unknown owner
    (tmp_path / "plan-with-errors.xlsx").write_bytes(xlsx_bytes(bad))
    (tmp_path / "plan.xlsx").write_bytes(xlsx_bytes(plan))

    web.sign_in("office")
    web.go("/plan/import/")
    page.get_by_label("Plan file (.xlsx or .csv)").set_input_files(
        str(tmp_path / "plan-with-errors.xlsx")
    )
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("networkidle")
    preview = page.get_by_role("region", name="Preview of plan-with-errors.xlsx")
    assert "error" in preview.locator(".badge").first.inner_text()
    bad_rows = preview.locator("table").first.inner_text()
    assert "nobody@example.com" in bad_rows
    assert "objectives\t3\towner" in bad_rows  # sheet, row as the spreadsheet shows it, column
    assert page.get_by_role("button", name="Apply the import").count() == 0
    assert not Objective.objects.exists()
    shot = web.shot("import-preview")
    if os.environ.get("README_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SHOTS / "import-preview.png")

    page.get_by_label("Plan file (.xlsx or .csv)").set_input_files(str(tmp_path / "plan.xlsx"))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("no errors").is_visible()
    assert not Objective.objects.exists()  # a preview writes nothing
    page.get_by_role("button", name="Apply the import").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Imported plan.xlsx").is_visible()
    assert set(Objective.objects.values_list("key", flat=True)) == {"grow", "grow-smb"}
    assert not web.errors, web.errors
