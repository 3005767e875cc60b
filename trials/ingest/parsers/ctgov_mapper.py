"""One ClinicalTrials.gov study (API v2 JSON) mapped to our fields, module by module of the
registry's record; anything it cannot map is noted, never guessed (see ctgov.py for the rules)."""

import json
import re
from typing import Any

from trials.choices import OutcomeKind, Registry, StatusSource
from trials.ingest.parsers import doses, eligibility, mapping, rules
from trials.ingest.parsers.errors import ImportFileError
from trials.ingest.parsers.study import (
    MappedArm,
    MappedOutcome,
    MappedReference,
    MappedSite,
    MappedStudy,
)

TITLE_MAX = 400  # Trial.title
ACRONYM_MAX = 60  # Trial.acronym


def get_path(data: Any, path: str, kind: type | tuple[type, ...] = object) -> Any:
    """The value at a dotted path, or None when a step is missing or the value is not `kind`."""
    for step in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data if isinstance(data, kind) else None


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def quote(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class _StudyMapper:
    """Collects the mapped values and the unmapped notes for one study."""

    def __init__(self, study: dict, nct_id: str):
        self.study = study
        self.ps = study["protocolSection"]
        self.nct_id = nct_id
        self.fields: dict[str, Any] = {}
        self.unmapped: list[str] = []

    def note(self, path: str, value: Any, why: str) -> None:
        self.unmapped.append(f"{path}: {quote(value)} — {why}")

    def get(self, path: str, kind: type | tuple[type, ...] = object) -> Any:
        return get_path(self.ps, path, kind)

    def result(self) -> MappedStudy:
        # In JSON order, so the unmapped notes read top to bottom like the record.
        self.identity()
        registry_ids = self.registry_ids()
        self.design()
        self.dates()
        conditions = self.conditions()
        interventions = self.interventions()
        arms = self.arms(interventions)
        outcomes = self.outcomes()
        sites = self.sites()
        references = self.references()
        self.eligibility()
        if isinstance(self.study.get("hasResults"), bool):
            self.fields["has_results"] = self.study["hasResults"]
        cell = [iv for iv in interventions if iv["signal"]]
        if cell:
            reason = "; ".join(f"{iv['display']}: {iv['signal']}" for iv in cell)
        elif interventions:
            listed = ", ".join(iv["display"] for iv in interventions)
            reason = f"no intervention is a cell product ({listed})"
        else:
            reason = "the study lists no interventions"
        collaborators = self.get("sponsorCollaboratorsModule.collaborators", list) or []
        return MappedStudy(
            nct_id=self.nct_id,
            fields=self.fields,
            conditions=tuple(conditions),
            registry_ids=tuple(registry_ids),
            sponsor=_text(self.get("sponsorCollaboratorsModule.leadSponsor.name")),
            collaborators=tuple(
                name for c in collaborators if (name := _text(get_path(c, "name")))
            ),
            arms=tuple(arms),
            outcomes=tuple(outcomes),
            sites=tuple(sites),
            pmids=tuple(dict.fromkeys(r.pmid for r in references if r.pmid)),
            references=tuple(references),
            is_cell_therapy=bool(cell),
            cell_therapy_reason=reason,
            unmapped=tuple(self.unmapped),
            raw=self.study,
        )

    def eligibility(self) -> None:
        """Ages and sex from eligibilityModule; scales from the criteria text where it states
        them plainly (parsers/eligibility.py); the other scale lines go to the curator."""
        module = "eligibilityModule"
        for key, field_name in (("minimumAge", "age_min_months"), ("maximumAge", "age_max_months")):
            raw = _text(self.get(f"{module}.{key}"))
            months = eligibility.age_months(raw)
            if months is not None:
                self.fields[field_name] = months
            elif raw:
                self.note(f"{module}.{key}", raw, "not an age we can read")
        if (sex := _text(self.get(f"{module}.sex")).upper()) in eligibility.SEXES:
            self.fields["sex"] = sex
        # Line breaks kept (not _text): the criteria are read line by line.
        values, notes = eligibility.criteria_values(
            self.get(f"{module}.eligibilityCriteria", str) or ""
        )
        self.fields |= values
        for line in notes:
            self.note(f"{module}.eligibilityCriteria", line, "not a plain range: check by hand")
        if notes:
            self.fields["eligibility_unmapped"] = "\n".join(notes)

    # --- identity, design, dates -------------------------------------------------------------

    def identity(self) -> None:
        official = _text(self.get("identificationModule.officialTitle"))
        brief = _text(self.get("identificationModule.briefTitle"))
        if official and len(official) > TITLE_MAX:
            self.note(
                "identificationModule.officialTitle",
                official[:60] + "…",
                f"longer than {TITLE_MAX} characters; the brief title is used",
            )
            official = ""
        title = official or brief
        if title and len(title) <= TITLE_MAX:
            self.fields["title"] = title
        elif not title:
            self.note("identificationModule.briefTitle", None, "no title")
        else:
            self.note("identificationModule.briefTitle", title[:60] + "…", "too long")
        acronym = _text(self.get("identificationModule.acronym"))
        if len(acronym) > ACRONYM_MAX:
            self.note("identificationModule.acronym", acronym, "too long for an acronym")
        elif acronym:
            self.fields["acronym"] = acronym

    def registry_ids(self) -> list[tuple[str, str]]:
        found = [(str(Registry.NCT), self.nct_id)]
        for info in self.get("identificationModule.secondaryIdInfos", list) or []:
            if not isinstance(info, dict):
                continue
            hit = rules.secondary_registry_id(info)
            if hit is None:
                kind = " ".join(str(info.get(k)) for k in ("type", "domain") if info.get(k))
                self.note(
                    "identificationModule.secondaryIdInfos",
                    info.get("id"),
                    f"({kind}) not a registry id we record" if kind else "not a registry id",
                )
            elif hit not in found:
                found.append(hit)
        return found

    def design(self) -> None:
        phases = self.get("designModule.phases")
        if phases is not None:
            if not isinstance(phases, list):
                raise ImportFileError(
                    f"designModule.phases is {quote(phases)}, not a list of phase codes",
                    record=self.nct_id,
                )
            try:
                phase = rules.map_phase(phases)
            except rules.UnknownCode as exc:
                raise ImportFileError(f"designModule.phases: {exc}", record=self.nct_id) from None
            if phase:
                self.fields["phase"] = phase
        for path, name, table in (
            ("statusModule.overallStatus", "status", rules.STATUS),
            ("designModule.designInfo.allocation", "allocation", rules.ALLOCATION),
            ("designModule.designInfo.maskingInfo.masking", "masking", rules.MASKING),
        ):
            value = self.get(path)
            if value is None:
                continue
            code = rules.map_code(table, value)
            if code is None:
                self.note(path, value, f"no matching {name}")
            else:
                self.fields[name] = code
        self.status_verified()
        arm_types = [
            str(arm.get("type"))
            for arm in self.get("armsInterventionsModule.armGroups", list) or []
            if isinstance(arm, dict)
        ]
        control = rules.map_control(arm_types)
        if control:
            self.fields["control"] = control
        count = self.get("designModule.enrollmentInfo.count")
        kind = self.get("designModule.enrollmentInfo.type")
        if count is not None:
            target = {"ESTIMATED": "target_enrollment", "ACTUAL": "actual_enrollment"}.get(kind)
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                self.note("designModule.enrollmentInfo.count", count, "not a number of people")
            elif target is None:
                self.note(
                    "designModule.enrollmentInfo.type",
                    kind,
                    f"enrollment {count} is neither ESTIMATED nor ACTUAL",
                )
            else:
                self.fields[target] = count

    def status_verified(self) -> None:
        """The month the registry last verified the status ("2024-10"): a status is only true
        as of a date, and this is the registry's own (issue 9)."""
        value = self.get("statusModule.statusVerifiedDate")
        if value is None or "status" not in self.fields:
            return
        parsed = rules.parse_date(value)
        if parsed is None:
            self.note("statusModule.statusVerifiedDate", value, "not a date (YYYY-MM)")
            return
        self.fields["status_checked"], self.fields["status_checked_precision"] = parsed
        self.fields["status_source"] = str(StatusSource.REGISTRY_VERIFIED)

    def dates(self) -> None:
        order = [
            ("start_date", "statusModule.startDateStruct.date"),
            ("primary_completion_date", "statusModule.primaryCompletionDateStruct.date"),
            ("completion_date", "statusModule.completionDateStruct.date"),
        ]
        for name, path in order:
            value = self.get(path)
            if value is None:
                continue
            parsed = rules.parse_date(value)
            if parsed is None:
                self.note(path, value, "not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
                continue
            self.fields[name], self.fields[f"{name}_precision"] = parsed
        # The Trial constraints: no completion before the start, nor before primary completion.
        for later, earlier in (
            ("primary_completion_date", "start_date"),
            ("completion_date", "start_date"),
            ("completion_date", "primary_completion_date"),
        ):
            if (
                later in self.fields
                and earlier in self.fields
                and self.fields[later] < self.fields[earlier]
            ):
                path = dict(order)[later]
                self.note(
                    path,
                    self.get(path),
                    f"before the {earlier.replace('_', ' ')} "
                    f"{self.fields[earlier].isoformat()} as stored; left empty",
                )
                del self.fields[later], self.fields[f"{later}_precision"]

    # --- conditions ------------------------------------------------------------------------------

    def conditions(self) -> list[str]:
        names = [c for c in self.get("conditionsModule.conditions", list) or [] if c]
        slugs, unmatched = mapping.match_conditions(names)
        for text in unmatched:
            self.note("conditionsModule.conditions", text, "no matching condition")
        keywords = [k for k in self.get("conditionsModule.keywords", list) or [] if k]
        for keyword in keywords:
            for slug in mapping.conditions_in(str(keyword)):
                related = slug in slugs or any(
                    s in mapping.ancestors(slug, mapping.CONDITION_PARENTS) for s in slugs
                )
                if not slugs or related:
                    slugs = mapping.most_specific([*slugs, slug], mapping.CONDITION_PARENTS)
                elif not any(
                    slug in mapping.ancestors(s, mapping.CONDITION_PARENTS) for s in slugs
                ):
                    self.note(
                        "conditionsModule.keywords",
                        keyword,
                        f"names {slug}, which the conditions do not; left for the curator",
                    )
        return slugs

    # --- interventions and arms ----------------------------------------------------------------

    def interventions(self) -> list[dict]:
        found = []
        for iv in self.get("armsInterventionsModule.interventions", list) or []:
            if not isinstance(iv, dict):
                continue
            kind = str(iv.get("type") or "")
            name = _text(iv.get("name"))
            others = [_text(o) for o in iv.get("otherNames") or [] if isinstance(o, str)]
            description = (iv.get("description") or "").strip()
            text = "\n".join([name, *others, description])
            found.append(
                {
                    "kind": kind,
                    "name": name,
                    "display": f"{kind.replace('_', ' ').capitalize()}: {name}",
                    "description": description,
                    "text": text,
                    "arm_labels": [_text(a) for a in iv.get("armGroupLabels") or []],
                    "signal": mapping.cell_therapy_signal(kind, name, text),
                }
            )
        return found

    def arms(self, interventions: list[dict]) -> list[MappedArm]:
        groups = self.get("armsInterventionsModule.armGroups", list) or []
        groups = [g for g in groups if isinstance(g, dict)]
        arms = []
        linked_any: set[int] = set()
        if groups:
            for position, group in enumerate(groups):
                label = _text(group.get("label"))
                names = {
                    _text(n).split(": ", 1)[-1].casefold()
                    for n in group.get("interventionNames") or []
                    if isinstance(n, str)
                }
                linked = [
                    iv
                    for iv in interventions
                    if label in iv["arm_labels"] or iv["name"].casefold() in names
                ]
                linked_any.update(id(iv) for iv in linked)
                path = f"armsInterventionsModule.armGroups[{position}]"
                arms.append(
                    self.arm(
                        path,
                        label,
                        group.get("type"),
                        (group.get("description") or "").strip(),
                        linked,
                        position,
                    )
                )
            for iv in interventions:
                if iv["signal"] and id(iv) not in linked_any:
                    self.note(
                        "armsInterventionsModule.interventions",
                        iv["display"],
                        "a cell product that no arm group lists; left for the curator",
                    )
        else:
            for position, iv in enumerate(interventions):
                path = f"armsInterventionsModule.interventions[{position}]"
                arms.append(self.arm(path, iv["name"], None, "", [iv], position))
        return arms

    def arm(self, path, label, arm_type, description, linked, position) -> MappedArm:
        role = rules.map_code(rules.ARM_ROLE, arm_type) if arm_type else None
        if arm_type and role is None:
            self.note(f"{path}.type", arm_type, "no matching arm role")
        full_description = "\n\n".join(
            [description] + [f"{iv['display']}: {iv['description']}" for iv in linked]
        ).strip()
        cell = [iv for iv in linked if iv["signal"]]
        if not cell:
            text = "\n".join([label, description, *(iv["text"] for iv in linked)])
            return MappedArm(
                label=label,
                role=role or "",
                description=full_description,
                routes=tuple(mapping.match_routes(text)),
                position=position,
            )
        own = description
        if len(cell) < len(linked):
            # Other interventions too (a drug, a conditioning regimen): only the sentences of
            # the arm's own description that are about the cells count.
            names = [re.escape(iv["name"]) for iv in cell if iv["name"]]
            about_cells = re.compile(r"\bcells?\b" + "".join(f"|{n}" for n in names), re.I)
            own = " ".join(
                s
                for s in re.split(r"(?<=[.;])\s+|\n+", description)
                if about_cells.search(s) or mapping.cell_type_matches(s)
            )
        text = "\n".join([label, own, *(iv["text"] for iv in cell)])
        where = f'{path} "{label}"'

        candidates = mapping.cell_type_candidates(text)
        cell_type = mapping.match_cell_type(text)
        if cell_type is None:
            why = (
                f"names {', '.join(candidates)} with no common term; left for the curator"
                if candidates
                else "a cell product, but no cell type of our vocabulary is named"
            )
            self.note(where, ", ".join(iv["display"] for iv in cell), why)
        origins = mapping.origin_candidates(text)
        if len(origins) > 1:
            self.note(where, " and ".join(origins), "both origins are mentioned")
        tissue = mapping.match_tissue_source(text, cell_type)
        if tissue is None and len(mapping.tissue_candidates(text)) > 1:
            self.note(where, ", ".join(mapping.tissue_candidates(text)), "several tissue sources")
        dose = doses.parse_dose(text)
        if dose is None and doses.find_doses(text):
            self.note(
                where,
                "; ".join(d.text for d in doses.find_doses(text)),
                "doses in cells and in cells/kg",
            )
        return MappedArm(
            label=label,
            role=role or "",
            description=full_description,
            cell_type=cell_type,
            origin=mapping.match_origin(text) or "",
            tissue_source=tissue or "",
            routes=tuple(mapping.match_routes(text)),
            dose_min=dose.min if dose else None,
            dose_max=dose.max if dose else None,
            dose_unit=dose.unit if dose else "",
            administrations=doses.parse_administrations(text),
            interval=doses.parse_interval(text),
            position=position,
            is_cell_therapy=True,
        )

    # --- outcomes, sites, references ---------------------------------------------------------

    def outcomes(self) -> list[MappedOutcome]:
        found: list[MappedOutcome] = []
        for key, kind in (
            ("primaryOutcomes", OutcomeKind.PRIMARY),
            ("secondaryOutcomes", OutcomeKind.SECONDARY),
        ):
            for i, item in enumerate(self.get(f"outcomesModule.{key}", list) or []):
                measure = _text(get_path(item, "measure"))
                if not measure:
                    self.note(f"outcomesModule.{key}[{i}]", item, "an outcome with no measure")
                    continue
                found.append(
                    MappedOutcome(
                        kind=str(kind),
                        measure=measure,
                        time_frame=_text(get_path(item, "timeFrame")),
                        description=(get_path(item, "description", str) or "").strip(),
                        position=len(found),
                    )
                )
        for i, item in enumerate(self.get("outcomesModule.otherOutcomes", list) or []):
            self.note(
                f"outcomesModule.otherOutcomes[{i}]",
                _text(get_path(item, "measure")),
                "an other pre-specified outcome; we record primary and secondary only",
            )
        primary = [o.time_frame for o in found if o.kind == OutcomeKind.PRIMARY]
        months = [m for m in map(rules.follow_up_months, primary) if m is not None]
        if months:
            self.fields["follow_up_months"] = max(months)
        elif primary:
            given = [t for t in dict.fromkeys(primary) if t]
            stated = any(rules.durations_in_months(t) for t in given)
            self.note(
                "outcomesModule.primaryOutcomes[].timeFrame",
                "; ".join(given) if given else None,
                "follow-up left empty: "
                + ("shorter than half a month" if stated else "no duration stated"),
            )
        return found

    def sites(self) -> list[MappedSite]:
        found = []
        for i, loc in enumerate(self.get("contactsLocationsModule.locations", list) or []):
            if not isinstance(loc, dict):
                continue
            code = rules.country_code(loc.get("country"))
            if code is None:
                self.note(
                    f"contactsLocationsModule.locations[{i}].country",
                    loc.get("country"),
                    "no ISO 3166 country code; site left out",
                )
                continue
            found.append(MappedSite(_text(loc.get("facility")), _text(loc.get("city")), code))
        return found

    def references(self) -> list[MappedReference]:
        found = []
        for ref in self.get("referencesModule.references", list) or []:
            if not isinstance(ref, dict):
                continue
            found.append(
                MappedReference(
                    pmid=rules.valid_pmid(str(ref.get("pmid") or "")) or "",
                    citation=_text(ref.get("citation")),
                    type=str(ref.get("type") or ""),
                )
            )
        return found
