"""The JSON API for CRM integrations: file handoff packets and follow their review.

Mounted at ``/api/v1/`` by ``psops/urls_tenant.py`` only, so the public host does not
serve it. Every call carries ``Authorization: Bearer <token>``; the token is looked up
in the schema of the host's organization, so a token works only for the organization
that issued it, and a revoked one stops working at once. Packets written through the
API are filed as the token's ``acts_as`` user.

``POST /handoffs`` is idempotent per ``crm_id``: the CRM can send the whole deal again
whenever it changes (or retry after a timeout) and there is still one packet.

Errors are JSON: ``{"detail": "..."}``, and for invalid input ``{"detail": "Validation
failed", "errors": {"items.0.kind": ["..."]}}`` with one key per field, dotted into
lists, whether pydantic (types, choices) or the model's own validation refused it.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer
from pydantic import ConfigDict, field_validator

from engagements.models import Engagement, Stakeholder
from handoffs import services
from handoffs.models import (
    ApiToken,
    Currency,
    HandoffItem,
    HandoffPacket,
    HandoffStakeholder,
    HandoffVerdict,
)
from psops.accounts.emails import email_normalize

MAX_PAGE_SIZE = 100


class AuthenticatedRequest(HttpRequest):
    """A request past ``ApiTokenAuth``, for type checkers: django-ninja sets ``auth``."""

    auth: ApiToken


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``, checked against this tenant's active tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return services.api_token_authenticate(raw=token.strip())


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


# --- Schemas ----------------------------------------------------------------------------


class StrictInput(Schema):
    # An unknown key is an error, not silently dropped: a misspelt "item" must not
    # empty the packet's items on the next update. Text is stripped, as forms do.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StakeholderIn(StrictInput):
    name: str = Field(min_length=1, max_length=200)
    title: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    role: Stakeholder.Role = Stakeholder.Role.END_USER

    # One spelling per address, as everywhere else: a CRM that changes an address's
    # case between syncs changes nothing here.
    @field_validator("email")
    @classmethod
    def _email_normalized(cls, value: str) -> str:
        return email_normalize(value)


class ItemIn(StrictInput):
    kind: HandoffItem.Kind
    description: str = Field(min_length=1)


class PacketIn(StrictInput):
    """The whole packet as the CRM knows it; a field left out is stored empty."""

    crm_id: str = Field(
        min_length=1, max_length=100, description="The deal's id in the CRM: the idempotency key."
    )
    deal_name: str = Field(min_length=1, max_length=200)
    client_name: str = Field(
        min_length=1,
        max_length=200,
        description="Matched to an existing client regardless of case, else a new client.",
    )
    contract_value: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: Currency = Currency.USD
    signed_on: datetime.date | None = None
    requested_start: datetime.date | None = None
    engagement_kind: Engagement.Kind = Engagement.Kind.IMPLEMENTATION
    goals: str = ""
    success_criteria: str = ""
    discovery_notes: str = ""
    stakeholders: list[StakeholderIn] = Field(
        default_factory=list, description="Replaces the packet's stakeholders."
    )
    items: list[ItemIn] = Field(default_factory=list, description="Replaces the packet's items.")


class StakeholderOut(Schema):
    name: str
    title: str
    email: str
    role: str


class VerdictOut(Schema):
    round: int
    verdict: str
    note: str


class ItemOut(Schema):
    id: int
    kind: str
    description: str
    latest_verdict: VerdictOut | None = Field(
        description="Services' verdict in the latest review round that judged this item."
    )

    @staticmethod
    def resolve_latest_verdict(item: HandoffItem) -> dict | None:
        verdicts = item.verdicts_newest_first  # prefetched by _packets()
        if not verdicts:
            return None
        latest = verdicts[0]
        return {"round": latest.review.round, "verdict": latest.verdict, "note": latest.note}


class PacketOut(Schema):
    id: int
    crm_id: str
    deal_name: str
    client_name: str
    client_id: int | None
    contract_value: Decimal | None
    currency: str
    signed_on: datetime.date | None
    requested_start: datetime.date | None
    engagement_kind: str
    goals: str
    success_criteria: str
    discovery_notes: str
    status: str
    review_round: int
    surprise_count: int = Field(
        description="Items services judged anything but in scope, in any round."
    )
    engagement_id: int | None = Field(description="The engagement, once the packet is accepted.")
    rejection_reason: str
    filed_by: str
    web_url: str
    submitted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    stakeholders: list[StakeholderOut]
    items: list[ItemOut]

    @staticmethod
    def resolve_filed_by(packet: HandoffPacket) -> str:
        return packet.filed_by.email

    @staticmethod
    def resolve_web_url(packet: HandoffPacket, context) -> str:
        return context["request"].build_absolute_uri(packet.get_absolute_url())

    @staticmethod
    def resolve_stakeholders(packet: HandoffPacket) -> list[HandoffStakeholder]:
        return list(packet.stakeholders.all())

    @staticmethod
    def resolve_items(packet: HandoffPacket) -> list[HandoffItem]:
        return list(packet.items.all())


class PacketDetailOut(PacketOut):
    missing_for_submission: list[str] = Field(
        description="What sales must still add before submitting (empty once submitted)."
    )

    @staticmethod
    def resolve_missing_for_submission(packet: HandoffPacket) -> list[str]:
        if not packet.is_editable:
            return []
        return services.packet_missing_for_submission(packet=packet)


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]]


ERRORS = {401: ErrorOut, 422: ValidationErrorOut}


# --- Reads ------------------------------------------------------------------------------


def _packets() -> QuerySet[HandoffPacket]:
    """Every packet of this organization, with all the API shows, in a fixed number of queries.

    A token is an organization-level integration, so it sees every packet, whoever filed it.
    """
    verdicts = HandoffVerdict.objects.select_related("review").order_by("-review__round", "-id")
    items = HandoffItem.objects.prefetch_related(
        Prefetch("verdicts", queryset=verdicts, to_attr="verdicts_newest_first")
    )
    return (
        HandoffPacket.objects.select_related("client", "filed_by")
        .prefetch_related("stakeholders", Prefetch("items", queryset=items))
        .annotate(
            # Same count as the packet list page (handoffs.selectors.packet_list).
            surprise_count=Count(
                "reviews__verdicts__item",
                filter=~Q(reviews__verdicts__verdict="in_scope"),
                distinct=True,
            )
        )
        .order_by("-id")
    )


@api.get(
    "/handoffs",
    response={200: list[PacketOut], **ERRORS},
    summary="List handoff packets, newest first",
)
@paginate(LimitOffsetPagination, max_limit=MAX_PAGE_SIZE)
def handoff_list(
    request: HttpRequest,
    status: HandoffPacket.Status | None = None,
    crm_id: str | None = None,
) -> QuerySet[HandoffPacket]:
    packets = _packets()
    if status:
        packets = packets.filter(status=status)
    if crm_id:
        packets = packets.filter(crm_id=crm_id.strip())
    return packets


@api.get(
    "/handoffs/{packet_id}",
    response={200: PacketDetailOut, 404: ErrorOut, **ERRORS},
    summary="One handoff packet with its items and their latest verdicts",
)
def handoff_detail(request: HttpRequest, packet_id: int) -> HandoffPacket:
    return get_object_or_404(_packets(), pk=packet_id)


# --- Writes -----------------------------------------------------------------------------

# Model field -> the API field the CRM sent it as.
_API_FIELD_NAMES = {"client": "client_name", "new_client_name": "client_name"}


def _api_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A service's refusal keyed by the API's field names, as the CRM sent them."""
    if not hasattr(error, "error_dict"):
        return {"__all__": error.messages}
    errors: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        errors.setdefault(_API_FIELD_NAMES.get(name, name), []).extend(messages)
    return errors


@api.post(
    "/handoffs",
    response={200: PacketDetailOut, 201: PacketDetailOut, 409: ErrorOut, **ERRORS},
    summary="Create or update the draft packet of a CRM deal (idempotent by crm_id)",
)
def handoff_upsert(request: AuthenticatedRequest, payload: PacketIn) -> Status:
    fields = payload.model_dump(exclude={"client_name", "stakeholders", "items"})
    packet, created = services.packet_upsert_from_crm(
        client_name=payload.client_name,
        fields=fields,
        stakeholders=[services.StakeholderRow(**s.model_dump()) for s in payload.stakeholders],
        items=[services.ItemRow(**item.model_dump()) for item in payload.items],
        by=request.auth.acts_as,
        integration=request.auth.name,
    )
    return Status(201 if created else 200, _packets().get(pk=packet.pk))


# --- Errors -----------------------------------------------------------------------------


def _validation_failed(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Validation failed", "errors": errors}, status=422
    )


def _field_path(location: tuple | list) -> str:
    # ninja locates an error as (source, [body parameter,] field, index, field...).
    source, *path = location or ("body",)
    if source == "body" and path and path[0] == "payload":
        path = path[1:]
    return ".".join(str(part) for part in path) or "__all__"


@api.exception_handler(NinjaValidationError)
def _invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        field = _field_path(error.get("loc", ()))
        message = error.get("msg", "Invalid value.")
        if error.get("type") == "missing":
            message = (
                "Send the packet as a JSON object."
                if field == "__all__"
                else "This field is required."
            )
        errors.setdefault(field, []).append(message)
    return _validation_failed(request, errors)


@api.exception_handler(DjangoValidationError)
def _refused_by_models(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return _validation_failed(request, _api_errors(exc))


@api.exception_handler(services.PacketNotEditable)
def _not_editable(request: HttpRequest, exc: services.PacketNotEditable) -> HttpResponse:
    status = exc.packet.get_status_display().lower()
    return api.create_response(
        request,
        {
            "detail": f"This deal's handoff packet is {status} "
            "and can no longer be changed from the CRM."
        },
        status=409,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "Send a valid API token: Authorization: Bearer <token>."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)
