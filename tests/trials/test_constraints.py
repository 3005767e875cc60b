"""full_clean() checks a model's CheckConstraints in one query (trials/constraints.py), with
the same errors as Django's one-query-per-constraint validation."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from tests.helpers import add_arm, full_trial
from trials.models import Publication, Trial

pytestmark = pytest.mark.django_db


def _errors(validate) -> dict:
    try:
        validate()
    except ValidationError as error:
        return error.message_dict
    return {}


def _both(instance):
    with CaptureQueriesContext(connection) as batched_queries:
        batched = _errors(instance.validate_constraints)
    with CaptureQueriesContext(connection) as django_queries:
        django = _errors(lambda: models.Model.validate_constraints(instance))
    return batched, django, len(batched_queries), len(django_queries)


def test_a_valid_trial_passes_both_ways_in_far_fewer_queries():
    trial = full_trial(1)
    batched, django, batched_count, django_count = _both(trial)
    assert batched == django == {}
    assert len([c for c in Trial._meta.constraints if isinstance(c, models.CheckConstraint)]) > 20
    assert batched_count <= 3 < django_count  # one SELECT (in a savepoint inside a transaction)


def test_a_broken_trial_gets_the_same_field_errors_as_django_gives():
    trial = full_trial(2)
    trial.status_checked = datetime.date(2025, 1, 1)
    trial.status_source = ""
    trial.start_date = datetime.date(2024, 1, 1)
    trial.completion_date = datetime.date(2020, 1, 1)
    batched, django, _b, _d = _both(trial)
    assert batched == django and batched  # the same errors, and there are some
    assert "status_source" in batched


def test_an_arm_and_a_publication_get_the_same_errors_as_django_gives():
    arm = add_arm(full_trial(3))
    arm.dose_min, arm.dose_max = Decimal("10"), Decimal("1")
    batched, django, _b, _d = _both(arm)
    assert batched == django and batched
    publication = Publication(title="x", doi="not-a-doi", pmid="abc", pmcid="123", year=1200)
    batched, django, _b, _d = _both(publication)
    assert batched == django and set(batched) >= {"doi", "pmid", "pmcid", "year"}


def test_a_null_condition_passes_as_in_django():
    """A check on a NULL value is unknown, not false: both ways let it pass."""
    trial = full_trial(4)
    trial.start_date = None
    trial.completion_date = datetime.date(2020, 1, 1)
    batched, django, _b, _d = _both(trial)
    assert batched == django == {}
