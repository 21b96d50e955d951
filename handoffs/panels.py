"""Panels that upper layers add to the handoff packet page.

The packet page belongs to handoffs, which knows no app above it. An app that keeps
something on a packet (capacity's tentative demand) registers a panel here when
Django starts (its ``AppConfig.ready``): a template and a function that reads what
the template needs, in a fixed number of queries. The page includes each panel's
template, in registration order, with ``panel`` set to what that function returned.
The function sees only packets the viewer may already read (``packets_visible_to``);
it decides what of its own the viewer may change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handoffs.models import HandoffPacket
from psops.accounts.models import User


@dataclass(frozen=True)
class PacketPanel:
    name: str
    template: str
    # (viewer, packet) -> the template's ``panel``; None leaves the panel out.
    read: Callable[[User, HandoffPacket], dict[str, Any] | None]


_PANELS: dict[str, PacketPanel] = {}


def packet_panel_register(panel: PacketPanel) -> None:
    """Add ``panel`` to the packet page; registering a name again replaces it."""
    _PANELS[panel.name] = panel


def packet_panels(*, user: User, packet: HandoffPacket) -> list[dict[str, Any]]:
    """Each registered panel's template and data for this viewer and packet."""
    shown = []
    for panel in _PANELS.values():
        data = panel.read(user, packet)
        if data is not None:
            shown.append({"template": panel.template, "data": data})
    return shown
