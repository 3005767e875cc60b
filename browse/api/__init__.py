"""The read-only JSON API at /api/v1/: the public site's data for other programs.

It reuses what the pages use: `TrialFilter` for parameters and their 400 messages, the
in-memory facet counts, `trials.public_record.trial_record` as a trial's JSON, and
`browse.stats` for the home charts' numbers. Nothing here defines a second schema.
"""
