from django.apps import AppConfig


class CurationConfig(AppConfig):
    """The curators' Django admin: editing, review workflow, history, vocabulary, imports and
    problem reports. No models: it edits `trials` through `trials.services`."""

    name = "curation"
    verbose_name = "Curation"
