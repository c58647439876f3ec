"""The layers of the code (issue #20): the contracts of ``.importlinter`` hold, and each of the
import circles the issue named is gone (no module of a circle reaches another and back).

``make lint`` runs the same contracts in CI (``lint-imports``); this test makes a broken layer a
failing test as well, with the contract's own report in the output.
"""

from __future__ import annotations

import configparser
import itertools
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

from tests.conftest import APPS as ALL_APPS

ROOT = Path(__file__).resolve().parent.parent

# The five circles of the issue, as it named them (modules since moved keep their old names
# where they still exist).
CIRCLES = {
    "models, selectors and access": (
        "initiatives.models",
        "workspace.initiative_selectors",
        "metrics.models",
        "metrics.selectors",
        "strategy.access",
    ),
    "engine, notifications and tasks": (
        "metrics.engine.run",
        "metrics.notifications",
        "metrics.tasks",
    ),
    "KPI score and forecast": ("metrics.scoring.kpi", "metrics.scoring.forecast"),
    "serializers": ("metrics.serializers", "workspace.strategy_serializers"),
    "plan models and selectors": ("strategy.models", "strategy.selectors"),
}

# The apps: what the ground (execsupport's shared pieces) may not import: every package of the
# project but execsupport itself (tests/conftest.py lists them, as .importlinter does).
APPS = tuple(app for app in ALL_APPS if app != "execsupport")
# The modules of execsupport that compose the apps (and its home page): every other module of
# execsupport is a shared piece, in the ground's contract.
COMPOSING = {
    "execsupport.urls",
    "execsupport.api_urls",
    "execsupport.settings",
    "execsupport.celery",
    "execsupport.wsgi",
    "execsupport.views",
}


def _ground() -> set[str]:
    """The source modules of the ground's contract in ``.importlinter``."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return set(config["importlinter:contract:ground-imports-no-app"]["source_modules"].split())


def test_the_import_contracts_are_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=".importlinter", no_cache=True, no_logo=True) == 0


@pytest.mark.parametrize("name", sorted(CIRCLES))
def test_a_circle_the_issue_named_is_gone(import_graph, name):
    circle = CIRCLES[name]
    both_ways = [
        (a, b)
        for a, b in itertools.combinations(circle, 2)
        if import_graph.chain_exists(importer=a, imported=b)
        and import_graph.chain_exists(importer=b, imported=a)
    ]
    assert both_ways == []


@pytest.mark.parametrize("package", ["metrics.scoring", "strategy.parts", "strategy.quantities"])
def test_a_pure_module_imports_nothing_from_django(import_graph, package):
    modules = {package, *import_graph.find_descendants(package)}
    reached = set().union(*(import_graph.find_upstream_modules(m) for m in modules))
    assert not {m for m in reached if m.split(".")[0] in ("django", "rest_framework", "celery")}


def test_the_ground_contract_forbids_every_app():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    forbidden = config["importlinter:contract:ground-imports-no-app"]["forbidden_modules"].split()
    assert set(forbidden) == set(APPS)


def test_the_ground_contract_names_every_shared_piece(import_graph):
    assert _ground() == import_graph.find_descendants("execsupport") - COMPOSING


@pytest.mark.parametrize("module", sorted(_ground()))
def test_a_shared_piece_of_execsupport_imports_no_app(import_graph, module):
    reached = import_graph.find_upstream_modules(module)
    assert not {m for m in reached if m.split(".")[0] in APPS}


# The core one-way (issue #20): strategy < initiatives < metrics < workspace, the pages and API
# that span them. On 5d2128a strategy's services, pages and API imported metrics and
# initiatives, and initiatives' imported metrics.
@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("strategy", "initiatives"),
        ("strategy", "metrics"),
        ("strategy", "workspace"),
        ("initiatives", "metrics"),
        ("initiatives", "workspace"),
        ("metrics", "workspace"),
    ],
)
def test_the_core_is_one_way(import_graph, lower, higher):
    chains = import_graph.find_shortest_chains(importer=lower, imported=higher, as_packages=True)
    assert chains == set(), f"{lower} reaches {higher}: {sorted(chains)[:3]}"
