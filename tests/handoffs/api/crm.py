"""What a CRM sends (a whole deal) and how a test sends it, and the review steps around it."""

import json

from handoffs import services
from handoffs.models import CHECKLIST, HandoffPacket

HANDOFFS = "/api/v1/handoffs"


def deal(**overrides) -> dict:
    """A complete deal as a CRM would send it: ready for submission as it stands."""
    body = {
        "crm_id": "SF-0001",
        "deal_name": "Initech warehouse rollout",
        "client_name": "Initech Logistics",
        "contract_value": "120000.00",
        "currency": "EUR",
        "signed_on": "2026-10-01",
        "requested_start": "2026-11-02",
        "engagement_kind": "implementation",
        "goals": "Ship every order the day it is placed.",
        "success_criteria": "95% same-day shipping by the end of Q1.",
        "discovery_notes": "Two warehouses, one legacy WMS.",
        "stakeholders": [
            {"name": "Dana Reyes", "title": "COO", "email": "dana@initech.test", "role": "sponsor"},
            {
                "name": "Lee Park",
                "title": "IT lead",
                "email": "lee@initech.test",
                "role": "champion",
            },
        ],
        "items": [
            {"kind": "deliverable", "description": "Integration with the legacy WMS"},
            {"kind": "commitment", "description": "Go-live before Black Friday"},
        ],
    }
    body.update(overrides)
    return body


def post(client, body) -> tuple[int, dict]:
    response = client.post(HANDOFFS, json.dumps(body), content_type="application/json")
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, response.json()


def submit(packet: HandoffPacket, by) -> None:
    services.packet_submit(packet=packet, by=by, base_url="http://acme.localhost")


def review(packet: HandoffPacket, by, decision: str, verdicts: dict, comments: str = "") -> None:
    services.packet_review(
        packet=packet,
        by=by,
        review=services.ReviewInput(
            decision=decision,
            scores=dict.fromkeys((name for name, _ in CHECKLIST), 2),
            verdicts=verdicts,
            comments=comments,
            lead=by,
        ),
        base_url="http://acme.localhost",
    )
