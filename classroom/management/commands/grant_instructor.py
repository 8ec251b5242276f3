"""Let users run classrooms: `manage.py grant_instructor ivy ian` (--revoke takes it back)."""

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Give users the permission to run classrooms (classroom.instruct), or take it back."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("usernames", nargs="+")
        parser.add_argument("--revoke", action="store_true", help="take the permission away instead")

    def handle(self, *args: Any, **options: Any) -> None:
        instruct = Permission.objects.get(codename="instruct", content_type__app_label="classroom")
        for username in options["usernames"]:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user named {username!r}.")
            if options["revoke"]:
                user.user_permissions.remove(instruct)
                self.stdout.write(f"{username} no longer runs classrooms.")
            else:
                user.user_permissions.add(instruct)
                self.stdout.write(f"{username} can now run classrooms.")
