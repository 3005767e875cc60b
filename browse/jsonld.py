"""schema.org JSON-LD for a trial's page (a `MedicalTrial`), so search engines read what the
page says: name, identifiers, phase, status, conditions, sponsor and dates.

Built from the same published trial the page shows, and nothing else: no curation fields.
The JSON is escaped for an HTML <script> element (`<`, `>` and `&` as \\u escapes, as
Django's json_script does), so a title containing `</script>` cannot end the element.
"""

import json

from django.utils.safestring import mark_safe

from trials.choices import Phase, Status

# schema.org's MedicalStudyStatus values for ClinicalTrials.gov's statuses.
STATUS = {
    Status.NOT_YET_RECRUITING: "https://schema.org/NotYetRecruiting",
    Status.RECRUITING: "https://schema.org/Recruiting",
    Status.ENROLLING_BY_INVITATION: "https://schema.org/EnrollingByInvitation",
    Status.ACTIVE_NOT_RECRUITING: "https://schema.org/ActiveNotRecruiting",
    Status.SUSPENDED: "https://schema.org/Suspended",
    Status.TERMINATED: "https://schema.org/Terminated",
    Status.COMPLETED: "https://schema.org/Completed",
    Status.WITHDRAWN: "https://schema.org/Withdrawn",
}
ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def trial_jsonld(trial, url: str) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalTrial",
        "@id": url,
        "url": url,
        "name": trial.title,
        "identifier": [
            {
                "@type": "PropertyValue",
                "propertyID": r.get_registry_display(),
                "value": r.identifier,
            }
            for r in trial.registry_ids.all()
        ],
        "healthCondition": [
            {"@type": "MedicalCondition", "name": c.name}
            | (
                {"code": {"@type": "MedicalCode", "codeValue": c.mesh_id, "codingSystem": "MeSH"}}
                if c.mesh_id
                else {}
            )
            for c in trial.conditions.all()
        ],
    }
    if trial.acronym:
        data["alternateName"] = trial.acronym
    if trial.summary:
        data["description"] = trial.summary
    if trial.phase and trial.phase != Phase.NA:
        data["phase"] = trial.get_phase_display()
    if trial.status:
        data["status"] = STATUS.get(trial.status, trial.get_status_display())
    if trial.sponsor:
        data["sponsor"] = {"@type": "Organization", "name": trial.sponsor.name}
    # MedicalStudy has no date properties of its own; Event-style startDate/endDate are what
    # search engines read for studies (precision is kept: a month-precision date is YYYY-MM).
    if trial.start_date:
        data["startDate"] = _date(trial.start_date, trial.start_date_precision)
    if trial.completion_date:
        data["endDate"] = _date(trial.completion_date, trial.completion_date_precision)
    return data


def _date(value, precision) -> str:
    return {"year": f"{value:%Y}", "month": f"{value:%Y-%m}"}.get(precision, value.isoformat())


def script_json(data: dict) -> str:
    """JSON safe inside <script type="application/ld+json">…</script>."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(ESCAPES))
