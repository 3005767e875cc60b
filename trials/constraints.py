from django.core.exceptions import ValidationError
from django.db import models


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
