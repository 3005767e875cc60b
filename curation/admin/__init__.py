"""The curators' admin, one module a subject; importing them registers their pages."""

from curation.admin import imports, reports, trial, vocabulary

__all__ = ["imports", "reports", "trial", "vocabulary"]
