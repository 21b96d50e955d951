"""The CRM API's endpoints: list and read packets, file or update a deal's draft.

Endpoints only translate: reads come from ``_packets()``, writes go through
``handoffs.services``, and refusals are turned into responses by ``errors``.
"""

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from handoffs import services
from handoffs.api.schemas import (
    ERRORS,
    ErrorOut,
    PacketDetailOut,
    PacketFilters,
    PacketId,
    PacketIn,
    PacketOut,
    PagePagination,
)
from handoffs.models import PACKET_FIELDS, ApiToken, HandoffItem, HandoffPacket, HandoffVerdict
from handoffs.selectors import surprise_count

# The operation ids are the ones the API had as a single module: clients generated
# from the OpenAPI schema keep their method names.
router = Router()


class AuthenticatedRequest(HttpRequest):
    """A request past ``ApiTokenAuth``, for type checkers: django-ninja sets ``auth``."""

    auth: ApiToken


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
        .annotate(surprise_count=surprise_count())
        .order_by("-id")
    )


@router.get(
    "/handoffs",
    operation_id="handoffs_api_handoff_list",
    response={200: list[PacketOut], **ERRORS},
    summary="List handoff packets, newest first",
)
@paginate(PagePagination)
def handoff_list(request: HttpRequest, filters: Query[PacketFilters]) -> QuerySet[HandoffPacket]:
    packets = _packets()
    if filters.status:
        packets = packets.filter(status=filters.status)
    if filters.crm_id:
        packets = packets.filter(crm_id=filters.crm_id)
    return packets


@router.get(
    "/handoffs/{packet_id}",
    operation_id="handoffs_api_handoff_detail",
    response={200: PacketDetailOut, 404: ErrorOut, **ERRORS},
    summary="One handoff packet with its items and their latest verdicts",
)
def handoff_detail(request: HttpRequest, packet_id: PacketId) -> HandoffPacket:
    return get_object_or_404(_packets(), pk=packet_id)


@router.post(
    "/handoffs",
    operation_id="handoffs_api_handoff_upsert",
    # 400: a body that is not JSON at all.
    response={200: PacketDetailOut, 201: PacketDetailOut, 400: ErrorOut, 409: ErrorOut, **ERRORS},
    summary="Create or update the draft packet of a CRM deal (idempotent by crm_id)",
)
def handoff_upsert(request: AuthenticatedRequest, payload: PacketIn) -> Status:
    # The client is matched by name in the service; every other field is the packet's own.
    fields = payload.model_dump(include=set(PACKET_FIELDS))
    packet, created = services.packet_upsert_from_crm(
        client_name=payload.client_name,
        fields=fields,
        stakeholders=[services.StakeholderRow(**s.model_dump()) for s in payload.stakeholders],
        items=[services.ItemRow(**item.model_dump()) for item in payload.items],
        by=request.auth.acts_as,
        integration=request.auth.name,
    )
    return Status(201 if created else 200, _packets().get(pk=packet.pk))
