from typing import Any

from django.http import HttpRequest

from core.roles import Role, user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The roles of the signed-in user, for the navigation and the home page."""
    roles = user_roles(getattr(request, "user", None))
    return {"user_roles": roles, "Role": Role}
