"""Privacy requests for the tests and the IDOR harness."""

from __future__ import annotations

from typing import Any

from core.models import Controller
from tests.factories import _staff, object_factory


def make_privacy_request(controller: Controller, **fields: Any) -> Any:
    from privacy.services import request_create

    verified = fields.pop("verified", False)
    defaults = {"kind": "access", "name": "Maija Meikäläinen", "email": "maija@example.fi"}
    request = request_create(controller=controller, actor=_staff(controller, "dpo"), **{**defaults, **fields})
    if verified:
        from privacy.services import request_verify_identity

        request = request_verify_identity(request=request, actor=_staff(controller, "dpo"), method="email_on_file")
    return request


@object_factory("privacy.privacyrequest")
def make_answered_privacy_request(controller: Controller, **fields: Any) -> Any:
    """An access request with its identity checked and its copy built: every endpoint of the
    request, the ZIP download included, has something to serve its own controller's DPO."""
    from privacy.exports import export_build
    from privacy.models import RequestExport

    request = make_privacy_request(controller, verified=True, **fields)
    export = RequestExport.objects.create(request=request, controller=controller)
    export_build(export_id=export.pk)
    request.refresh_from_db()
    return request
