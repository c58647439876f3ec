"""Every chart we render uses a trace type of the vendored plotly.js basic bundle."""

from __future__ import annotations

import json
import re

import pytest

# Trace modules of static/vendor/plotly/plotly-basic.min.js (plotly.js-basic-dist-min 3.7.0).
BASIC_BUNDLE_TRACES = {"scatter", "bar", "pie"}

_FIGURE = re.compile(r'<script type="application/json" id="[^"]+-data">(.*?)</script>', re.S)


@pytest.mark.django_db
def test_rendered_charts_use_only_trace_types_of_the_vendored_bundle(client, leader, plan):
    client.force_login(leader)
    pages = [
        "/overview/",
        "/review/",
        plan.kpis[0].get_absolute_url(),
        plan.initiatives[0].get_absolute_url(),
    ]
    types: set[str] = set()
    for path in pages:
        html = client.get(path).content.decode()
        figures = _FIGURE.findall(html)
        assert figures, f"{path} renders no chart"
        for raw in figures:
            types |= {trace.get("type", "scatter") for trace in json.loads(raw)["data"]}
    assert types, "no traces at all"
    assert types <= BASIC_BUNDLE_TRACES, (
        f"trace types {types - BASIC_BUNDLE_TRACES} need a bigger plotly.js bundle "
        "(see static/vendor/plotly/README.md)"
    )


def test_vendored_bundle_is_the_pinned_basic_build():
    from django.conf import settings

    path = settings.BASE_DIR / "static" / "vendor" / "plotly" / "plotly-basic.min.js"
    head = path.read_text()[:200]
    assert "plotly.js (basic - minified) v3." in head
