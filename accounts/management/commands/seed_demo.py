"""Demo data: a login for every role, then each app's own demo data (its `demo.py`).

Safe to run twice: users are updated in place and each app's seeder skips what exists.
"""

from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils.module_loading import module_has_submodule

from accounts.otp import otp_device_provision, otp_secret
from accounts.services import token_issue, user_create_staff
from core.roles import PRIVILEGED_ROLES, Role
from core.scoping import unscoped

BOTH = ["retta-isannointi", "retta-oy"]
DEMO_USERS = [
    ("agentti", Role.AGENT, BOTH),
    ("agentti.oy", Role.AGENT, ["retta-oy"]),
    ("kasittelija", Role.COMPLAINTS, BOTH),
    ("tietosuoja", Role.DPO, BOTH),
    ("yllapito", Role.ADMIN, BOTH),
    ("integraatio", Role.INTEGRATION, BOTH),
]


def demo_password(username: str) -> str:
    return f"demo-{username}-2026"


class Command(BaseCommand):
    help = "Create demo users for every role (logins printed) and realistic demo data."

    def handle(self, *args: Any, **options: Any) -> None:
        with unscoped():
            users = {}
            for username, role, controllers in DEMO_USERS:
                user, _password = user_create_staff(
                    username=username, role=role, controller_slugs=controllers, password=demo_password(username)
                )
                users[username] = user
            token = token_issue(username="integraatio")
            # The DPO and the administrator log in with a second factor: an enrolled
            # authenticator whose secret is printed below (the same secret on every run).
            otp_secrets = {
                username: otp_secret(otp_device_provision(user=users[username]))
                for username, role, _controllers in DEMO_USERS
                if role in PRIVILEGED_ROLES
            }
            for app_config in apps.get_app_configs():
                if module_has_submodule(app_config.module, "demo"):
                    import_module(f"{app_config.name}.demo").seed(users=users, stdout=self.stdout)
        self.stdout.write("\nDemo logins (username / password, role, controllers):")
        for username, role, controllers in DEMO_USERS:
            self.stdout.write(f"  {username:<12} / {demo_password(username):<26} {role:<12} {', '.join(controllers)}")
        self.stdout.write("\nTwo-factor login (DPO and administrator): add the secret to an authenticator app")
        self.stdout.write("(time-based, 6 digits, 30 s), or print the current code with `oathtool --totp -b SECRET`:")
        for username, secret in otp_secrets.items():
            self.stdout.write(f"  {username:<12} TOTP secret {secret}")
        self.stdout.write(f"\nIntegration API token: {token}")
