"""What we know about a trial and what is missing: computed from the record, never typed in.

The trial page's "What we know and what is missing" box counts which key facts are confirmed
(registry id, enrolment, phase, route, dose, follow-up, results, a peer-reviewed results paper,
safety counts) and names the missing ones in plain words. Pure functions over a trial whose
parts are prefetched (TrialQuerySet.for_detail), so the box costs no query; the browse index
uses `has_peer_reviewed_publication` for the `has_publication` filter.
"""

import datetime
from dataclasses import dataclass

from trials import formatting
from trials.choices import PublicationRole

# A paper that reports the trial's results (not its protocol, a review or a preprint); RESULTS
# is a registry's "reports results of this study", as the registry sync links it.
RESULT_ROLES = {
    PublicationRole.PRIMARY_RESULTS,
    PublicationRole.INTERIM,
    PublicationRole.FOLLOW_UP,
    PublicationRole.RESULTS,
}
# Preprint servers are not peer-reviewed journals, whatever role a curator gave the link.
PREPRINT_SERVERS = {"medrxiv", "biorxiv", "research square", "ssrn", "preprints.org"}


def is_peer_reviewed_result(role: str, journal: str) -> bool:
    """A results paper in a named journal: a paper whose journal no source gave is not counted,
    because we cannot say it was peer-reviewed."""
    name = (journal or "").strip().lower()
    return role in RESULT_ROLES and bool(name) and name not in PREPRINT_SERVERS


def has_peer_reviewed_publication(links) -> bool:
    """`links`: the trial's TrialPublication rows with their publications."""
    return any(is_peer_reviewed_result(link.role, link.publication.journal) for link in links)


@dataclass(frozen=True)
class KeyFact:
    name: str  # what the fact is, e.g. "Registry id"
    known: bool
    missing: str  # in plain words, when it is not known


@dataclass(frozen=True)
class Completeness:
    facts: list[KeyFact]
    checked: str  # "checked Nov 2026" when a curator verified the record, else ""

    @property
    def known(self) -> list[KeyFact]:
        return [fact for fact in self.facts if fact.known]

    @property
    def missing(self) -> list[KeyFact]:
        return [fact for fact in self.facts if not fact.known]

    @property
    def summary(self) -> str:
        return f"{len(self.known)} of {len(self.facts)} key facts confirmed by our sources"

    def missing_sentences(self) -> list[str]:
        suffix = f" ({self.checked})" if self.checked else ""
        return [f"{fact.missing}{suffix}" for fact in self.missing]


def key_facts(trial, *, links=None) -> Completeness:
    """The box for one trial. `links`: its publication links (default: the prefetched
    `trial.publication_links`)."""
    links = trial.publication_links if links is None else links
    arms = list(trial.interventions.all())
    cell_arms = [arm for arm in arms if arm.cell_type_id or arm.role == "experimental"]
    facts = [
        KeyFact("Registry id", bool(trial.registry_ids.all()), "No registry id found"),
        KeyFact(
            "Number of participants",
            trial.actual_enrollment is not None or trial.target_enrollment is not None,
            "Number of participants not found",
        ),
        KeyFact("Phase", bool(trial.phase), "Phase not stated"),
        KeyFact(
            "Route",
            any(arm.routes.all() for arm in cell_arms),
            "How the cells are given (route) not stated",
        ),
        KeyFact(
            "Dose",
            any(arm.dose_min is not None or arm.dose_max is not None for arm in cell_arms),
            "Dose (number of cells) not stated",
        ),
        KeyFact("Follow-up", trial.follow_up_months is not None, "Length of follow-up not stated"),
        KeyFact(
            "Results",
            trial.has_results or bool(trial.results_summary),
            "No published results found",
        ),
        KeyFact(
            "Peer-reviewed results paper",
            has_peer_reviewed_publication(links),
            "No peer-reviewed paper of the results found",
        ),
        KeyFact(
            "Safety counts",
            any(
                value is not None
                for value in (
                    trial.serious_adverse_events,
                    trial.treatment_related_saes,
                    trial.deaths,
                )
            ),
            "No counts of serious adverse events or deaths found",
        ),
    ]
    return Completeness(facts=facts, checked=checked_words(trial.last_verified))


def checked_words(verified: datetime.date | None) -> str:
    """'checked Nov 2026' from the date a curator last verified the record against sources."""
    return f"checked {formatting.short_date(verified, 'month')}" if verified else ""
