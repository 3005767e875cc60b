"""Cell products and structured eligibility in a backup (issue 13). Kept beside export.py and
restore.py so both stay short: products are records of their own, written before the trials
that link to them; eligibility travels in each trial's public record, plus the private list
of criteria the importer could not map."""

from decimal import Decimal, InvalidOperation

from trials import services
from trials.models import CellProduct, CellType
from trials.models.eligibility import ELIGIBILITY_FIELDS

PRODUCT_KEYS = ("name", "slug", "aliases", "developer", "origin", "tissue_source")
PRODUCT_TEXTS = ("description", "sources")


def product_record(product: CellProduct) -> dict:
    return {
        "record": "product",
        **{key: getattr(product, key) for key in PRODUCT_KEYS + PRODUCT_TEXTS},
        "cell_type": product.cell_type.slug if product.cell_type else None,
    }


def restore_product(fields) -> CellProduct:
    """`fields`: restore._Fields of a product record."""
    cell_type = fields.text("cell_type")
    term = CellType.objects.filter(slug=cell_type).first() if cell_type else None
    if cell_type and term is None:
        raise fields.error("cell_type", f"no cell type “{cell_type}” in this catalogue")
    values = {key: fields.text(key) for key in PRODUCT_KEYS + PRODUCT_TEXTS}
    existing = CellProduct.objects.filter(slug=values["slug"]).first()
    if existing is not None:
        # A catalogue without trials may still hold products (like shared publications): the
        # same product is reused, a different one under the same slug is refused.
        if any(getattr(existing, key) != value for key, value in values.items()) or (
            existing.cell_type != term
        ):
            raise fields.error("slug", "a different product with this slug is already here")
        return existing
    return services.product_create(product=CellProduct(cell_type=term, **values))


def arm_product(arm) -> CellProduct | None:
    """The product an arm of a backup names (older backups name none)."""
    slug = arm.text("product") if "product" in arm.data else ""
    if not slug:
        return None
    product = CellProduct.objects.filter(slug=slug).first()
    if product is None:
        raise arm.error("product", f"no product “{slug}” earlier in the file")
    return product


def eligibility_data(f) -> dict:
    """A trial's eligibility fields from its backup record ({} for older backups)."""
    if "eligibility" not in f.data:
        return {}
    record = f.object("eligibility")
    values = {}
    for name in ELIGIBILITY_FIELDS:
        if name == "sex":
            values[name] = record.text(name)
        elif name.startswith("edss"):
            raw = record.text(name)
            try:
                values[name] = Decimal(raw) if raw else None
            except InvalidOperation:
                raise record.error(name, f"not a number: {raw!r}") from None
        else:
            values[name] = record.integer(name)
    values["eligibility_unmapped"] = f.text("eligibility_unmapped")
    return values
