from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from trials import services
from trials.ingest.parsers.errors import MAX_BYTES
from trials.ingest.registry import import_ctgov_file, summary_lines


class Command(BaseCommand):
    help = (
        "Import ClinicalTrials.gov API v2 study JSON files (one study, or a search response). "
        "New trials land as drafts; fields a curator edited are never overwritten. One "
        "transaction per file: a file with a bad record writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="JSON files, or folders of them")
        parser.add_argument(
            "--all", action="store_true", help="also import studies that are not cell therapy"
        )
        parser.add_argument("--user", help="the curator to record as the importer")

    def handle(self, *args, **options):
        paths, user, include_all = options["paths"], options["user"], options["all"]
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"No user named {user!r}.")
        files = []
        for name in paths:
            path = Path(name)
            if path.is_dir():
                files += sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".xml"))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{name}: no such file or folder")
        failed = 0
        for path in files:
            if path.stat().st_size > MAX_BYTES:
                self.stderr.write(
                    f"ERROR {path}: the file is {path.stat().st_size / 1024 / 1024:.1f} MB; "
                    f"the limit is {MAX_BYTES // 1024 // 1024} MB; nothing was imported"
                )
                failed += 1
                continue
            result = import_ctgov_file(
                path.read_bytes(), name=path.name, user=importer, include_all=include_all
            )
            for line in summary_lines(result):
                (self.stderr if line.startswith("ERROR") else self.stdout).write(line)
            failed += not result.ok
        if len(files) > 1:
            services.refresh_planner_statistics()  # many files are a bulk write
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) could not be imported.")
