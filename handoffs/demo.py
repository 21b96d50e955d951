"""Demo handoff packets in every state, written through the services.

One packet has several surprises, one was sent back and resubmitted, one was
accepted into an engagement, one waits past the review SLA.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from engagements.demo_history import HISTORY_CLIENTS
from engagements.models import Engagement, Stakeholder
from engagements.selectors import client_find_by_name
from handoffs import services
from handoffs.demo_history import seed_history
from handoffs.models import (
    CHECKLIST,
    SCORE_MAX,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    Verdict,
)

BASE_URL = "http://{slug}.localhost:8000"
FULL_MARKS = dict.fromkeys((name for name, _ in CHECKLIST), SCORE_MAX)


def _packet(*, by, deal_name, client_name, crm_id, value, items, stakeholders, **fields):
    client = client_find_by_name(name=client_name)
    return services.packet_create(
        by=by,
        deal_name=deal_name,
        crm_id=crm_id,
        client=client,
        new_client_name="" if client else client_name,
        contract_value=Decimal(value),
        items=[services.ItemRow(kind=kind, description=text) for kind, text in items],
        stakeholders=[
            services.StakeholderRow(
                name=name, title=title, role=role, email=f"{name.split()[0].lower()}@example.com"
            )
            for name, title, role in stakeholders
        ],
        **fields,
    )


def _review(
    packet, reviewer, decision, verdicts, *, comments="", lead=None, scores=None, base_url=""
):
    review = services.ReviewInput(
        decision=decision,
        scores=scores or FULL_MARKS,
        comments=comments,
        lead=lead,
        verdicts={
            item.pk: verdicts.get(item.kind, (Verdict.IN_SCOPE, "")) for item in packet.items.all()
        },
    )
    return services.packet_review(packet=packet, by=reviewer, review=review, base_url=base_url)


def seed_tenant(*, organization, users) -> None:
    sales, leader, consultant = users["sales"], users["leader"], users["consultant"]
    if HandoffPacket.objects.filter(filed_by=sales).exists():
        return
    base_url = BASE_URL.format(slug=organization.slug)
    today = timezone.localdate()
    d, c = HandoffItem.Kind.DELIVERABLE, HandoffItem.Kind.CUSTOM_REQUIREMENT
    commitment, assumption = HandoffItem.Kind.COMMITMENT, HandoffItem.Kind.ASSUMPTION
    sponsor, decider = Stakeholder.Role.SPONSOR, Stakeholder.Role.DECISION_MAKER
    is_acme = organization.slug == "acme"
    prefix = "Northwind" if is_acme else "Initrode"

    # Draft: still being written.
    _packet(
        by=sales,
        deal_name=f"{prefix} analytics add-on",
        client_name=prefix if not is_acme else "Northwind Traders",
        crm_id="OPP-1042",
        value="48000",
        requested_start=today + timedelta(days=30),
        goals="See which stores lose orders at checkout.",
        items=[(d, "Checkout funnel dashboard")],
        stakeholders=[],
    )
    if not is_acme:
        return

    # Accepted in round two, after sales clarified a custom requirement.
    accepted = _packet(
        by=sales,
        deal_name="Contoso telehealth launch",
        client_name="Contoso Health",
        crm_id="OPP-0977",
        value="185000",
        signed_on=today - timedelta(days=20),
        requested_start=today + timedelta(days=10),
        goals="Patients book video consultations without calling the clinic.",
        success_criteria="30% of follow-up appointments booked online within 3 months.",
        discovery_notes="Two clinics piloted the booking flow in spring.",
        items=[
            (d, "Video consultation booking in the patient portal"),
            (c, "SSO with the hospital's identity provider"),
            (commitment, "Go-live before the flu season (October 1)"),
            (assumption, "The clinic provides consultation rooms with cameras"),
        ],
        stakeholders=[
            ("Amara Okafor", "Chief Medical Officer", sponsor),
            ("Jon Reyes", "IT Director", decider),
        ],
    )
    services.packet_submit(packet=accepted, by=sales, base_url=base_url)
    _review(
        accepted,
        leader,
        "request_changes",
        {c: ("unclear", "Which identity provider? SAML or OIDC? Not in the SOW.")},
        comments="Please confirm the identity provider and whether SSO was priced.",
        base_url=base_url,
    )
    accepted.refresh_from_db()
    accepted.discovery_notes += "\nSSO: Azure AD over OIDC, priced as 8 days."
    accepted.save()
    services.packet_submit(packet=accepted, by=sales, base_url=base_url)
    _review(
        accepted,
        leader,
        "accept",
        {c: ("needs_custom_work", "OIDC integration, 8 days as priced.")},
        comments="Thanks, clear now.",
        lead=consultant,
        base_url=base_url,
    )

    # Several surprises: sent back.
    surprises = _packet(
        by=sales,
        deal_name="Fabrikam route optimisation",
        client_name="Fabrikam Logistics",
        crm_id="OPP-1003",
        value="92000",
        signed_on=today - timedelta(days=9),
        requested_start=today + timedelta(days=5),
        goals="Cut empty kilometres by a fifth.",
        success_criteria="Empty-run share below 12% on two depots.",
        items=[
            (d, "Route optimisation for two depots"),
            (c, "Real-time re-routing when a truck breaks down"),
            (commitment, "Live in 3 weeks"),
            (assumption, "GPS data available per minute"),
        ],
        stakeholders=[("Lars Eriksen", "Fleet Director", sponsor)],
    )
    services.packet_submit(packet=surprises, by=sales, base_url=base_url)
    _review(
        surprises,
        leader,
        "request_changes",
        {
            c: ("not_possible", "Real-time re-routing is not in the product."),
            commitment: ("unclear", "3 weeks for two depots conflicts with the depot rollout."),
            assumption: ("needs_custom_work", "Their telematics export is hourly, not per minute."),
        },
        comments="Three surprises: please align scope with the client before we start.",
        scores={**FULL_MARKS, "scope_clear": 0, "timeline_realistic": 0, "custom_work_priced": 1},
        base_url=base_url,
    )

    # Waiting for review, past the SLA.
    waiting = _packet(
        by=sales,
        deal_name="Tailspin crew scheduling",
        client_name="Tailspin Airlines",
        crm_id="OPP-1011",
        value="240000",
        signed_on=today - timedelta(days=12),
        requested_start=today + timedelta(days=25),
        goals="Crew rosters respect rest rules automatically.",
        success_criteria="No manual roster fixes for rest-rule violations after month two.",
        items=[(d, "Crew scheduling module"), (c, "Union rule engine for Spain")],
        stakeholders=[("Elena Ruiz", "VP Operations", sponsor)],
    )
    services.packet_submit(packet=waiting, by=sales, base_url=base_url)
    HandoffPacket.objects.filter(pk=waiting.pk).update(
        submitted_at=timezone.now() - timedelta(days=6),
        first_submitted_at=timezone.now() - timedelta(days=6),
    )

    # Rejected.
    rejected = _packet(
        by=sales,
        deal_name="Umbrella hardware resale",
        client_name="Umbrella Pharma",
        crm_id="OPP-0950",
        value="15000",
        goals="Buy scanners through us.",
        success_criteria="Scanners delivered.",
        items=[(d, "Resale of 40 barcode scanners")],
        stakeholders=[("Albert Wesker", "Procurement", sponsor)],
    )
    services.packet_submit(packet=rejected, by=sales, base_url=base_url)
    _review(
        rejected,
        leader,
        "reject",
        {d: ("not_possible", "We do not resell hardware.")},
        comments="Hardware resale is not a PS engagement; route to the partner team.",
        base_url=base_url,
    )
    # Filed and turned down 40 days ago, in two business days: a round is reviewed
    # after it was submitted, never before.
    HandoffReview.objects.filter(packet=rejected).update(
        submitted_at=timezone.now() - timedelta(days=42),
        created_at=timezone.now() - timedelta(days=40),
    )
    HandoffPacket.objects.filter(pk=rejected.pk).update(
        submitted_at=timezone.now() - timedelta(days=42),
        first_submitted_at=timezone.now() - timedelta(days=42),
        decided_at=timezone.now() - timedelta(days=40),
    )
    if is_acme:
        # A year of handoffs behind the story, the same on every run.
        history = Engagement.objects.filter(
            client__name__in=[name for name, _, _ in HISTORY_CLIENTS]
        ).order_by("start_date", "id")
        seed_history(engagements=list(history), rng=random.Random("acme-handoffs"))  # noqa: S311
