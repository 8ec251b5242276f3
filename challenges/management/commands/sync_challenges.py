from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from challenges.loader import ContentError
from challenges.services.content import challenges_sync


class Command(BaseCommand):
    help = "Load every challenge folder into the database (versioned by content hash; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--content-dir", type=Path, default=None, help="default: BREAKFIX_CONTENT_DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        content_dir: Path = options["content_dir"] or settings.BREAKFIX_CONTENT_DIR
        try:
            report = challenges_sync(content_dir=content_dir)
        except ContentError as error:
            raise CommandError(
                f"challenge content is invalid; nothing was changed:\n{error}", returncode=2
            ) from error
        for label, slugs in (
            ("created", report.created),
            ("updated", report.updated),
            ("unpublished", report.unpublished),
        ):
            for slug in slugs:
                self.stdout.write(f"{label}: {slug}")
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(f"synced {len(report.created) + len(report.updated)} challenge(s)")
            )
        else:
            self.stdout.write(f"no change: {len(report.unchanged)} challenge(s) up to date")
