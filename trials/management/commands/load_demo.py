from django.core.management.base import BaseCommand

from trials import services
from trials.demo import DEMO_FILES, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo catalogue of real MS and ALS cell-therapy trials (with sources). "
        "Idempotent: trials already present are left as they are."
    )

    def add_arguments(self, parser):
        # Tests that need a small real catalogue load the first file only (13 records).
        parser.add_argument(
            "files", nargs="*", help="Demo JSON files to load (default: all of trials/data/demo_*)"
        )

    def handle(self, *args, **options):
        report = load_demo(options["files"] or DEMO_FILES)
        if report.created:
            services.refresh_planner_statistics()
        self.stdout.write(
            f"Demo catalogue: {len(report.created)} trial(s) created, "
            f"{len(report.updated)} given their cell product or eligibility, "
            f"{len(report.unchanged)} already present and left unchanged."
        )
