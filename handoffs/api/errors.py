"""From a refusal to the API's JSON answer: every error the API sends is shaped here.

``{"detail": "..."}`` for 400, 401, 404, 409 and 500, and for invalid input ``{"detail":
"Validation failed", "errors": {"items.0.kind": ["..."]}}`` with one key per field,
dotted into lists, whether pydantic (types, choices) or the services (the models'
own validation) refused it. The services know nothing of HTTP: they raise Django's
ValidationError or ``PacketNotEditable``, and ``register`` maps them. Anything else
raised in an endpoint is a bug: logged with its traceback like any server error, and
answered as JSON 500 that tells nothing of it (``DEBUG`` on or off). Errors Django
answers outside the endpoints are made JSON by ``handoffs.api.middleware``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.log import log_response
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from handoffs import services
from handoffs.api.middleware import SERVER_ERROR
from handoffs.models import HandoffPacket

# Model field -> the API field the CRM sent it as.
_API_FIELD_NAMES = {"client": "client_name", "new_client_name": "client_name"}


def api_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A service's refusal keyed by the API's field names, as the CRM sent them."""
    if not hasattr(error, "error_dict"):
        return {"__all__": error.messages}
    errors: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        errors.setdefault(_API_FIELD_NAMES.get(name, name), []).extend(messages)
    return errors


def field_path(location: tuple | list) -> str:
    """Where pydantic located an error, as the API's dotted key."""
    # ninja locates an error as (source, [body parameter,] field, index, field...).
    source, *path = location or ("body",)
    if source == "body" and path and path[0] == "payload":
        path = path[1:]
    return ".".join(str(part) for part in path) or "__all__"


def not_editable_detail(packet: HandoffPacket) -> str:
    status = packet.get_status_display().lower()
    return f"This deal's handoff packet is {status} and can no longer be changed from the CRM."


def register(api: NinjaAPI) -> None:
    """Install the API's exception handlers."""

    def validation_failed(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
        return api.create_response(
            request, {"detail": "Validation failed", "errors": errors}, status=422
        )

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            field = field_path(error.get("loc", ()))
            message = error.get("msg", "Invalid value.")
            if error.get("type") == "missing":
                message = (
                    "Send the packet as a JSON object."
                    if field == "__all__"
                    else "This field is required."
                )
            errors.setdefault(field, []).append(message)
        return validation_failed(request, errors)

    @api.exception_handler(DjangoValidationError)
    def refused_by_models(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return validation_failed(request, api_errors(exc))

    @api.exception_handler(services.PacketNotEditable)
    def not_editable(request: HttpRequest, exc: services.PacketNotEditable) -> HttpResponse:
        return api.create_response(request, {"detail": not_editable_detail(exc.packet)}, status=409)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request,
            {"detail": "Send a valid API token: Authorization: Bearer <token>."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": "Not found."}, status=404)

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        response = api.create_response(request, {"detail": SERVER_ERROR}, status=500)
        # As Django logs an unhandled error (django.request): admins' mail, log shippers.
        log_response(
            "Internal Server Error: %s",
            request.path,
            response=response,
            request=request,
            exception=exc,
        )
        return response
