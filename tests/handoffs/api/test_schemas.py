"""The API's bodies carry exactly the packet's fields, as the models define them."""

from handoffs.api.schemas import ItemIn, PacketIn, PacketOut, StakeholderIn
from handoffs.models import ITEM_FIELDS, PACKET_FIELDS, STAKEHOLDER_FIELDS

# The CRM names the client; the service matches it to a client or a new client's name.
CRM_NAMES = {"client": "client_name", "new_client_name": "client_name"}


def test_a_deal_sent_by_the_crm_has_every_field_sales_writes_and_no_other():
    expected = {CRM_NAMES.get(name, name) for name in PACKET_FIELDS}

    assert set(PacketIn.model_fields) == expected | {"stakeholders", "items"}
    assert set(StakeholderIn.model_fields) == set(STAKEHOLDER_FIELDS)
    assert set(ItemIn.model_fields) == set(ITEM_FIELDS)


def test_the_packet_shown_has_every_field_sales_writes():
    shown = set(PacketOut.model_fields)

    assert {CRM_NAMES.get(name, name) for name in PACKET_FIELDS} <= shown
