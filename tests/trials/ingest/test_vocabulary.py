"""The mapping tables name vocabulary slugs that live in the database (migration 0002, extended
by curators): every slug a table can produce, and every parent the tables assume, must exist in
the migrated tables, so the tables cannot drift from the vocabulary."""

import pytest

from trials.ingest.parsers import mapping
from trials.models import CellType, Condition, Route


def slugs_of(table) -> set[str]:
    return {str(slug) for slug, _patterns in table}


def parents_in_db(model) -> dict[str, str | None]:
    return {
        term.slug: term.parent.slug if term.parent_id else None
        for term in model.objects.select_related("parent")
    }


def test_tables_and_their_hierarchies_agree_with_themselves():
    assert slugs_of(mapping.CONDITION_PATTERNS) <= set(mapping.CONDITION_PARENTS)
    assert slugs_of(mapping.CELL_TYPE_PATTERNS) <= set(mapping.CELL_TYPE_PARENTS)
    assert set(mapping.TISSUE_OF_CELL_TYPE) <= set(mapping.CELL_TYPE_PARENTS)


@pytest.mark.django_db
def test_every_condition_slug_and_parent_exists_in_the_migrated_vocabulary():
    in_db = parents_in_db(Condition)
    for slug, parent in mapping.CONDITION_PARENTS.items():
        assert slug in in_db, f"condition {slug!r} is not in the vocabulary"
        assert in_db[slug] == parent, f"{slug!r} sits under {in_db[slug]!r}, not {parent!r}"


@pytest.mark.django_db
def test_every_cell_type_slug_and_parent_exists_in_the_migrated_vocabulary():
    in_db = parents_in_db(CellType)
    for slug, parent in mapping.CELL_TYPE_PARENTS.items():
        assert slug in in_db, f"cell type {slug!r} is not in the vocabulary"
        assert in_db[slug] == parent, f"{slug!r} sits under {in_db[slug]!r}, not {parent!r}"


@pytest.mark.django_db
def test_every_route_slug_exists_in_the_migrated_vocabulary():
    in_db = set(Route.objects.values_list("slug", flat=True))
    assert set(mapping.ROUTE_SLUGS) <= in_db
