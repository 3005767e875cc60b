"""ClinicalTrials.gov API v2 study JSON → our fields, as plain values (no database writes).

`parse_file(data)` reads one downloaded file: a study object (`{"protocolSection": ...}`) or a
search response (`{"studies": [...]}`), and returns a `CtgovFile` of `MappedStudy` records.
Bad input raises `ImportFileError` (one per file; `.record` is the NCT id or the position).
Older formats (classic XML `<clinical_study>`, classic PascalCase JSON `FullStudiesResponse`)
are not errors: the file comes back with `unsupported` saying why, and no studies.

Mapping rules (tables in rules.py and mapping.py; what no rule maps is left empty and named in
`MappedStudy.unmapped` as `JSON path: "value" — why`, never guessed):

- Identity: title = officialTitle (briefTitle when there is none or it is over our 400
  characters); acronym. Registry ids: the NCT id, plus secondaryIdInfos that are EudraCT
  (type EUDRACT_NUMBER) or EU CT (type CTIS) numbers of the shape our RegistryId constraints
  accept, or NCT / ISRCTN ids; other secondary ids (grants, sponsor codes) are listed unmapped.
- Phase: the phases list → our code (["PHASE1", "PHASE2"] → PHASE1_PHASE2, ["NA"] → NA, none →
  empty). A code outside the registry's vocabulary raises ImportFileError naming it.
- Status, allocation, masking: the registry's codes are ours; expanded-access statuses are not.
  Control: from the comparator arm types (placebo or sham → placebo, active → active), only when
  the arms name one kind.
- Dates: "2021-03-15" day, "2021-03" the 1st + month, "2021" 1 January + year precision. A date
  that would fall before the date it must follow (as stored) is left empty.
- Enrollment: count → target_enrollment when type is ESTIMATED, actual_enrollment when ACTUAL.
- Follow-up months: the longest duration any primary outcome's time frame states; weeks × 12/52
  and days × 12/365, rounded half up ("96 weeks" → 22, "Week 24" → 6, "2 years" → 24); empty
  when no number with a unit is stated, or under half a month.
- Conditions: each condition name → the most specific vocabulary term it names ("Secondary
  Progressive Multiple Sclerosis" → spms; "ALS", "motor neuron disease" → als). Keywords only
  refine those terms (or stand in when no condition name matched); a keyword naming an
  unrelated disease is listed, not added.
- Cell therapy: an intervention is a cell product when it is a biological, genetic, procedure,
  combination product or "other" whose text names one of our cell types or says stem/stromal/
  progenitor cells, cell therapy, cell transplantation or infusion of cells, or whose name ends
  in "cells"; a drug only when it names one of our cell types. Placebo/sham/vehicle and
  cell-free products (exosomes, secretome, conditioned medium, lysate) are not. The study is a
  cell therapy when any intervention is; `cell_therapy_reason` says which and why, or why not.
- Arms: each armGroup (or each intervention, when there are none) with role from its type. For
  an arm given a cell product, cell type, origin (autologous / allogeneic), tissue source,
  routes, dose (cells or cells/kg), number of administrations and interval come from the text of
  its cell interventions plus its own description; when the arm also gets other interventions
  (riluzole, tacrolimus), only the sentences of its description that mention cells count, so a
  co-treatment's route is not taken for the cells'. Each value is set only when the text states
  it unambiguously; a tissue is also set when the cell type is defined by one (bm-msc → bone
  marrow). Arms without a cell product get routes only.
- Sponsor and collaborators: names. Sites: facility, city and the ISO 3166 code of the country
  (django-countries' names plus the registry's spellings in rules.COUNTRY_ALIASES); a site whose
  country has no code is listed.
- Outcomes: primary and secondary outcomes with measure, description, time frame; "other
  pre-specified" outcomes are listed (we have no such kind).
- References: PMIDs and citations; hasResults → has_results.
"""

import json
import re
from typing import Any

from trials.choices import Registry
from trials.ingest.parsers import rules
from trials.ingest.parsers.ctgov_mapper import _StudyMapper, get_path, quote
from trials.ingest.parsers.errors import ImportFileError, read_text
from trials.ingest.parsers.study import (
    ARM_FIELDS,
    CtgovFile,
    MappedArm,
    MappedOutcome,
    MappedReference,
    MappedSite,
    MappedStudy,
)

__all__ = [
    "ARM_FIELDS",
    "CtgovFile",
    "MappedArm",
    "MappedOutcome",
    "MappedReference",
    "MappedSite",
    "MappedStudy",
    "map_study",
    "parse_file",
]

WHAT = "ClinicalTrials.gov API v2 JSON"


CLASSIC_JSON_KEYS = {"FullStudiesResponse", "StudyFieldsResponse", "FullStudy", "Study"}
UNSUPPORTED_CLASSIC = (
    "{what} from the classic ClinicalTrials.gov API, retired in 2024; download the study again "
    "as JSON from the current API (https://clinicaltrials.gov/api/v2/studies/NCT…)"
)
NCT_IN_JSON = re.compile(r'"nctId"\s*:\s*"(NCT\d{8})"')


def parse_file(data: bytes | str) -> CtgovFile:
    """Read one downloaded ClinicalTrials.gov file. Raises ImportFileError for bad input."""
    text = read_text(data, what=WHAT)
    head = text.lstrip()[:2000]
    if head.startswith("<"):
        if "<clinical_study" in head:
            return CtgovFile("classic-xml", unsupported=UNSUPPORTED_CLASSIC.format(what="XML"))
        raise ImportFileError(f"the file is XML or HTML, not {WHAT}")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(text, exc) from None
    except RecursionError:
        raise ImportFileError(f"the JSON is nested too deeply to be {WHAT}") from None

    if isinstance(document, dict) and CLASSIC_JSON_KEYS & document.keys():
        return CtgovFile(
            "classic-json",
            unsupported=UNSUPPORTED_CLASSIC.format(
                what=f"JSON ({', '.join(sorted(CLASSIC_JSON_KEYS & document.keys()))})"
            ),
        )
    if isinstance(document, dict) and "ProtocolSection" in document:
        return CtgovFile(
            "classic-json", unsupported=UNSUPPORTED_CLASSIC.format(what="JSON (ProtocolSection)")
        )
    if isinstance(document, dict) and "protocolSection" in document:
        studies = [document]
    elif isinstance(document, dict) and isinstance(document.get("studies"), list):
        studies = document["studies"]
    elif isinstance(document, list):
        studies = document
    else:
        found = (
            f"an object with keys {', '.join(sorted(map(str, document))) or '(none)'}"
            if isinstance(document, dict)
            else f"a JSON {type(document).__name__}"
        )
        raise ImportFileError(
            f"valid JSON but not a ClinicalTrials.gov study: expected an object with "
            f'"protocolSection", or a search response with "studies"; found {found}'
        )
    return CtgovFile("v2", tuple(map_study(s, record=i) for i, s in enumerate(studies, 1)))


def _json_error(text: str, exc: json.JSONDecodeError) -> ImportFileError:
    seen = NCT_IN_JSON.findall(text, 0, exc.pos)
    record = seen[-1] if seen else None
    if exc.pos >= len(text.rstrip()):
        return ImportFileError(
            f"the file ends before the JSON does (line {exc.lineno}): it looks truncated; "
            "download it again",
            record=record,
        )
    return ImportFileError(
        f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", record=record
    )


# A real v2 study is nested about ten levels deep. Far deeper input is refused before it is
# kept: a study nested 1,200 levels deep used to import, and every later json.dumps of its raw
# record (the registry-record admin page) then failed with RecursionError, a 500.
MAX_NESTING = 64


def nesting_depth(value: Any, *, limit: int = MAX_NESTING) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), counted without recursion
    and stopping once past `limit`."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def map_study(study: Any, *, record: str | int | None = None) -> MappedStudy:
    """Map one v2 study object. Raises ImportFileError when it is not a study, is nested
    unreasonably deep, or holds an unknown phase code; `record` names it in the message until
    its NCT id is known."""
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise ImportFileError(
            'not a ClinicalTrials.gov study: it has no "protocolSection" object', record=record
        )
    if nesting_depth(study) > MAX_NESTING:
        raise ImportFileError(
            f"the study is nested more than {MAX_NESTING} levels deep (a ClinicalTrials.gov "
            "study is about ten): refused as malformed",
            record=record,
        )
    nct_raw = get_path(study, "protocolSection.identificationModule.nctId")
    nct = rules.registry_id(Registry.NCT, nct_raw if isinstance(nct_raw, str) else "")
    if nct is None:
        raise ImportFileError(
            f"identificationModule.nctId is {quote(nct_raw)}, not an NCT number "
            "(NCT followed by 8 digits)",
            record=record,
        )
    return _StudyMapper(study, nct[1]).result()
