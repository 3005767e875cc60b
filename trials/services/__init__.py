"""Every write to the catalogue goes through these functions: the admin, commands, importers,
the public report form and tests. One module per subject; this package re-exports them all, so
callers write `services.trial_create(...)` and need not know where a function lives.

- recording: history (one revision per change) and optimistic locking;
- records: a trial, its parts, organisations and publications;
- vocabulary: terms and organisations, renamed, moved or deleted with the trials they touch;
- index: the browse index (search document and facet rows);
- workflow: review steps and revert;
- reports: problem reports from the public.
"""

from trials.services.index import browse_index_changed, trials_reindex
from trials.services.recording import (
    CURATION_FIELDS,
    StaleEditError,
    change_record,
    trial_changed,
    trial_check_version,
    trial_claim_version,
    trial_snapshot,
)
from trials.services.records import (
    intervention_add,
    organisation_get_or_create,
    outcome_add,
    publication_get_or_create,
    publication_link,
    registry_id_add,
    site_add,
    source_add,
    trial_create,
    trial_replace_parts,
    trial_update,
    trials_delete,
)
from trials.services.reports import (
    REPORT_PERMISSION,
    problem_report_create,
    problem_report_dismiss,
    problem_report_handle,
    problem_report_mark_fixed,
)
from trials.services.workflow import (
    PAST_TENSE,
    PUBLISH_PERMISSION,
    TRANSITIONS,
    WORKFLOW_STEPS,
    TransitionError,
    WorkflowStep,
    steps_for,
    take_step,
    trial_approve_edits,
    trial_mark_verified,
    trial_publish,
    trial_revert,
    trial_send_back,
    trial_submit,
    trial_transition,
    trial_withdraw,
)

__all__ = [
    "CURATION_FIELDS",
    "PAST_TENSE",
    "PUBLISH_PERMISSION",
    "REPORT_PERMISSION",
    "TRANSITIONS",
    "WORKFLOW_STEPS",
    "StaleEditError",
    "TransitionError",
    "WorkflowStep",
    "browse_index_changed",
    "change_record",
    "intervention_add",
    "organisation_get_or_create",
    "outcome_add",
    "problem_report_create",
    "problem_report_dismiss",
    "problem_report_handle",
    "problem_report_mark_fixed",
    "publication_get_or_create",
    "publication_link",
    "registry_id_add",
    "site_add",
    "source_add",
    "steps_for",
    "take_step",
    "trial_approve_edits",
    "trial_changed",
    "trial_check_version",
    "trial_claim_version",
    "trial_create",
    "trial_mark_verified",
    "trial_publish",
    "trial_replace_parts",
    "trial_revert",
    "trial_send_back",
    "trial_snapshot",
    "trial_submit",
    "trial_transition",
    "trial_update",
    "trial_withdraw",
    "trials_delete",
    "trials_reindex",
]
