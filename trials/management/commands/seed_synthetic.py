"""Generate SYNTHETIC trials for benchmarks. Never part of the demo catalogue.

Every generated record says so: slug `synthetic-N`, title "Synthetic benchmark trial N", a
summary stating it is not a real trial, and registry ids in the `other` registry (SYNTH-…), so
no real NCT number is ever invented.
"""

import datetime
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from trials import services
from trials.choices import Origin, Phase, Status, TissueSource, Workflow
from trials.models import (
    CellType,
    Condition,
    Intervention,
    Outcome,
    RegistryId,
    Route,
    Site,
    Trial,
)

SLUG_PREFIX = "synthetic-"
COUNTRIES = ["IT", "GB", "US", "DE", "FR", "ES", "PL", "KR", "CN", "IR", "BR", "CH", "BG", "IN"]
WORDS = [
    "mesenchymal",
    "neural",
    "stem",
    "cells",
    "intrathecal",
    "progressive",
    "relapsing",
    "amyotrophic",
    "safety",
    "efficacy",
    "dose",
    "escalation",
    "randomised",
    "open-label",
    "autologous",
    "allogeneic",
    "transplantation",
    "multiple",
    "sclerosis",
    "lateral",
]


class Command(BaseCommand):
    help = (
        "Create N synthetic (clearly labelled, fake) trials for benchmarks; --clear removes them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--trials", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--clear", action="store_true", help="Delete synthetic trials first.")

    def handle(self, *args, trials, seed, clear, **options):
        if clear:
            deleted = self.clear()
            self.stdout.write(f"Deleted {deleted} synthetic trial(s).")
        if trials <= 0:
            return
        if Trial.objects.filter(slug__startswith=SLUG_PREFIX).exists() and not clear:
            raise CommandError("Synthetic trials already exist; use --clear to replace them.")
        created = self.seed(trials, random.Random(seed))
        services.refresh_planner_statistics()
        self.stdout.write(f"Created {created} SYNTHETIC trial(s) (slugs {SLUG_PREFIX}1…).")

    @transaction.atomic
    def clear(self) -> int:
        synthetic = Trial.objects.filter(slug__startswith=SLUG_PREFIX)
        Intervention.routes.through.objects.filter(intervention__trial__in=synthetic).delete()
        return services.trials_delete(queryset=synthetic)

    @transaction.atomic
    def seed(self, n: int, rng: random.Random) -> int:
        conditions = list(Condition.objects.all())
        cell_types = list(CellType.objects.all())
        routes = list(Route.objects.all())
        phases = list(Phase.values)
        statuses = list(Status.values)
        trials = []
        for i in range(1, n + 1):
            start = datetime.date(rng.randint(2000, 2025), rng.randint(1, 12), 1)
            trials.append(
                Trial(
                    slug=f"{SLUG_PREFIX}{i}",
                    title=f"Synthetic benchmark trial {i}: " + " ".join(rng.sample(WORDS, 5)),
                    acronym=f"SYN{i}",
                    summary="SYNTHETIC record generated for benchmarks; not a real trial. "
                    + " ".join(rng.sample(WORDS, 12)),
                    phase=rng.choice(phases),
                    status=rng.choice(statuses),
                    target_enrollment=rng.randint(6, 400),
                    actual_enrollment=rng.choice([None, rng.randint(5, 300)]),
                    follow_up_months=rng.choice([None, 6, 12, 24, 48]),
                    start_date=start,
                    start_date_precision="month",
                    has_results=rng.random() < 0.4,
                    workflow=Workflow.PUBLISHED if rng.random() < 0.9 else Workflow.DRAFT,
                    curator_notes="Synthetic benchmark data.",
                )
            )
        trials = Trial.objects.bulk_create(trials, batch_size=1000)

        through = Trial.conditions.through
        through.objects.bulk_create(
            [
                through(trial_id=trial.pk, condition_id=condition.pk)
                for trial in trials
                for condition in rng.sample(conditions, rng.choice([1, 1, 2]))
            ],
            batch_size=2000,
        )
        arms = [
            Intervention(
                trial_id=trial.pk,
                label=f"Synthetic arm {k + 1}",
                cell_type=rng.choice(cell_types),
                origin=rng.choice(list(Origin.values)),
                tissue_source=rng.choice(list(TissueSource.values)),
                dose_min=1_000_000,
                dose_max=rng.choice([1_000_000, 10_000_000]),
                dose_unit="cells",
                position=k,
            )
            for trial in trials
            for k in range(rng.choice([1, 1, 2]))
        ]
        arms = Intervention.objects.bulk_create(arms, batch_size=1000)
        route_through = Intervention.routes.through
        route_through.objects.bulk_create(
            [
                route_through(intervention_id=arm.pk, route_id=route.pk)
                for arm in arms
                for route in rng.sample(routes, rng.choice([1, 1, 2]))
            ],
            batch_size=2000,
        )
        Site.objects.bulk_create(
            [
                Site(trial_id=trial.pk, country=country, city="Synthetic city")
                for trial in trials
                for country in rng.sample(COUNTRIES, rng.choice([1, 1, 2, 3]))
            ],
            batch_size=2000,
        )
        RegistryId.objects.bulk_create(
            [
                RegistryId(trial_id=trial.pk, registry="other", identifier=f"SYNTH-{trial.slug}")
                for trial in trials
            ],
            batch_size=2000,
        )
        Outcome.objects.bulk_create(
            [
                Outcome(
                    trial_id=trial.pk,
                    kind="primary",
                    measure="Synthetic adverse events",
                    time_frame="12 months",
                )
                for trial in trials
            ],
            batch_size=2000,
        )
        services.trials_reindex(trial_ids=[trial.pk for trial in trials])
        return len(trials)
