"""Cell products (NurOwn, NSI-566 …): created, edited, linked to arms, deleted. A product's
name and aliases are part of the search document of every trial whose arms use it, so a change
reindexes those trials and records a history entry on each."""

from django.core.exceptions import ValidationError
from django.db import transaction

from trials.models import CellProduct, Intervention, Trial
from trials.services.recording import _record, _reindex
from trials.services.vocabulary import _named, _touch

SEARCHED_FIELDS = ("name", "aliases", "slug")


def product_trial_ids(product: CellProduct) -> list[int]:
    return sorted(
        set(Trial.objects.filter(interventions__product=product).values_list("pk", flat=True))
    )


@transaction.atomic
def product_create(*, product: CellProduct, user=None) -> CellProduct:
    product.full_clean()
    product.save()
    return product  # no arm uses a new product yet: nothing to reindex


@transaction.atomic
def product_update(*, product: CellProduct, user=None, reason: str = "", **fields) -> CellProduct:
    """Change a product's facts; when its name, aliases or slug change, the trials that use it
    are reindexed (search and the `product` facet) with a history entry each."""
    before = CellProduct.objects.select_for_update().get(pk=product.pk)
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    if any(getattr(before, name) != getattr(product, name) for name in SEARCHED_FIELDS):
        _touch(
            product_trial_ids(product),
            user=user,
            reason=reason or f"Cell product “{before.name}” renamed or given other names",
        )
    return product


def product_delete_refusal(product: CellProduct) -> str:
    used_by = product_trial_ids(product)
    if not used_by:
        return ""
    return (
        f"The cell product “{product}” cannot be deleted: {len(used_by)} trial(s) use it "
        f"({_named(used_by)}). Unlink their arms first."
    )


@transaction.atomic
def product_delete(*, product: CellProduct, user=None) -> None:
    refusal = product_delete_refusal(product)
    if refusal:
        raise ValidationError(refusal, code="in_use")
    product.delete()


@transaction.atomic
def intervention_set_product(
    *, intervention: Intervention, product: CellProduct | None, user=None, reason: str = ""
) -> Intervention:
    """Link an arm to a product (or unlink it with None): an edit of its trial."""
    intervention.product = product
    intervention.full_clean()
    intervention.save(update_fields=["product"])
    trial = intervention.trial
    _reindex(trial)
    what = f"linked to “{product}”" if product else "unlinked from its product"
    _record(trial, user=user, reason=reason or f"Arm “{intervention.label}” {what}")
    return intervention
