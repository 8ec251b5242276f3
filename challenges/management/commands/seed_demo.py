from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand

DEMO_ACCOUNTS = (
    # username, password, staff
    ("learner", "learn-kubernetes", False),
    ("admin", "breakfix-admin", True),
)


class Command(BaseCommand):
    help = "Create the demo learner and staff accounts for a local run (never use them in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        instruct = Permission.objects.filter(codename="instruct", content_type__app_label="classroom").first()
        for username, password, staff in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_staff = user.is_superuser = staff
                user.save()
            if staff and instruct is not None:
                user.user_permissions.add(instruct)
            role = "staff and instructor" if staff else "learner"
            state = "created" if created else "exists"
            self.stdout.write(f"  {role:<22} {username} / {password}  ({state})")
