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
        request = verify_every_identifier(request)
    return request


def verify_every_identifier(request: Any) -> Any:
    """The identity checked, and every address and number of the request shown to be the
    subject's: a reply from the first address, a call-back to the first number, a note for others."""
    from privacy.services import request_verify_identity

    dpo = _staff(request.controller, "dpo")
    if request.email:
        request = request_verify_identity(request=request, actor=dpo, method="email_on_file")
    if request.phone:
        request = request_verify_identity(request=request, actor=dpo, method="callback_on_file")
    rest = [i.value for i in request.identifiers.filter(verified_at__isnull=True)]
    if rest:
        request = request_verify_identity(
            request=request, actor=dpo, method="other", note="replied from each address", identifiers=rest
        )
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


def api_verify_and_review(api: Any, pk: int, *, review: bool = True) -> None:
    """Through the API, as the DPO does it: the identity checked by a reply from the first address
    and a call-back to the first number (each proving its own identifier), the others proved by a
    note, the records searched, and the review of what was found saved as it stands."""
    url = f"/api/v1/privacy-requests/{pk}/"
    detail = api.get(url).json()
    if detail["email"]:
        assert api.post(f"{url}verify-identity/", {"method": "email_on_file"}, format="json").status_code == 200
    if detail["phone"]:
        assert api.post(f"{url}verify-identity/", {"method": "callback_on_file"}, format="json").status_code == 200
    rest = [i["value"] for i in api.get(url).json()["identifiers"] if not i["verified"]]
    if rest:
        body = {"method": "other", "note": "replied from each address", "identifiers": rest}
        assert api.post(f"{url}verify-identity/", body, format="json").status_code == 200
    assert api.get(f"{url}matches/").status_code == 200
    if review:
        assert api.post(f"{url}matches/", {}, format="json").status_code == 200
