"""Server-rendered SVG charts: no JavaScript library, no CDN, readable by screen readers.

Charts here are small (a handful of bars); inline SVG renders with the page, works
without JavaScript and carries its own text alternative.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 170
CHART_WIDTH = 520


def horizontal_bars_svg(*, title: str, rows: list[tuple[str, int]]) -> SafeString:
    """Horizontal bars, one per (label, value), with the values written beside them."""
    if not rows:
        return mark_safe("")
    largest = max(value for _, value in rows) or 1
    plot_width = CHART_WIDTH - LABEL_WIDTH - 50
    height = len(rows) * (BAR_HEIGHT + BAR_GAP)
    description = "; ".join(f"{label}: {value}" for label, value in rows)
    bars = format_html_join(
        "",
        '<g transform="translate(0,{})"><text x="{}" y="{}" text-anchor="end" class="chart-label">'
        '{}</text><rect x="{}" y="0" width="{}" height="{}" rx="3" class="chart-bar"><title>{}: {}'
        '</title></rect><text x="{}" y="{}" class="chart-value">{}</text></g>',
        (
            (
                index * (BAR_HEIGHT + BAR_GAP),
                LABEL_WIDTH - 8,
                BAR_HEIGHT - 6,
                label if len(label) <= 24 else label[:23] + "…",
                LABEL_WIDTH,
                max(2, round(plot_width * value / largest)) if value else 0,
                BAR_HEIGHT,
                label,
                value,
                LABEL_WIDTH + (round(plot_width * value / largest) if value else 0) + 6,
                BAR_HEIGHT - 6,
                value,
            )
            for index, (label, value) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}: {}" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet"><title>{}</title>{}</svg>',
        title,
        description,
        CHART_WIDTH,
        height,
        title,
        bars,
    )
