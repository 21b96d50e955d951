"""Panels that upper layers add to the engagement page.

The engagement page belongs to engagements, which knows no app above it. An app
that has something to say about an engagement (the risks the scans found, say)
registers a panel here when Django starts (its ``AppConfig.ready``): a template and
a function that reads what the template needs, in a fixed number of queries. The
page includes each panel's template, in registration order, with ``panel`` set
to what that function returned: ``top`` panels under the summary, the others in the
main column after the follow-ups.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engagements.models import Engagement
from psops.accounts.models import User


@dataclass(frozen=True)
class EngagementPanel:
    name: str
    template: str
    # (viewer, engagement) -> the template's ``panel``; None leaves the panel out.
    read: Callable[[User, Engagement], dict[str, Any] | None]
    top: bool = False


_PANELS: dict[str, EngagementPanel] = {}


def engagement_panel_register(panel: EngagementPanel) -> None:
    """Add ``panel`` to the engagement page; registering a name again replaces it."""
    _PANELS[panel.name] = panel


def engagement_panels(*, user: User, engagement: Engagement) -> list[dict[str, Any]]:
    """Each registered panel's template and data for this viewer and engagement."""
    shown = []
    for panel in _PANELS.values():
        data = panel.read(user, engagement)
        if data is not None:
            shown.append({"template": panel.template, "data": data, "top": panel.top})
    return shown
