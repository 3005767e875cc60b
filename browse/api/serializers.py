"""The API's response shapes, for the OpenAPI schema.

A trial's JSON is `trials.public_record.trial_record`, the export record: `TrialRecord` only
describes it (field by field, so the schema documents it) and hands the record itself out.
A test checks that the two name the same keys, so the description cannot drift from the
record, and schemathesis checks every response against the schema.
"""

from rest_framework import serializers

from trials.choices import (
    ArmRole,
    DatePrecision,
    DoseUnit,
    EndpointMet,
    ListingType,
    Origin,
    OutcomeKind,
    Phase,
    PublicationRole,
    Sex,
    Status,
    StatusSource,
    TissueSource,
)
from trials.public_record import trial_record


def _choice(choices, **kw):
    return serializers.ChoiceField(choices=choices.choices, **kw)


def _slugs(help_text):
    return serializers.ListField(child=serializers.CharField(), help_text=help_text)


class InterventionRecord(serializers.Serializer):
    label = serializers.CharField()
    role = _choice(ArmRole)
    cell_type = serializers.CharField(allow_null=True, help_text="cell type slug")
    origin = _choice(Origin, allow_null=True)
    tissue_source = _choice(TissueSource, allow_null=True)
    routes = _slugs("route slugs")
    dose_min = serializers.IntegerField(allow_null=True, help_text="cells")
    dose_max = serializers.IntegerField(allow_null=True, help_text="cells")
    dose_unit = _choice(DoseUnit, allow_null=True)
    administrations = serializers.IntegerField(allow_null=True)
    product = serializers.CharField(
        allow_null=True, help_text="slug of the named cell product this arm received"
    )


class OutcomeRecord(serializers.Serializer):
    kind = _choice(OutcomeKind)
    measure = serializers.CharField()
    time_frame = serializers.CharField(allow_blank=True)
    result = serializers.CharField(allow_blank=True)
    primary_endpoint_met = _choice(EndpointMet, allow_null=True)


class PublicationRecord(serializers.Serializer):
    role = _choice(PublicationRole)
    title = serializers.CharField(allow_blank=True)
    journal = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField(allow_null=True)
    doi = serializers.CharField(allow_null=True)
    pmid = serializers.CharField(allow_null=True)


class EligibilityRecord(serializers.Serializer):
    """Who may take part, as stated ranges; null: the sources do not state it."""

    age_min_months = serializers.IntegerField(allow_null=True)
    age_max_months = serializers.IntegerField(allow_null=True)
    sex = _choice(Sex, allow_null=True)
    edss_min = serializers.CharField(allow_null=True, help_text='a string, e.g. "6.5"')
    edss_max = serializers.CharField(allow_null=True, help_text='a string, e.g. "6.5"')
    alsfrs_min = serializers.IntegerField(allow_null=True)
    onset_max_months = serializers.IntegerField(
        allow_null=True, help_text="most months since symptom onset"
    )
    fvc_min_percent = serializers.IntegerField(allow_null=True)


class TrialRecord(serializers.Serializer):
    """One published trial: the export record (docs/architecture.md, "Export schema")."""

    url = serializers.URLField(help_text="the trial's public page")
    slug = serializers.SlugField()
    title = serializers.CharField()
    acronym = serializers.CharField(allow_blank=True)
    listing_type = _choice(ListingType)
    registry_ids = _slugs("as written, e.g. NCT03282760, 2015-004855-37")
    conditions = _slugs("condition slugs as tagged (not expanded to broader terms)")
    cell_types = _slugs("cell type slugs as tagged")
    routes = _slugs("route slugs")
    origins = serializers.ListField(child=_choice(Origin))
    phase = _choice(Phase, allow_null=True)
    status = _choice(Status, allow_null=True)
    status_checked = serializers.RegexField(
        r"^\d{4}(-\d{2}(-\d{2})?)?$",
        allow_null=True,
        help_text="when the status was last confirmed, as precise as the check: "
        "YYYY, YYYY-MM or YYYY-MM-DD",
    )
    status_source = _choice(StatusSource, allow_null=True)
    target_enrollment = serializers.IntegerField(allow_null=True)
    actual_enrollment = serializers.IntegerField(allow_null=True)
    follow_up_months = serializers.IntegerField(allow_null=True)
    start_date = serializers.DateField(
        allow_null=True, help_text="a month-precision date is the 1st"
    )
    start_date_precision = _choice(DatePrecision, allow_null=True)
    has_results = serializers.BooleanField()
    interventions = InterventionRecord(many=True)
    outcomes = OutcomeRecord(many=True)
    publications = PublicationRecord(many=True)
    updated_at = serializers.DateTimeField()
    products = _slugs("slugs of the named cell products its arms use")
    eligibility = EligibilityRecord()

    def to_representation(self, instance):
        return trial_record(instance, self.context["base_url"])


class FacetOption(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="trials you would get by adding this option")
    selected = serializers.BooleanField()
    depth = serializers.IntegerField(help_text="0 for a top-level term, 1 below it, …")


class TrialPage(serializers.Serializer):
    count = serializers.IntegerField(help_text="published trials matching every filter")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TrialRecord(many=True)
    facets = serializers.DictField(
        child=FacetOption(many=True),
        required=False,
        help_text="only with `facets=`: per facet, every option with its disjunctive count",
    )


class Errors(serializers.Serializer):
    errors = serializers.ListField(
        child=serializers.CharField(), help_text="the same messages as the list page shows"
    )


class Term(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    parent = serializers.SlugField(allow_null=True, help_text="the broader term (null: top)")
    children = serializers.ListField(child=serializers.SlugField(), help_text="narrower terms")
    mesh_id = serializers.CharField(allow_null=True, help_text="conditions only")
    trials = serializers.IntegerField(help_text="published trials, narrower terms included")
    url = serializers.URLField(help_text="the browse page")


class Count(serializers.Serializer):
    value = serializers.CharField(help_text="the list parameter's value (slug, code or year)")
    label = serializers.CharField()
    count = serializers.IntegerField()


class Stats(serializers.Serializer):
    trials = serializers.IntegerField(help_text="published records")
    clinic_offerings = serializers.IntegerField()
    by_phase = Count(many=True, help_text="each trial once, by its own phase")
    by_cell_type = Count(many=True, help_text="top-level cell types, narrower ones included")
    by_route = Count(many=True)
    by_start_year = Count(many=True)
