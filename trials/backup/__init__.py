"""Logical backup of the catalogue: every trial in every workflow state, as JSON Lines.

A trial line is the trial's public export record (`trial_record`, docs/architecture.md,
"Export schema") plus the fields a lossless restore needs that the public record leaves out:
curation fields, the remaining columns of each part, sponsor, sites, sources. The public record
is reused, never copied, so the two cannot drift, and an extension key may never replace a
public one. Private fields (curator notes, usernames) therefore live only in backups, never in
the public export.

A restore writes through `trials.services`, into a catalogue with no trials, in one transaction:
the first bad line (named with its field) rolls back everything.

Not in a backup: users (trials name them by username), workflow history and revisions, problem
reports, vocabulary terms (a backup names them by slug; they come from the migrations).

`export` writes a backup, `restore` reads one back; `format` holds what both agree on.
"""

from trials.backup.export import backup_records, trial_backup_record, write_backup
from trials.backup.format import FORMAT, VERSION, BackupError
from trials.backup.restore import ImportReport, import_records, parse_lines

__all__ = [
    "FORMAT",
    "VERSION",
    "BackupError",
    "ImportReport",
    "backup_records",
    "import_records",
    "parse_lines",
    "trial_backup_record",
    "write_backup",
]
