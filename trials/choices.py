"""Closed vocabularies. Codes follow ClinicalTrials.gov where it has one (see VOCABULARY.md).

Every enum here is backed by a CheckConstraint on its field: choices alone do not stop
`save()`, `update()` or an importer from writing junk.
"""

from django.db import models


class ListingType(models.TextChoices):
    TRIAL = "trial", "Registered trial"
    STUDY = "study", "Published study (not registered)"
    CLINIC = "clinic", "Commercial clinic offering"


class Phase(models.TextChoices):
    EARLY_PHASE1 = "EARLY_PHASE1", "Early phase 1"
    PHASE1 = "PHASE1", "Phase 1"
    PHASE1_PHASE2 = "PHASE1_PHASE2", "Phase 1/2"
    PHASE2 = "PHASE2", "Phase 2"
    PHASE2_PHASE3 = "PHASE2_PHASE3", "Phase 2/3"
    PHASE3 = "PHASE3", "Phase 3"
    PHASE4 = "PHASE4", "Phase 4"
    NA = "NA", "Not applicable"

    @classmethod
    def matching(cls, code: str) -> list[str]:
        """Codes a filter for `code` should match: PHASE2 also means phase 1/2 and 2/3 trials
        (but PHASE1 does not mean early phase 1)."""
        return [
            value
            for value in cls.values
            if value == code or (value.startswith("PHASE") and code in value.split("_"))
        ]


class Status(models.TextChoices):
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING", "Not yet recruiting"
    RECRUITING = "RECRUITING", "Recruiting"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", "Enrolling by invitation"
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", "Active, not recruiting"
    SUSPENDED = "SUSPENDED", "Suspended"
    TERMINATED = "TERMINATED", "Terminated"
    COMPLETED = "COMPLETED", "Completed"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"
    UNKNOWN = "UNKNOWN", "Unknown status"


class StatusSource(models.TextChoices):
    """What a trial's status was confirmed by. A status is only true as of a date, and how much
    that date is worth depends on who wrote it."""

    REGISTRY_VERIFIED = "registry_verified", "registry record verified"
    REGISTRY_UPDATED = "registry_updated", "registry record last updated"
    PAGE_DATED = "page_dated", "source page dated"
    PAGE_READ = "page_read", "source page read"
    PAGE_UNDATED = "page_undated", "source page (undated)"


class Allocation(models.TextChoices):
    RANDOMIZED = "RANDOMIZED", "Randomised"
    NON_RANDOMIZED = "NON_RANDOMIZED", "Not randomised"
    NA = "NA", "Not applicable (single group)"


class Masking(models.TextChoices):
    NONE = "NONE", "None (open label)"
    SINGLE = "SINGLE", "Single blind"
    DOUBLE = "DOUBLE", "Double blind"
    TRIPLE = "TRIPLE", "Triple blind"
    QUADRUPLE = "QUADRUPLE", "Quadruple blind"


class Control(models.TextChoices):
    PLACEBO = "placebo", "Placebo or sham"
    ACTIVE = "active", "Active comparator (another treatment)"
    DOSE_COMPARISON = "dose_comparison", "Dose comparison"
    HISTORICAL = "historical", "Historical controls"
    NONE = "none", "No control group"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Workflow(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Origin(models.TextChoices):
    AUTOLOGOUS = "autologous", "Autologous (the patient's own cells)"
    ALLOGENEIC = "allogeneic", "Allogeneic (cells from a donor)"
    UNKNOWN = "unknown", "Not stated"


class TissueSource(models.TextChoices):
    BONE_MARROW = "bone_marrow", "Bone marrow"
    ADIPOSE = "adipose", "Adipose (fat) tissue"
    UMBILICAL_CORD = "umbilical_cord", "Umbilical cord (incl. Wharton's jelly)"
    PLACENTA = "placenta", "Placenta"
    PERIPHERAL_BLOOD = "peripheral_blood", "Peripheral blood"
    FETAL_BRAIN = "fetal_brain", "Fetal brain tissue"
    FETAL_SPINAL_CORD = "fetal_spinal_cord", "Fetal spinal cord tissue"
    IPSC = "ipsc", "Induced pluripotent stem cells"
    ESC = "esc", "Embryonic stem cells"
    OTHER = "other", "Other"


class ArmRole(models.TextChoices):
    EXPERIMENTAL = "experimental", "Experimental"
    PLACEBO = "placebo", "Placebo"
    SHAM = "sham", "Sham procedure"
    ACTIVE_COMPARATOR = "active_comparator", "Active comparator"
    NO_INTERVENTION = "no_intervention", "No intervention"


class DoseUnit(models.TextChoices):
    CELLS = "cells", "cells"
    CELLS_PER_KG = "cells_per_kg", "cells/kg body weight"


class OutcomeKind(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    SAFETY = "safety", "Safety"


class EndpointMet(models.TextChoices):
    YES = "yes", "Met"
    NO = "no", "Not met"
    NOT_REPORTED = "not_reported", "Not reported"


class Registry(models.TextChoices):
    NCT = "nct", "ClinicalTrials.gov"
    EUDRACT = "eudract", "EudraCT"
    EUCT = "euct", "EU CT (CTIS)"
    ISRCTN = "isrctn", "ISRCTN"
    OTHER = "other", "Other registry"


class PublicationRole(models.TextChoices):
    PRIMARY_RESULTS = "primary_results", "Primary results"
    PROTOCOL = "protocol", "Protocol"
    INTERIM = "interim", "Interim results"
    FOLLOW_UP = "follow_up", "Follow-up results"
    PREPRINT = "preprint", "Preprint"
    REVIEW = "review", "Review"
    # The registry's own reference types (ClinicalTrials.gov RESULT and BACKGROUND), kept as the
    # registry states them: "results" does not claim primary results, which it does not say.
    RESULTS = "results", "Results (as the registry lists it)"
    BACKGROUND = "background", "Background"
    OTHER = "other", "Other"


class SourceKind(models.TextChoices):
    REGISTRY = "registry", "Registry record"
    PAPER = "paper", "Paper or preprint"
    PRESS = "press", "News or press release"
    CLINIC_PAGE = "clinic_page", "Clinic's own web page"
    OTHER = "other", "Other"


def in_choices(field: str, enum: type[models.TextChoices], *, blank: bool = False) -> models.Q:
    """The condition 'field holds one of the enum's codes' (or is empty, when allowed)."""
    values = list(enum.values) + ([""] if blank else [])
    return models.Q(**{f"{field}__in": values})


class SyncKind(models.TextChoices):
    CTGOV = "ctgov", "ClinicalTrials.gov"
    PUBMED = "pubmed", "PubMed"


class SyncOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    PARTIAL = "partial", "Partial: some studies or pages failed"
    FAILED = "failed", "Failed"


class WorkflowAction(models.TextChoices):
    SUBMIT = "submit", "Submitted for review"
    PUBLISH = "publish", "Published"
    SEND_BACK = "send_back", "Sent back to draft"
    WITHDRAW = "withdraw", "Withdrawn"
    APPROVE_EDITS = "approve_edits", "Edits after publication approved"
    VERIFY = "verify", "Marked verified"
    REVERT = "revert", "Reverted to an earlier version"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    FIXED = "fixed", "Fixed"
    DISMISSED = "dismissed", "Dismissed (not a problem)"


# The shape of each registry's identifiers, checked on every RegistryId and used by the
# importers to find ids in free text.
REGISTRY_FORMATS = {
    # registry: (regex, what a curator is told)
    Registry.NCT: (r"^NCT[0-9]{8}$", "NCT followed by 8 digits, e.g. NCT03282760"),
    Registry.EUDRACT: (r"^[0-9]{4}-[0-9]{6}-[0-9]{2}$", "YYYY-NNNNNN-NN, e.g. 2015-004855-37"),
    Registry.EUCT: (r"^[0-9]{4}-5[0-9]{5}-[0-9]{2}-[0-9]{2}$", "YYYY-5NNNNN-NN-NN"),
    Registry.ISRCTN: (r"^ISRCTN[0-9]{8}$", "ISRCTN followed by 8 digits"),
}


class Sex(models.TextChoices):
    """Who may take part, as ClinicalTrials.gov's eligibilityModule.sex says it."""

    ALL = "ALL", "All sexes"
    FEMALE = "FEMALE", "Women only"
    MALE = "MALE", "Men only"
