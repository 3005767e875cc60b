"""The curators' admin, one module a subject; importing them registers their pages."""

from curation.admin import imports, reports, sync, trial, vocabulary

__all__ = ["imports", "reports", "sync", "trial", "vocabulary"]
