"""Test data built through the services, as production data is.

All titles say "Synthetic test trial": nothing here pretends to be a real study.
"""

import factory

from trials import services
from trials.models import Phase, Status, Trial, Workflow


class TrialFactory(factory.Factory):
    class Meta:
        model = Trial

    title = factory.Sequence(lambda n: f"Synthetic test trial {n}")
    workflow = Workflow.PUBLISHED
    phase = Phase.PHASE1
    status = Status.COMPLETED
    conditions = ("ms",)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.trial_create(**kwargs)


def add_arm(trial, *, cell_type="bm-msc", routes=("intrathecal",), **fields):
    return services.intervention_add(
        trial=trial,
        label=fields.pop("label", f"Arm {trial.interventions.count() + 1}"),
        cell_type=cell_type,
        routes=routes,
        **fields,
    )


def full_trial(n: int = 0, **fields) -> Trial:
    """A published trial with every kind of part, to expose N+1 queries."""
    trial = TrialFactory(**fields)
    services.registry_id_add(trial=trial, registry="nct", identifier=f"NCT{90000000 + n:08d}")
    services.registry_id_add(trial=trial, registry="eudract", identifier=f"2020-{n:06d}-11")
    add_arm(trial, cell_type="bm-msc", routes=["intrathecal", "intravenous"], origin="autologous")
    add_arm(trial, cell_type="fetal-nsc", routes=["intracerebroventricular"], label="Cohort B")
    services.outcome_add(trial=trial, measure="Adverse events", time_frame="12 months")
    services.outcome_add(trial=trial, measure="EDSS change", kind="secondary")
    services.site_add(trial=trial, country="IT", city="Milan", name="Synthetic site")
    services.site_add(trial=trial, country="GB", city="Cambridge")
    services.source_add(trial=trial, title="Synthetic source", url="https://example.org/s")
    publication = services.publication_get_or_create(
        title=f"Synthetic publication {n}", doi=f"10.5555/synthetic.{n}", year=2020
    )
    services.publication_link(trial=trial, publication=publication, role="primary_results")
    sponsor = services.organisation_get_or_create(name=f"Synthetic sponsor {n}")
    trial.collaborators.add(services.organisation_get_or_create(name="Synthetic collaborator"))
    return services.trial_update(trial=trial, sponsor=sponsor)
