"""Forms of the curators' admin: the trial form with its version check, and the small forms of
the workflow and history pages."""

from django import forms
from django.core.exceptions import ValidationError

from trials import services
from trials.models import Trial


class TrialAdminForm(forms.ModelForm):
    # The version the curator opened; a save based on an older one is refused (no lost edits).
    based_on_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label="Reason for this change",
        max_length=300,
        required=False,
        help_text="Kept in the trial's history, e.g. “dose corrected from the 2016 paper”.",
        widget=forms.TextInput(attrs={"size": 80}),
    )

    class Meta:
        model = Trial
        exclude = ["search_text"]  # noqa: DJ006 - the admin picks fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["based_on_version"].initial = self.instance.version
            self.fields["change_reason"].required = True

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            expected = cleaned.get("based_on_version")
            if expected is None:
                raise ValidationError("This form is missing the trial's version; reload it.")
            try:
                services.trial_check_version(trial=self.instance, expected_version=expected)
            except services.StaleEditError as stale:
                raise ValidationError(
                    [stale.message]
                    + [
                        f"Changed meanwhile — {c.what}{': ' + c.field if c.field else ''}: "
                        f"{c.old or '—'} → {c.new or '—'}"
                        for c in stale.changes
                    ]
                ) from stale
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        # The services' rules for every trial edit (services.TRIAL_RULES), so a rule added
        # there applies here without touching the admin.
        try:
            services.trial_check_rules(self.instance)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)

    def has_real_changes(self) -> bool:
        return any(name not in {"change_reason", "based_on_version"} for name in self.changed_data)


class TransitionForm(forms.Form):
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Kept in the review log and the history.",
    )

    def __init__(self, *args, comment_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if comment_required:
            self.fields["comment"].required = True
            self.fields["comment"].help_text = "Required: say what the curator should fix."


class RevertForm(forms.Form):
    reason = forms.CharField(
        label="Why revert?",
        max_length=300,
        widget=forms.TextInput(attrs={"size": 80}),
    )
