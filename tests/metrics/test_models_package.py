"""The models package (issue #20): its public names import, and its models are the app's."""

import importlib

from django.apps import apps
from django.db import models

import metrics.models


def test_every_public_name_imports():
    for name in metrics.models.__all__:
        assert getattr(importlib.import_module("metrics.models"), name) is not None, name


def test_models_keep_the_metrics_app_label():
    classes = [getattr(metrics.models, name) for name in metrics.models.__all__]
    model_classes = [c for c in classes if isinstance(c, type) and issubclass(c, models.Model)]
    assert model_classes
    for model in model_classes:
        assert model._meta.app_label == "metrics", model


def test_the_package_holds_every_model_of_the_app():
    exported = {
        getattr(metrics.models, name)
        for name in metrics.models.__all__
        if isinstance(getattr(metrics.models, name), type)
        and issubclass(getattr(metrics.models, name), models.Model)
    }
    # The app's models are these and simple_history's historical copies of them.
    historical = {model.history.model for model in exported if hasattr(model, "history")}
    assert historical
    assert exported | historical == set(apps.get_app_config("metrics").get_models())
