"""The CRM API's request and response bodies: strict input, the packet as the API shows it.

Input is refused unless it is what the OpenAPI schema says, so a client generated from
the schema is never surprised and nothing the database cannot store gets that far:

- every text (body or query) holds no NUL character (PostgreSQL text cannot), which
  ``StrictInput`` checks for each of its text fields and declares in the schema;
- a date is ISO text, ``YYYY-MM-DD`` (no timestamps: 0 is not 1970-01-01);
- a contract value is decimal text (``"120000.00"``) or a whole number, never a float;
- pages and ids are bounded (``PagePagination``, ``PacketId``).
"""

import datetime
import re
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import annotated_types
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from engagements.models import Engagement, Stakeholder
from handoffs import services
from handoffs.models import Currency, HandoffItem, HandoffPacket, HandoffStakeholder
from psops.accounts.emails import email_normalize
from psops.tenancy.services import organization_base_url

# JSON Schema's spelling of StrictInput's text rules: no NUL character anywhere, and
# for a required text, something besides whitespace.
NO_NUL_PATTERN = "^[^\\u0000]*$"
NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
MAX_PAGE_SIZE = 100
# Deep enough for any real list, far from PostgreSQL's bigint limit on OFFSET.
MAX_OFFSET = 1_000_000_000
BIGINT_MAX = 2**63 - 1
MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
MONEY_MAX_WHOLE = 10**12 - 1
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# The addresses Django's EmailValidator takes (the models validate with it), as a
# pattern: JSON Schema's "email" format also allows what it refuses ("a@b.c").
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^\s*{_ATOM}(\.{_ATOM})*@({_LABEL}\.)+[A-Za-z]{{2,63}}\s*$"


def _declare_text_rules(schema: dict[str, Any]) -> None:
    """Add StrictInput's text rules to the plain text properties of a model's schema."""
    for prop in schema.get("properties", {}).values():
        for text in [prop, *prop.get("anyOf", [])]:
            plain = text.get("type") == "string" and not {"format", "pattern", "enum"} & set(text)
            if plain:
                text["pattern"] = NOT_BLANK_PATTERN if text.get("minLength") else NO_NUL_PATTERN


def _required_text(cls: type[BaseModel], name: str | None) -> bool:
    field = cls.model_fields.get(name or "")
    return field is not None and any(
        isinstance(rule, annotated_types.MinLen) and rule.min_length for rule in field.metadata
    )


class StrictInput(Schema):
    """Input the API takes: no unknown key, and text it can store (see the module)."""

    # An unknown key is an error, not silently dropped: a misspelt "item" must not
    # empty the packet's items on the next update.
    model_config = ConfigDict(extra="forbid", json_schema_extra=_declare_text_rules)

    # Every text field of every input schema, present and future: PostgreSQL refuses
    # NUL in text, and a lone surrogate cannot be encoded, so either would be a 500.
    # Text is then stripped, as forms do; the lengths were checked as sent, as the
    # schema says (stripping first would take 200 letters and a space as 200).
    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str) or isinstance(value, Enum):  # choices are str too
            return value
        if "\x00" in value:
            raise PydanticCustomError(
                "text_nul", "Remove the NUL character (\\u0000): text cannot hold it."
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PydanticCustomError(
                "text_unicode", "Send valid Unicode text (no lone surrogates)."
            ) from None
        value = value.strip()
        if not value and _required_text(cls, info.field_name):
            raise PydanticCustomError("text_blank", "This field cannot be blank.")
        return value


def _iso_date_text(value: object) -> object:
    # pydantic would take 0 or "1700000000" as a Unix time: a date is ISO text only.
    if value is None or isinstance(value, datetime.date):
        return value
    if not (isinstance(value, str) and re.fullmatch(ISO_DATE_PATTERN, value)):
        raise PydanticCustomError("date_text", "Send the date as text: YYYY-MM-DD.")
    return value


def _money(value: object) -> object:
    # Decimal text or a whole number: a float (1.5) is not exact, "1e5" nor " 12" is
    # what the schema allows, and a JSON true is not a number.
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= MONEY_MAX_WHOLE:
            return value
    elif isinstance(value, str) and re.fullmatch(MONEY_PATTERN, value):
        return value
    raise PydanticCustomError(
        "money",
        "Send the amount as decimal text with at most 12 digits and 2 decimals "
        '("120000.00"), or as a whole number.',
    )


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date_text)]
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": MONEY_PATTERN},
                {"type": "integer", "minimum": 0, "maximum": MONEY_MAX_WHOLE},
            ]
        }
    ),
]
# Ids are PostgreSQL bigints: a larger number is no id, not a database error.
PacketId = Annotated[int, Field(ge=1, le=BIGINT_MAX)]


class PacketFilters(StrictInput):
    status: HandoffPacket.Status | None = None
    crm_id: str | None = None


class PagePagination(LimitOffsetPagination):
    """``?limit=`` 1 to 100 and ``?offset=`` 0 to a billion; anything else is a 422."""

    class Input(Schema):
        limit: int = Field(MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class StakeholderIn(StrictInput):
    name: str = Field(min_length=1, max_length=200)
    title: str = Field("", max_length=200)
    email: str = Field(
        "",
        max_length=254,
        json_schema_extra={"anyOf": [{"maxLength": 0}, {"pattern": EMAIL_PATTERN}]},
    )
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
    contract_value: Money | None = None
    currency: Currency = Currency.USD
    signed_on: IsoDate | None = None
    requested_start: IsoDate | None = None
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


# What every operation may answer besides its own statuses (errors.py shapes each).
ERRORS = {401: ErrorOut, 413: ErrorOut, 422: ValidationErrorOut, 500: ErrorOut}
