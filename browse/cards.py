"""List rows ("cards"): what the list shows of each trial on a page, read in two queries by
primary key, whatever the page size: the trials' own columns, and their stored public records
(trials.models.PublicRecord) for their parts (conditions, arms, routes, registry ids,
products), named from the request's vocabulary. No model instances and no prefetching: the
profile of a list page showed them costing more than the rest of the view (issue 14).
"""

import datetime
import json

from django.utils import timezone

from trials import formatting
from trials.models import Origin, Phase, Status, Trial
from trials.models.eligibility import ELIGIBILITY_FIELDS
from trials.public_record import stored_pairs
from trials.public_state import AWAITING, reviewed_rows

COLUMNS = (
    "pk",
    "title",
    "acronym",
    "listing_type",
    "pay_to_participate",
    "phase",
    "status",
    "status_source",
    "status_checked",
    "status_checked_precision",
    "actual_enrollment",
    "target_enrollment",
    *ELIGIBILITY_FIELDS,
)
PHASES = dict(Phase.choices)
STATUSES = dict(Status.choices)
KNOWN_ORIGINS = (Origin.AUTOLOGOUS, Origin.ALLOGENEIC)


class Card(formatting.ListedFacts):
    """The attributes `includes/_trial_row.html` and `_status.html` read, as a Trial has them."""

    def __init__(self, row: dict, record: dict, names: dict, today: datetime.date):
        self.__dict__.update(row)
        self.record = record
        self.slug = record["slug"]
        self.today = today
        arms = record["interventions"]
        self.condition_names = [names["condition"].get(s, s) for s in record["conditions"]]
        self.registry_list = record["registry_ids"]
        labels: list[str] = []
        for arm in arms:
            if arm["cell_type"]:
                name = names["cell_type"].get(arm["cell_type"], arm["cell_type"])
                label = f"{name} ({arm['origin']})" if arm["origin"] in KNOWN_ORIGINS else name
                if label not in labels:
                    labels.append(label)
        self.cell_summaries = labels
        routes = dict.fromkeys(slug for arm in arms for slug in arm["routes"])
        self.route_list = [names["route_obj"][s] for s in routes if s in names["route_obj"]]
        products = names["product_obj"]
        self.product_list = [products[s] for s in record["products"] if s in products]

    def get_absolute_url(self) -> str:
        return self.record["url"]

    def get_phase_display(self) -> str:
        return PHASES.get(self.phase, self.phase)

    def get_status_display(self) -> str:
        return STATUSES.get(self.status, self.status)


def cards(ids: list[int], vocabulary) -> list[Card]:
    """The cards of these published trials, in this order (two queries)."""
    if not ids:
        return []
    found = Trial.objects.published().filter(pk__in=ids).values(*COLUMNS, AWAITING)
    rows = {row["pk"]: row for row in reviewed_rows(found, COLUMNS[1:])}
    records = dict(stored_pairs([pk for pk in ids if pk in rows]))
    terms = vocabulary.terms
    names = {
        "condition": {t.slug: t.name for t in terms["condition"]},
        "cell_type": {t.slug: t.name for t in terms["cell_type"]},
        "route_obj": {t.slug: t for t in terms["route"]},
        "product_obj": {p.slug: p for p in terms["product"]},
    }
    today = timezone.localdate()
    return [Card(rows[pk], json.loads(records[pk]), names, today) for pk in ids if pk in records]
