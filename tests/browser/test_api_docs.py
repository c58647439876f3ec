"""The API docs render from our own static files under our CSP (no CDN, no inline script)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csp_violations(web) -> list[str]:
    return [e for e in web.errors if "Content Security Policy" in e or "Refused to" in e]


def test_swagger_ui_renders_operations_without_csp_violation(web, leader):
    web.sign_in("leader")
    requests: list[str] = []
    web.page.on("request", lambda r: requests.append(r.url))
    web.go("/api/docs/")
    # Swagger UI draws one block per operation once its start-up script has loaded the schema.
    web.page.wait_for_selector(".opblock .opblock-summary-path")
    assert web.page.locator(".opblock").count() > 20
    assert web.page.get_by_text("/api/v1/kpis/", exact=True).first.is_visible()
    csp = web.page.evaluate("() => document.querySelectorAll('script:not([src])').length")
    assert csp == 0  # no inline script
    assert _csp_violations(web) == []
    assert web.errors == []
    assert all(u.startswith(web.base_url) for u in requests), "everything from our origin"


def test_redoc_renders_operations_without_csp_violation(web, leader):
    web.sign_in("leader")
    requests: list[str] = []
    web.page.on("request", lambda r: requests.append(r.url))
    web.go("/api/redoc/")
    web.page.wait_for_selector("[data-section-id^='operation/']")
    assert web.page.locator("[data-section-id^='operation/']").count() > 20
    # Redoc's bundle always draws a "by Redocly" logo from cdn.redoc.ly; our CSP blocks that
    # third-party request on purpose, and it is the only thing it blocks here.
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [e for e in _csp_violations(web) if logo not in e] == []
    assert [e for e in web.errors if logo not in e] == []
    remote = [u for u in requests if u.startswith("http") and not u.startswith(web.base_url)]
    assert remote in ([], [logo]), "our origin only"
