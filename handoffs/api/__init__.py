"""The JSON API for CRM integrations: file handoff packets and follow their review.

Mounted at ``/api/v1/`` by ``config/urls_tenant.py`` only, so the public host does not
serve it. Every call carries ``Authorization: Bearer <token>``; the token is looked up
in the schema of the host's organization, so a token works only for the organization
that issued it, and a revoked one stops working at once. Packets written through the
API are filed as the token's ``acts_as`` user.

``POST /handoffs`` is idempotent per ``crm_id``: the CRM can send the whole deal again
whenever it changes (or retry after a timeout) and there is still one packet.

Errors are JSON (``errors``). The package: ``schemas`` (request and response bodies),
``endpoints`` (the routes, which read through ``_packets()`` and write through
``handoffs.services``), ``errors`` (every exception's response).
"""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import HttpBearer

from handoffs import services
from handoffs.api import errors
from handoffs.api.endpoints import router
from handoffs.models import ApiToken
from psops.audit.context import audit_actor_set

__all__ = ["api"]


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``, checked against this tenant's active tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = services.api_token_authenticate(raw=token.strip())
        if found is not None:
            # The request's writes are the token's, acting as its sales user.
            audit_actor_set(
                request,
                kind="token",
                label=f"API token “{found.name}” ({found.acts_as.email})",
                user_id=found.acts_as_id,
                token_id=found.pk,
            )
        return found


api = NinjaAPI(
    title="PS Ops CRM API",
    version="1",
    description=(
        "File handoff packets from the CRM and follow their review. Authenticate with "
        "`Authorization: Bearer <token>`; an admin creates tokens under Settings, API tokens."
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
    # The interactive docs page loads Swagger UI from a CDN unless "ninja" is an installed
    # app; the app must work on a closed network, so only the OpenAPI schema is served.
    docs_url=None,
)
api.add_router("", router)
errors.register(api)
