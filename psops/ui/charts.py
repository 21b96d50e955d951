"""Server-rendered SVG charts: no JavaScript library, no CDN, readable by screen readers.

Charts are small (a handful of bars, a dozen weekly points). Inline SVG renders with
the page, works without JavaScript and carries its own text alternative: each chart
is one image (``role="img"``) whose label says everything it shows. Every text goes
through ``format_html``, so a name like ``<script>`` is only text.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# --- Horizontal bars ---------------------------------------------------------------------

CHART_WIDTH = 640
LABEL_WIDTH = 180  # labels end here, right-aligned
BAR_LEFT = LABEL_WIDTH + 10
BAR_SPACE = CHART_WIDTH - BAR_LEFT - 50  # room for the value after the longest bar
ROW_HEIGHT = 28
BAR_HEIGHT = 18
LABEL_CHARACTERS = 26


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | Decimal
    # The bar's tooltip; "label: value" unless said otherwise.
    detail: str = ""


def horizontal_bars_svg(*, title: str, bars: Sequence[Bar]) -> SafeString:
    """One horizontal bar per item, its value written after it; empty for no bars.

    The image's label is ``title`` followed by every "label: value", so a screen
    reader hears the whole chart; a long label is shortened on the chart only.
    """
    if not bars:
        return SafeString("")
    longest = max(bar.value for bar in bars) or 1
    summary = f"{title}: " + "; ".join(f"{bar.label}: {bar.value}" for bar in bars)
    rows = []
    for index, bar in enumerate(bars):
        top = index * ROW_HEIGHT + 4
        width = round(BAR_SPACE * float(bar.value) / float(longest), 1)
        label = bar.label
        if len(label) > LABEL_CHARACTERS:
            label = label[: LABEL_CHARACTERS - 1] + "…"
        rows.append(
            (
                bar.detail or f"{bar.label}: {bar.value}",
                LABEL_WIDTH,
                top + BAR_HEIGHT - 4,
                label,
                BAR_LEFT,
                top,
                width,
                BAR_HEIGHT,
                BAR_LEFT + width + 6,
                top + BAR_HEIGHT - 4,
                bar.value,
            )
        )
    body = format_html_join(
        "",
        '<g class="chart-row"><title>{}</title>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" rx="3"></rect>'
        '<text class="chart-value" x="{}" y="{}">{}</text></g>',
        rows,
    )
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'role="img" aria-label="{}"><title>{}</title>{}</svg>',
        CHART_WIDTH,
        ROW_HEIGHT * len(bars) + 4,
        summary,
        summary,
        body,
    )


# --- Sparklines ------------------------------------------------------------------------------

SPARK_WIDTH = 120
SPARK_HEIGHT = 32
SPARK_PAD = 3


def sparkline_svg(*, values: Sequence[Decimal | None], label: str) -> SafeString:
    """A small line through ``values`` (oldest first), with ``label`` as its text.

    A missing value (None) breaks the line; the last value gets a dot. With no value
    at all, a flat grey line stands in (class ``sparkline-empty``).
    """
    present = [(index, value) for index, value in enumerate(values) if value is not None]
    if not present:
        return format_html(
            '<svg class="sparkline sparkline-empty" viewBox="0 0 {} {}" width="{}" height="{}" '
            'role="img" aria-label="{}"><title>{}</title>'
            '<line x1="{}" y1="{}" x2="{}" y2="{}"></line></svg>',
            SPARK_WIDTH,
            SPARK_HEIGHT,
            SPARK_WIDTH,
            SPARK_HEIGHT,
            label,
            label,
            SPARK_PAD,
            SPARK_HEIGHT / 2,
            SPARK_WIDTH - SPARK_PAD,
            SPARK_HEIGHT / 2,
        )
    numbers = [value for _, value in present]
    low, high = min(numbers), max(numbers)
    span = (high - low) or Decimal(1)
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(values) - 1, 1)

    def xy(index: int, value: Decimal) -> tuple[float, float]:
        x = SPARK_PAD + index * step
        if high == low:
            y = SPARK_HEIGHT / 2
        else:
            y = SPARK_PAD + float((high - value) / span) * (SPARK_HEIGHT - 2 * SPARK_PAD)
        return round(x, 1), round(y, 1)

    segments: list[list[tuple[float, float]]] = []
    previous = None
    for index, value in present:
        if previous is None or index != previous + 1:
            segments.append([])
        segments[-1].append(xy(index, value))
        previous = index
    lines = format_html_join(
        "",
        '<polyline points="{}"></polyline>',
        ((" ".join(f"{x},{y}" for x, y in segment),) for segment in segments),
    )
    last_x, last_y = xy(*present[-1])
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}"><title>{}</title>{}<circle cx="{}" cy="{}" r="2.5"></circle></svg>',
        SPARK_WIDTH,
        SPARK_HEIGHT,
        SPARK_WIDTH,
        SPARK_HEIGHT,
        label,
        label,
        lines,
        last_x,
        last_y,
    )
