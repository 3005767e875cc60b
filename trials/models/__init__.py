from trials.choices import (
    Allocation,
    ArmRole,
    Control,
    DatePrecision,
    DoseUnit,
    EndpointMet,
    ListingType,
    Masking,
    Origin,
    OutcomeKind,
    Phase,
    PublicationRole,
    Registry,
    ReportStatus,
    Sex,
    SourceKind,
    Status,
    StatusSource,
    TissueSource,
    Workflow,
    WorkflowAction,
)
from trials.models.curation import ProblemReport, WorkflowEvent
from trials.models.evidence import Publication, Source, TrialPublication
from trials.models.imports import RegistryRecord
from trials.models.index import BrowseIndexState, FacetValue
from trials.models.organisations import Organisation
from trials.models.parts import Intervention, Outcome, RegistryId, Site
from trials.models.products import CellProduct
from trials.models.trial import Trial
from trials.models.vocab import CellType, Condition, Route

__all__ = [
    "Allocation",
    "ArmRole",
    "BrowseIndexState",
    "CellProduct",
    "CellType",
    "Condition",
    "Control",
    "DatePrecision",
    "DoseUnit",
    "EndpointMet",
    "FacetValue",
    "Intervention",
    "ListingType",
    "Masking",
    "Organisation",
    "Origin",
    "Outcome",
    "OutcomeKind",
    "Phase",
    "ProblemReport",
    "Publication",
    "PublicationRole",
    "Registry",
    "RegistryId",
    "RegistryRecord",
    "ReportStatus",
    "Route",
    "Sex",
    "Site",
    "Source",
    "SourceKind",
    "Status",
    "StatusSource",
    "TissueSource",
    "Trial",
    "TrialPublication",
    "Workflow",
    "WorkflowAction",
    "WorkflowEvent",
]
