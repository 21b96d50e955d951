"""The CRM API's request and response bodies: strict input, the packet as the API shows it."""

import datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from engagements.models import Engagement, Stakeholder
from handoffs import services
from handoffs.models import Currency, HandoffItem, HandoffPacket, HandoffStakeholder
from psops.accounts.emails import email_normalize
from psops.tenancy.services import organization_base_url


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
        # From configuration, like every link PS Ops hands out, not from the Host header;
        # looked up once per request, not once per packet of a list.
        request = context["request"]
        if not hasattr(request, "psops_base_url"):
            request.psops_base_url = organization_base_url()
        return request.psops_base_url + packet.get_absolute_url()

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
