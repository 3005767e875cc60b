from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE


class FieldCheckConstraint(models.CheckConstraint):
    """A CheckConstraint whose validation error is reported against one form field.

    Django reports a failed CheckConstraint as a form-wide error; curators need the message
    beside the field they must fix ("dose max"), while the database keeps enforcing the rule
    for every write path (admin, services, importers, raw `update()`).
    """

    def __init__(self, *args, error_field: str, **kwargs):
        self.error_field = error_field
        super().__init__(*args, **kwargs)

    def validate(self, model, instance, exclude=None, using=None):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            raise ValidationError({self.error_field: error.error_list}) from error

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["error_field"] = self.error_field
        return path, args, kwargs

    def __eq__(self, other):
        return (
            isinstance(other, FieldCheckConstraint)
            and self.error_field == other.error_field
            and super().__eq__(other)
        )


class BatchedCheckValidation:
    """A model mixin: `full_clean()` validates all the model's CheckConstraints in one query.

    Django checks each CheckConstraint with its own query inside its own savepoint: three round
    trips per constraint, 84 for a trial's 28, and a trial is validated several times per
    import (a registry sync of 40 studies spent 37% of its time there, profiled). Here the
    conditions become columns of one SELECT, with the same meaning as Django's check: a
    condition that is NULL (unknown) passes. Other constraints (unique) keep Django's path."""

    def validate_constraints(self, exclude=None):
        using = router.db_for_write(self.__class__, instance=self)
        errors: dict = {}
        for model, constraints in self.get_constraints():
            checks = [c for c in constraints if isinstance(c, models.CheckConstraint)]
            for constraint in constraints:
                if constraint in checks:
                    continue
                try:
                    constraint.validate(model, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
            for constraint in _failed_checks(model, self, checks, exclude, using):
                error = ValidationError(
                    constraint.get_violation_error_message(), code=constraint.violation_error_code
                )
                if isinstance(constraint, FieldCheckConstraint):
                    error = ValidationError({constraint.error_field: error.error_list})
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _failed_checks(model, instance, checks, exclude, using) -> list:
    checks = [
        check
        for check in checks
        if not (exclude and check._expression_refs_exclude(model, check.condition, exclude))
    ]
    if not checks:
        return []
    query = Query(None)
    for name, value in instance._get_field_expression_map(
        meta=model._meta, exclude=exclude
    ).items():
        query.add_annotation(
            value if hasattr(value, "resolve_expression") else Value(value), name, select=False
        )
    for number, check in enumerate(checks):
        passes = Coalesce(Q(check.condition), Value(True), output_field=models.BooleanField())
        query.add_annotation(passes, f"_check_{number}")
    connection = connections[using]
    try:
        # In a transaction a failed query would spoil it: a savepoint, as Django's check does.
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError:
        # A condition this database cannot evaluate as a column: Django's own way, one by one.
        failed = []
        for check in checks:
            try:
                models.CheckConstraint.validate(check, model, instance, exclude, using)
            except ValidationError:
                failed.append(check)
        return failed
    return [check for check, passed in zip(checks, row, strict=True) if not passed]
