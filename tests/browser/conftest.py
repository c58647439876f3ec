"""Playwright driving Debian's Chromium against pytest-django's live server.

The machine has no internet, so ``playwright install`` cannot fetch a browser: we launch the
system Chromium. Tests skip when it is absent, unless ``CI=true`` (then they fail).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# How long a wait (a page's locators, ``expect``'s retrying assertions) may take: a busy CI
# runner with two cores shared by two test workers needs more than Playwright's 5 s for expect.
WAIT_MS = 15000
try:
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=WAIT_MS)
except ImportError:  # the chromium fixture says what is missing
    pass


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing browser is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _missing(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


class Browser:
    """A page plus the console errors and failed requests seen while using it."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # A request the browser itself cancelled (net::ERR_ABORTED: the page navigated on while
        # e.g. the favicon still loaded) is no failure of the app; a refused or reset one is.
        page.on(
            "requestfailed",
            lambda r: (
                None
                if r.failure == "net::ERR_ABORTED"
                else self.errors.append(f"failed request {r.url} ({r.failure})")
            ),
        )

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def sign_in(self, username: str, password: str = "correct-horse-battery") -> None:  # noqa: S107
        self.go("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state("networkidle")

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def web(chromium, live_server, settings) -> Iterator[Browser]:
    settings.AXES_ENABLED = False
    context = chromium.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    # A worker's first page (the live server's first request: imports, template compiling)
    # took over 15 s on a loaded two-core runner.
    page.set_default_navigation_timeout(2 * WAIT_MS)
    yield Browser(page, live_server.url)
    context.close()


PERSONAS = ("office", "leader", "member", "viewer")


def persona_sign_in(
    page,
    base_url: str,
    persona: str,
    password: str = "correct-horse-battery",  # noqa: S107
) -> None:
    """Sign ``page``'s context in as a persona of tests/conftest.py (cookies cleared first)."""
    page.context.clear_cookies()
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(persona)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def persona_walk(page, base_url: str, plan, persona: str | None):
    """Open every page (``tests.pages.page_paths``) that answers this persona (None: signed
    out) with an HTML page, once per final URL, charts drawn; yield each path."""
    from tests.pages import page_paths

    if persona is None:
        page.context.clear_cookies()
    else:
        persona_sign_in(page, base_url, persona)
    seen: set[str] = set()
    for path in page_paths(plan):
        # Asked first without the page (same cookies): Chromium turns an empty answer (a 405
        # of a POST-only URL) into an error page that interrupts the next navigation.
        answer = page.request.get(base_url + path)
        if answer.status != 200 or "html" not in (answer.headers.get("content-type") or ""):
            continue  # not this persona's page (403/404), not a GET page (405), not HTML
        page.goto(base_url + path)
        if page.url in seen:
            continue  # a redirect to a page seen already (e.g. to the sign-in page)
        seen.add(page.url)
        if page.locator("[data-figure]").count():
            # Every chart drawn, not only the first (a check of all of them follows).
            page.wait_for_function(
                "() => [...document.querySelectorAll('[data-figure]')]"
                ".every((e) => e.querySelector('svg.main-svg'))"
            )
        yield page.url.removeprefix(base_url)


@pytest.fixture
def demo(transactional_db, settings) -> dict[str, str]:
    """The demo organisation of ``make demo`` (what people look at and print): its logins by
    persona (office, leader, member, viewer) and their password."""
    import io

    from django.core.management import call_command

    from demo.builder import DEMO_PASSWORD, demo_logins
    from demo.builder.org import LOGIN_PERSONAS

    # The test runner sets DEBUG=false, which seed_demo reads as production (refused).
    settings.DEBUG = True
    call_command("seed_demo", "--no-progress", "--history-weeks=4", stdout=io.StringIO())
    settings.DEBUG = False
    logins = dict(zip(LOGIN_PERSONAS, [u for u, _, _ in demo_logins()], strict=True))
    return {**logins, "password": DEMO_PASSWORD}
