"""axe-core on every page, for every persona, at desktop and phone widths.

axe-core comes bundled in axe-playwright-python (offline); it is injected through the
DevTools protocol, so our CSP needs no exception. Goal: no critical or serious violation.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
BLOCKING = {"critical", "serious"}


def _pages(plan, persona: str) -> list[str]:
    objective = plan.objectives[0]
    initiative = plan.initiatives[0]
    kpi = plan.kpis[0]
    pages = [
        "/overview/",
        "/review/",
        "/my-work/",
        "/alerts/",
        plan.alerts[0].get_absolute_url(),  # the alert's page: log, note and snooze forms
        objective.get_absolute_url(),
        initiative.get_absolute_url(),
        kpi.get_absolute_url(),
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/2fa/webauthn/add/",
        "/accounts/sessions/",
        "/accounts/logout/",
    ]
    if persona in ("office", "leader"):
        pages += [
            "/objectives/new/",
            f"/objectives/{objective.pk}/edit/",
            "/initiatives/new/",
            f"/initiatives/{initiative.pk}/edit/",
            f"/initiatives/{initiative.pk}/milestones/new/",
            "/kpis/new/",
            f"/kpis/{kpi.key}/edit/",
        ]
    if persona == "office":
        # Rows from the personas' sign-ins; the second shows the filters' error list.
        pages += ["/security/events/", "/security/events/?since=2026-03-02&until=2026-03-01"]
    return pages


def _violations(page, axe) -> list[str]:
    if page.locator("[data-figure]").count():
        page.wait_for_selector("[data-figure][data-drawn] svg.main-svg")
    results = axe.run(page)
    found = []
    for v in results.response["violations"]:
        if v["impact"] in BLOCKING:
            targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
            found.append(f"{v['impact']} {v['id']} ({len(v['nodes'])}): {targets}")
    return found


def test_no_serious_axe_violation_on_any_page_for_any_persona(
    chromium, live_server, settings, plan, admin
):
    from axe_playwright_python.sync_playwright import Axe

    settings.AXES_ENABLED = False
    axe = Axe()
    failures: dict[str, list[str]] = {}
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)

    def check(label: str, path: str) -> None:
        for width, (w, h) in WIDTHS.items():
            page.set_viewport_size({"width": w, "height": h})
            page.goto(live_server.url + path)
            failures[f"{width} {label} {path}"] = _violations(page, axe)

    check("anonymous", "/accounts/login/")
    for persona in ("office", "leader", "member", "viewer"):
        context.clear_cookies()
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill(persona)
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        for path in _pages(plan, persona):
            check(persona, path)
    context.close()
    failures = {k: v for k, v in failures.items() if v}
    report = "\n".join(f"{k}: {line}" for k, v in failures.items() for line in v)
    assert not failures, f"axe critical/serious violations\n{report}"
