from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.services import StaffError, user_create_staff
from core.roles import Role


class Command(BaseCommand):
    help = "Create or update a staff account with one role and one or both controllers."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--controller", action="append", required=True, dest="controllers", metavar="SLUG")
        parser.add_argument("--password", help="Without it a random password is made and printed.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, password = user_create_staff(
                username=options["username"],
                role=options["role"],
                controller_slugs=options["controllers"],
                password=options["password"],
            )
        except StaffError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{user.username} ({options['role']}, {', '.join(options['controllers'])})")
        if not options["password"]:
            self.stdout.write(f"password: {password}")
