from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import token_issue


class Command(BaseCommand):
    help = "Print a new API token for the user (the previous token stops working)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = token_issue(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['username']!r}") from None
        self.stdout.write(key)
