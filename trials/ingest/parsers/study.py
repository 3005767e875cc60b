"""What the ClinicalTrials.gov parser hands back: plain records, one per study, with the fields
our model has and the notes of what could not be mapped."""

from dataclasses import dataclass, field
from typing import Any

# The Intervention fields an arm is mapped to (importers compare and write these).
ARM_FIELDS = (
    "label",
    "role",
    "description",
    "cell_type",
    "origin",
    "tissue_source",
    "routes",
    "dose_min",
    "dose_max",
    "dose_unit",
    "administrations",
    "interval",
)


@dataclass(frozen=True)
class MappedArm:
    """One arm, keyed by Intervention field names (cell_type and routes as vocabulary slugs)."""

    label: str
    role: str = ""  # an ArmRole value; "" when the registry's arm type has none
    description: str = ""
    cell_type: str | None = None
    origin: str = ""
    tissue_source: str = ""
    routes: tuple[str, ...] = ()
    dose_min: int | None = None
    dose_max: int | None = None
    dose_unit: str = ""
    administrations: int | None = None
    interval: str = ""
    position: int = 0
    is_cell_therapy: bool = False  # not a model field: the arm is given a cell product

    def as_fields(self) -> dict[str, Any]:
        """Intervention field names → values (role left out when the registry gave none)."""
        values = {name: getattr(self, name) for name in (*ARM_FIELDS, "position")}
        if not self.role:
            del values["role"]
        values["routes"] = list(self.routes)
        return values


@dataclass(frozen=True)
class MappedOutcome:
    kind: str  # an OutcomeKind value
    measure: str
    time_frame: str = ""
    description: str = ""  # the registry's; Outcome has no field for it
    position: int = 0


@dataclass(frozen=True)
class MappedSite:
    name: str
    city: str
    country: str  # ISO 3166 alpha-2


@dataclass(frozen=True)
class MappedReference:
    pmid: str  # "" when the reference has none
    citation: str
    type: str  # the registry's: BACKGROUND, RESULT, DERIVED


@dataclass(frozen=True)
class MappedStudy:
    nct_id: str
    fields: dict[str, Any]  # Trial field name → value, only for values that mapped
    conditions: tuple[str, ...] = ()  # condition slugs
    registry_ids: tuple[tuple[str, str], ...] = ()  # (Registry value, identifier), NCT first
    sponsor: str = ""
    collaborators: tuple[str, ...] = ()
    arms: tuple[MappedArm, ...] = ()
    outcomes: tuple[MappedOutcome, ...] = ()
    sites: tuple[MappedSite, ...] = ()
    pmids: tuple[str, ...] = ()
    references: tuple[MappedReference, ...] = ()
    is_cell_therapy: bool = False
    cell_therapy_reason: str = ""
    unmapped: tuple[str, ...] = ()
    raw: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class CtgovFile:
    format: str  # "v2", "classic-json" or "classic-xml"
    studies: tuple[MappedStudy, ...] = ()
    unsupported: str = ""  # why the file was not read, for a format we do not read

    @property
    def supported(self) -> bool:
        return not self.unsupported
