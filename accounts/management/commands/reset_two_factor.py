from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import two_factor_reset


class Command(BaseCommand):
    help = (
        "Remove the user's authenticator and backup codes and end their sessions: they set up a new "
        "authenticator at their next login. For the administrator who has lost their own phone; "
        "otherwise another administrator does this in the admin."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['username']!r}") from None
        devices, sessions = two_factor_reset(user=user, actor="command")
        self.stdout.write(f"{user.username}: {devices} two-factor devices removed, {sessions} sessions ended.")
