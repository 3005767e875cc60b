"""What a backup file is: its header and the error a bad one raises."""

FORMAT = "trial-tracker-backup"
VERSION = 1
DATES = ("start_date", "primary_completion_date", "completion_date")


class BackupError(Exception):
    """A backup file that cannot be restored, with the line and field to look at."""

    def __init__(self, message: str, *, line: int | None = None, field: str = ""):
        self.line, self.field, self.message = line, field, message
        where = ": ".join(part for part in (f"line {line}" if line else "", field) if part)
        super().__init__(f"{where}: {message}" if where else message)
