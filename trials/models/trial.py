"""The trial record itself; its parts are in trials.models.parts."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.text import slugify

from trials import completeness, formatting
from trials.choices import (
    Allocation,
    Control,
    DatePrecision,
    ListingType,
    Masking,
    Origin,
    Phase,
    Status,
    StatusSource,
    Workflow,
    in_choices,
)
from trials.constraints import BatchedCheckValidation, FieldCheckConstraint
from trials.models.eligibility import ELIGIBILITY_CONSTRAINTS, EligibilityFields
from trials.models.organisations import Organisation
from trials.models.querysets import TrialQuerySet


def _date_rule(later: str, earlier: str = "start_date") -> FieldCheckConstraint:
    return FieldCheckConstraint(
        condition=Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__gte": F(earlier)}),
        name=f"%(app_label)s_%(class)s_{later}_not_before_{earlier}",
        error_field=later,
        violation_error_message=f"{later.replace('_', ' ').capitalize()} cannot be before the "
        f"{earlier.replace('_', ' ')}.",
    )


class Trial(BatchedCheckValidation, EligibilityFields, formatting.ListedFacts, models.Model):
    """One clinical trial, published study or clinic offering of a cell therapy."""

    # Identity
    title = models.CharField(max_length=400, help_text="The official or published title.")
    acronym = models.CharField(max_length=60, blank=True, help_text="E.g. STEMS, MESEMS.")
    slug = models.SlugField(max_length=100, unique=True, help_text="The trial's public URL.")
    listing_type = models.CharField(
        max_length=10,
        choices=ListingType,
        default=ListingType.TRIAL,
        help_text="A clinic offering is shown with a warning and never mixed silently with "
        "trials: it is not a study and its claims are not checked by a registry or a journal.",
    )
    pay_to_participate = models.BooleanField(
        null=True,
        blank=True,
        help_text="Do participants pay to take part? Leave unknown unless a source says so. "
        "Shown publicly as a red flag.",
    )
    summary = models.TextField(
        blank=True, help_text="What was tested and why, in plain language for patients."
    )
    participants = models.TextField(
        blank=True, help_text="Who took part: disease, stage, ages, key eligibility criteria."
    )

    # Design
    phase = models.CharField(max_length=15, choices=Phase, blank=True)
    status = models.CharField(
        max_length=25, choices=Status, blank=True, help_text="ClinicalTrials.gov overall status."
    )
    # When the status was confirmed and by what (issue 9): a registry's "record verified" month,
    # or the date a page showed it. Shown wherever the status is, so nobody mistakes a status
    # read years ago for today's.
    status_checked = models.DateField(
        null=True,
        blank=True,
        help_text="When the status was confirmed. For a month (registry 'record verified' "
        "dates are months), give the 1st and choose month precision.",
    )
    status_checked_precision = models.CharField(
        max_length=5, choices=DatePrecision, default=DatePrecision.DAY
    )
    status_source = models.CharField(
        "status confirmed by",
        max_length=20,
        choices=StatusSource,
        blank=True,
        help_text="Registry 'record verified' (ClinicalTrials.gov statusVerifiedDate), the "
        "registry's last update, the date printed on a mirror or news page, the day a curator "
        "read the page, or a page that gives no date.",
    )
    allocation = models.CharField(max_length=15, choices=Allocation, blank=True)
    masking = models.CharField(max_length=10, choices=Masking, blank=True)
    control = models.CharField(max_length=15, choices=Control, blank=True)
    design_notes = models.TextField(
        blank=True, help_text="E.g. 'dose escalation in 4 cohorts', 'crossover at week 24'."
    )

    # Size and length
    target_enrollment = models.PositiveIntegerField(
        null=True, blank=True, help_text="Planned number of participants (registry target)."
    )
    actual_enrollment = models.PositiveIntegerField(
        null=True, blank=True, help_text="Participants actually enrolled or treated."
    )
    follow_up_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Length of the primary analysis window, in months."
    )
    follow_up_detail = models.TextField(blank=True, help_text="E.g. 'then every 6 months to 5 y'.")

    # Dates, each with its precision: a registry saying "2021-03" means month precision, and we
    # store the first of the month rather than invent a day.
    start_date = models.DateField(null=True, blank=True)
    start_date_precision = models.CharField(
        max_length=5, choices=DatePrecision, default=DatePrecision.DAY
    )
    primary_completion_date = models.DateField(null=True, blank=True)
    primary_completion_date_precision = models.CharField(
        max_length=5, choices=DatePrecision, default=DatePrecision.DAY
    )
    completion_date = models.DateField(null=True, blank=True)
    completion_date_precision = models.CharField(
        max_length=5, choices=DatePrecision, default=DatePrecision.DAY
    )

    # Who
    sponsor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="sponsored"
    )
    collaborators = models.ManyToManyField(Organisation, blank=True, related_name="collaborations")
    conditions = models.ManyToManyField("trials.Condition", related_name="trials")

    # Results and safety
    has_results = models.BooleanField(
        default=False, help_text="Results are public (posted on a registry or published)."
    )
    results_summary = models.TextField(blank=True, help_text="What came of it, in plain words.")
    serious_adverse_events = models.PositiveIntegerField(
        "serious adverse events (total)", null=True, blank=True
    )
    treatment_related_saes = models.PositiveIntegerField(
        "treatment-related serious adverse events", null=True, blank=True
    )
    deaths = models.PositiveIntegerField(null=True, blank=True)
    evidence_notes = models.TextField(
        blank=True,
        help_text="Public. Where sources disagree, say so here rather than pick one silently, "
        "e.g. 'The registry lists 20 participants, the sponsor 23.'",
    )

    # Curation
    workflow = models.CharField(
        max_length=10, choices=Workflow, default=Workflow.DRAFT, db_index=True
    )
    last_verified = models.DateField(
        null=True, blank=True, help_text="When a curator last checked the record against sources."
    )
    curator_notes = models.TextField(blank=True, help_text="Private: never shown to the public.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Edits to a published trial go live at once (a typo fix should not wait), but they set
    # this flag, which puts the trial in the reviewers' "needs review" queue until a reviewer
    # approves the change or reverts it (docs/curation.md, "Editing a published trial").
    edited_since_review = models.BooleanField(
        default=False,
        editable=False,
        help_text="Yes: the public still sees the trial as a reviewer last approved it. "
        "Approving the edits publishes them; reverting them drops them.",
    )
    # Optimistic locking: every save bumps it, and a save based on an older version is
    # refused (services.StaleEditError) instead of silently overwriting someone else's work.
    version = models.PositiveIntegerField(default=1, editable=False)

    # Search, maintained by services.trials_reindex after every write: one plain-text
    # document of everything a search should find (ids, conditions, cells, sponsors, summaries).
    # SQLite searches it; PostgreSQL searches its weighted vector (models.SearchDocument).
    search_text = models.TextField(blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [("publish_trial", "Can publish, send back and withdraw trials")]
        indexes = [
            models.Index(fields=["workflow", "phase"]),
            models.Index(fields=["workflow", "status"]),
            models.Index(fields=["workflow", "-updated_at"]),
            models.Index(fields=["workflow", "start_date"]),
            models.Index(fields=["workflow", "listing_type"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("listing_type", ListingType),
                name="%(app_label)s_%(class)s_listing_type_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("phase", Phase, blank=True),
                name="%(app_label)s_%(class)s_phase_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("status", Status, blank=True),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("allocation", Allocation, blank=True),
                name="%(app_label)s_%(class)s_allocation_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("masking", Masking, blank=True),
                name="%(app_label)s_%(class)s_masking_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("control", Control, blank=True),
                name="%(app_label)s_%(class)s_control_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("workflow", Workflow),
                name="%(app_label)s_%(class)s_workflow_valid",
            ),
            *(
                models.CheckConstraint(
                    condition=in_choices(f"{field}_precision", DatePrecision),
                    name=f"%(app_label)s_%(class)s_{field}_precision_valid",
                )
                for field in ("start_date", "primary_completion_date", "completion_date")
            ),
            models.CheckConstraint(
                condition=in_choices("status_checked_precision", DatePrecision),
                name="%(app_label)s_%(class)s_status_checked_precision_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("status_source", StatusSource, blank=True),
                name="%(app_label)s_%(class)s_status_source_valid",
            ),
            # A date of check says what checked it, and a check is of a status.
            FieldCheckConstraint(
                condition=Q(status_checked__isnull=True) | ~Q(status_source=""),
                name="%(app_label)s_%(class)s_status_checked_has_source",
                error_field="status_source",
                violation_error_message="Say what confirmed the status on that date.",
            ),
            FieldCheckConstraint(
                condition=Q(status_source="") | ~Q(status=""),
                name="%(app_label)s_%(class)s_status_source_needs_status",
                error_field="status",
                violation_error_message="A status check needs a status.",
            ),
            # Only an undated page has no date; every other kind of check has one.
            FieldCheckConstraint(
                condition=Q(status_source__in=["", StatusSource.PAGE_UNDATED])
                | Q(status_checked__isnull=False),
                name="%(app_label)s_%(class)s_status_source_dated",
                error_field="status_checked",
                violation_error_message="Give the date the status was confirmed.",
            ),
            _date_rule("completion_date"),
            _date_rule("primary_completion_date"),
            _date_rule("completion_date", "primary_completion_date"),
            FieldCheckConstraint(
                condition=Q(treatment_related_saes__isnull=True)
                | Q(serious_adverse_events__isnull=True)
                | Q(treatment_related_saes__lte=F("serious_adverse_events")),
                name="%(app_label)s_%(class)s_related_saes_within_total",
                error_field="treatment_related_saes",
                violation_error_message="Treatment-related serious adverse events cannot exceed "
                "the total number of serious adverse events.",
            ),
            # Belt and braces: PositiveIntegerField already adds a column CHECK, but a named
            # constraint documents the rule and gives curators a clear message.
            *(
                FieldCheckConstraint(
                    condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
                    name=f"%(app_label)s_%(class)s_{field}_not_negative",
                    error_field=field,
                    violation_error_message="The number of participants cannot be negative.",
                )
                for field in ("target_enrollment", "actual_enrollment")
            ),
            *ELIGIBILITY_CONSTRAINTS,
        ]

    def __str__(self):
        return f"{self.acronym} — {self.title}" if self.acronym else self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.acronym or self.title)[:100]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("trials:trial-detail", kwargs={"slug": self.slug})

    @property
    def start_display(self) -> str:
        return formatting.partial_date(self.start_date, self.start_date_precision)

    @property
    def status_checked_iso(self) -> str | None:
        """'2012-11' or '2024-02-05', as precise as the check: the export's status_checked."""
        return formatting.iso_partial(self.status_checked, self.status_checked_precision)

    @property
    def completeness(self):
        """The 'What we know and what is missing' box (trials/completeness.py). Reads the
        prefetched parts of TrialQuerySet.for_detail."""
        return completeness.key_facts(self)

    @property
    def primary_completion_display(self) -> str:
        return formatting.partial_date(
            self.primary_completion_date, self.primary_completion_date_precision
        )

    @property
    def completion_display(self) -> str:
        return formatting.partial_date(self.completion_date, self.completion_date_precision)

    # The summaries below read the prefetched arms (see TrialQuerySet.for_list / for_detail),
    # so a page shows them without a query per trial.
    @property
    def cell_summaries(self) -> list[str]:
        """'Bone-marrow MSC (autologous)', once per distinct cell type and origin."""
        labels: list[str] = []
        for arm in self.interventions.all():
            if arm.cell_type is None:
                continue
            known_origin = arm.origin in (Origin.AUTOLOGOUS, Origin.ALLOGENEIC)
            label = f"{arm.cell_type.name} ({arm.origin})" if known_origin else arm.cell_type.name
            if label not in labels:
                labels.append(label)
        return labels

    @property
    def cell_descriptions(self) -> list[tuple]:
        """(cell type, origin label, tissue label) once per distinct combination."""
        seen: list[tuple] = []
        for arm in self.interventions.all():
            if arm.cell_type is None:
                continue
            item = (
                arm.cell_type,
                arm.get_origin_display() if arm.origin else "",
                arm.get_tissue_source_display() if arm.tissue_source else "",
            )
            if item not in seen:
                seen.append(item)
        return seen

    @property
    def product_list(self) -> list:
        """The named cell products of the arms, once each (needs arms with `product`)."""
        products: dict[int, object] = {}
        for arm in self.interventions.all():
            if arm.product_id:
                products.setdefault(arm.product_id, arm.product)
        return list(products.values())

    @property
    def eligibility_sentences(self) -> list[str]:
        return formatting.eligibility_sentences(self)

    @property
    def route_list(self) -> list:
        """Every route used by any arm, once each."""
        routes: dict[int, object] = {}
        for arm in self.interventions.all():
            for route in arm.routes.all():
                routes.setdefault(route.pk, route)
        return list(routes.values())
