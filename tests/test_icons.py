"""Icons are inline SVG, never font glyphs: symbols such as ⏱ (stopwatch) or 👁 (eye) render as
empty boxes on systems without an emoji or symbol font, and a screen reader reads them out
oddly. Every page, for every persona, is checked for such characters outside its scripts."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.test import Client
from django.utils import timezone

from metrics.models import Alert
from strategy.templatetags.ui import ICONS, SEVERITIES, STATUSES, icon, severity_badge, status_badge
from tests.factories import AlertFactory
from tests.pages import page_paths

pytestmark = pytest.mark.django_db

SCRIPTS = re.compile(r"<script\b.*?</script>", re.S | re.I)


def glyphs(html: str) -> set[str]:
    """Pictographs and arrows in ``html`` outside its <script> blocks: symbols (Unicode
    category So: ✓ ✕ ○ ● ◆ ⚠ ⏱ 👁 ...), arrows (U+2190-21FF) and ‼. Typographic marks that
    every text font has (middle dot, dashes, angle quotes, times and minus) are allowed."""
    text = SCRIPTS.sub("", html)
    return {
        c
        for c in set(text)
        if ord(c) > 0xFF
        and (unicodedata.category(c) == "So" or 0x2190 <= ord(c) <= 0x21FF or c == "\u203c")
    }


def test_glyphs_finds_what_renders_as_boxes():
    assert glyphs("<p>Stale ⏱ seen 👁 ok ✓ → ‼</p>") == {"⏱", "👁", "✓", "→", "‼"}
    typographic = "a \u00b7 b \u2014 c \u2013 d \u203a e \u00d7 2 \u2212 1 \u201cq\u201d"
    assert glyphs(f'<p>{typographic}</p><script>"\u2713"</script>') == set()


def test_every_badge_icon_is_svg():
    for status in STATUSES:
        html = status_badge(status)
        assert "<svg" in html, status
        assert not glyphs(html), status
    for severity in SEVERITIES:
        assert "<svg" in severity_badge(severity)
    for name in ICONS:
        assert icon(name).startswith('<svg class="icon"')
        assert 'aria-hidden="true"' in icon(name)


def test_no_page_shows_a_font_glyph_icon(plan, admin, leader, member, viewer):
    # Every state an icon stands for: acknowledged and resolved alerts next to open ones.
    now = timezone.now()
    team = plan.objectives[0].team
    AlertFactory(status=Alert.Status.ACKNOWLEDGED, acknowledged_at=now, team=team, owner=member)
    AlertFactory(status=Alert.Status.RESOLVED, resolved_at=now, team=team, owner=member)
    found: dict[str, set[str]] = {}
    for persona, user in [
        ("anonymous", None),
        ("office", admin),
        ("leader", leader),
        ("member", member),
        ("viewer", viewer),
    ]:
        client = Client()
        if user is not None:
            client.force_login(user)
        for path in [*page_paths(plan), "/alerts/?status=all"]:
            response = client.get(path, follow=True)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            bad = glyphs(response.content.decode())
            if bad:
                found[f"{persona} {path}"] = bad
    assert not found, found
