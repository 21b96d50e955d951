"""What upper layers do when a packet is decided, inside the decision's transaction.

handoffs knows no app above it. An app that keeps something on a packet (capacity's
tentative demand) registers a function here when Django starts (its
``AppConfig.ready``); ``packet_review`` calls each one after the decision is applied
and before it commits, so the decision and what follows from it land together or
not at all. A function that raises ``ValidationError`` refuses the decision.
"""

from collections.abc import Callable

from engagements.models import Engagement
from handoffs.models import HandoffPacket
from psops.accounts.models import User

# (packet, engagement or None, decision, by) -> None
Handler = Callable[[HandoffPacket, Engagement | None, str, User], None]

_HANDLERS: dict[str, Handler] = {}


def packet_decision_register(name: str, handler: Handler) -> None:
    """Call ``handler`` on every decision; registering a name again replaces it."""
    _HANDLERS[name] = handler


def packet_decided(*, packet: HandoffPacket, decision: str, by: User) -> None:
    for handler in _HANDLERS.values():
        handler(packet, packet.engagement, decision, by)
