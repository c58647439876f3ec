"""The models packages of metrics, strategy and initiatives (issue #20): their public names import, and their
models are the app's."""

import importlib

import pytest
from django.apps import apps
from django.db import models

import initiatives.models
import metrics.models
import strategy.models

PACKAGES = pytest.mark.parametrize(
    "package",
    [metrics.models, strategy.models, initiatives.models],
    ids=["metrics", "strategy", "initiatives"],
)


@PACKAGES
def test_every_public_name_imports(package):
    for name in package.__all__:
        assert getattr(importlib.import_module(package.__name__), name) is not None, name


@PACKAGES
def test_models_keep_the_app_label(package):
    label = package.__name__.split(".")[0]
    classes = [getattr(package, name) for name in package.__all__]
    model_classes = [c for c in classes if isinstance(c, type) and issubclass(c, models.Model)]
    assert model_classes
    for model in model_classes:
        assert model._meta.app_label == label, model


@PACKAGES
def test_the_package_holds_every_model_of_the_app(package):
    exported = {
        getattr(package, name)
        for name in package.__all__
        if isinstance(getattr(package, name), type)
        and issubclass(getattr(package, name), models.Model)
        and not getattr(getattr(package, name)._meta, "abstract", False)
    }
    # The app's models are these and simple_history's historical copies of them (and of their
    # many-to-many fields, e.g. HistoricalInitiative_contributors).
    historical = {model.history.model for model in exported if hasattr(model, "history")}
    assert historical
    label = package.__name__.split(".")[0]
    app_models = set(apps.get_app_config(label).get_models())
    m2m_history = {m for m in app_models - historical if m.__name__.startswith("Historical")}
    assert exported | historical | m2m_history == app_models
