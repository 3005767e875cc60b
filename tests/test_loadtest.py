"""The load test's synthetic studies (loadtest/studies.py) stay importable: if the importer's
rules changed so that they were skipped, `make loadtest` would import nothing beside the load
and still look fine."""

import json
import random
from io import StringIO

import pytest
from django.core.management import call_command

from loadtest.studies import study, write_studies
from trials.choices import Workflow
from trials.ingest.parsers import ctgov
from trials.models import Trial


def test_every_synthetic_study_is_a_labelled_cell_therapy_with_an_unissued_nct_id():
    rng = random.Random(7)
    parsed = [ctgov.parse_file(json.dumps(study(n, rng)).encode()) for n in range(1, 501)]
    studies = [file.studies[0] for file in parsed]
    assert all(s.is_cell_therapy for s in studies)
    assert all(s.fields["title"].startswith("SYNTHETIC load-test study") for s in studies)
    ids = [s.nct_id for s in studies]
    assert len(set(ids)) == 500
    assert min(ids) == "NCT99000001" and max(ids) == "NCT99000500"


@pytest.mark.django_db
def test_import_ctgov_creates_a_draft_for_each_synthetic_study(tmp_path):
    write_studies(tmp_path, count=3)
    call_command("import_ctgov", str(tmp_path), stdout=StringIO())
    imported = Trial.objects.filter(registry_records__identifier__startswith="NCT99")
    assert imported.count() == 3
    assert set(imported.values_list("workflow", flat=True)) == {Workflow.DRAFT}
