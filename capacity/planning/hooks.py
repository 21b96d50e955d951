"""What planning plugs into the pages and decisions of the layers below (apps.ready)."""


def register() -> None:
    from capacity.planning.selectors import engagement_planning_panel, packet_demand_panel
    from capacity.planning.services import packet_demand_on_decision
    from engagements.panels import EngagementPanel, engagement_panel_register
    from handoffs.decisions import packet_decision_register
    from handoffs.panels import PacketPanel, packet_panel_register

    # The engagement page: who works when (and a summary for the client), allocations.
    engagement_panel_register(
        EngagementPanel(
            name="planning",
            template="capacity/planning/engagement_panel.html",
            read=engagement_planning_panel,
        )
    )
    # The packet page: its tentative staffing demand.
    packet_panel_register(
        PacketPanel(
            name="demand",
            template="capacity/planning/packet_panel.html",
            read=packet_demand_panel,
        )
    )
    # Accepting moves the demand to the new engagement; rejecting drops it.
    packet_decision_register("capacity.demand", packet_demand_on_decision)
