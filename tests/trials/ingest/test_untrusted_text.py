"""Registry text is untrusted input (issue 11, item 8): a sync feeds sponsors' free text into the
mappers every day, unattended, so no text may make a pattern backtrack for long."""

import copy
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import COMPOSED
from trials.ingest.parsers import ctgov, doses, mapping, rules
from trials.ingest.parsers.errors import ImportFileError

# Adversarial arm descriptions: long runs of what the patterns repeat.
ADVERSARIAL = [
    "Lot 1" + ",111" * 18,
    "Lot 1" + ",111" * 200,
    "1 " + "a" * 10_000,
    "1 million " + "x-" * 5_000,
    "5, " * 3_000 + "cells",
    "bone marrow " + "' " * 4_000 + "mesenchymal",
    "stem " * 2_000,
    "10" + " x 10" * 2_000,
    "every " * 2_000 + "week",
    "MSC " * 2_500,
    "bone marrow mesenchymal " * 400,
    "autologous allogeneic " * 500,
    "intrathecal " * 900,
]


def _study_with_text(text: str) -> dict:
    """A composed study (the Leone fixture) whose every free-text field holds `text`."""
    study = json.loads((COMPOSED / "nsc-spms-leone-NCT03282760.json").read_text())
    study = copy.deepcopy(study)
    ps = study["protocolSection"]
    ps["identificationModule"]["officialTitle"] = text[:300]
    ps["conditionsModule"]["conditions"] = [text]
    ps["conditionsModule"]["keywords"] = [text]
    for arm in ps["armsInterventionsModule"]["armGroups"]:
        arm["description"] = text
    for intervention in ps["armsInterventionsModule"]["interventions"]:
        intervention["description"] = text
    for outcome in ps["outcomesModule"]["primaryOutcomes"]:
        outcome["timeFrame"] = text
    return study


@pytest.mark.parametrize("n", [18, 20])
def test_the_dose_pattern_does_not_backtrack_exponentially(n):
    """Was 4 s for × 18 and 14 s for × 20 (nested unbounded repeats of numbers and commas)."""
    text = "Lot 1" + ",111" * n
    started = time.perf_counter()
    doses.parse_dose(text)
    assert time.perf_counter() - started < 0.05


MAPPERS = {
    "dose": doses.parse_dose,
    "administrations": doses.parse_administrations,
    "interval": doses.parse_interval,
    "cell type": mapping.match_cell_type,
    "routes": mapping.match_routes,
    "origin": mapping.match_origin,
    "tissue": lambda text: mapping.match_tissue_source(text, None),
    "conditions": lambda text: mapping.match_conditions([text]),
    "cell therapy": lambda text: mapping.cell_therapy_signal("BIOLOGICAL", text[:100], text),
    "follow-up": rules.follow_up_months,
}


TABLE_MAPPERS = {"cell type", "cell therapy"}


def _slowest(text: str) -> tuple[str, float]:
    """The slowest mapper on this text, each timed as the best of three runs in this process's
    own CPU time: the work the patterns do, which a shared machine's other load (other test
    workers, other jobs) does not inflate as it does wall-clock time."""
    times = {}
    for name, mapper in MAPPERS.items():
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            mapper(text)
            best = min(best, time.process_time() - started)
        times[name] = best
    name = max(times, key=times.get)
    return name, times[name]


# The characters the patterns repeat: digits, separators, multipliers, cell and unit words.
ALPHABET = "1,0 .x×^-–/'aeMSCNcelsmilonkgTR\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(ALPHABET), min_size=50, max_size=2_000))
def test_any_10kb_text_maps_in_under_50ms(sample):
    """Any 10 kB text (a drawn sample repeated to 10,000 characters) goes through every importer
    mapper in under 50 ms each, except the two that run the whole cell-type table (about fifty
    patterns, each over the whole text): linear, but 55-65 ms on a busy 2-core machine, so they
    get 100 ms. Bringing them under 50 ms is open work (issue 11's note says so)."""
    text = (sample * (10_000 // len(sample) + 1))[:10_000]
    name, seconds = _slowest(text)
    limit = 0.1 if name in TABLE_MAPPERS else 0.05
    assert seconds < limit, f"{name} took {seconds * 1000:.0f} ms"


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_text_through_every_mapper_in_linear_time(text):
    """Texts built to make patterns backtrack (limits as above). Before the fixes several of
    these took seconds or did not finish."""
    name, seconds = _slowest(text)
    limit = 0.1 if name in TABLE_MAPPERS else 0.05
    assert seconds < limit, f"{name} took {seconds * 1000:.0f} ms"


def test_a_study_nested_too_deeply_is_refused_with_a_clear_message():
    """A study nested 1,200 levels deep used to import, and its registry-record admin page then
    answered 500 (json.dumps recursing). It is refused now, naming the depth."""
    study = json.loads((COMPOSED / "nsc-spms-leone-NCT03282760.json").read_text())
    deep: dict = {}
    node = deep
    for _ in range(1_200):
        node["x"] = {}
        node = node["x"]
    study["protocolSection"]["descriptionModule"] = {"detailedDescription": "x", "extra": deep}
    with pytest.raises(ImportFileError, match="nested"):
        ctgov.map_study(study)
