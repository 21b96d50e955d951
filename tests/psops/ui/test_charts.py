"""The two chart renderers: bars for counts, sparklines for a KPI's history."""

from decimal import Decimal

from psops.ui.charts import BAR_SPACE, Bar, horizontal_bars_svg, sparkline_svg


def test_bars_scale_to_the_longest_and_a_screen_reader_hears_every_value():
    svg = horizontal_bars_svg(title="Open", bars=[Bar("Active", 4), Bar("At risk", 2)])

    assert 'aria-label="Open: Active: 4; At risk: 2"' in svg
    assert f'width="{float(BAR_SPACE)}"' in svg  # the longest bar takes the whole space
    assert f'width="{BAR_SPACE / 2}"' in svg


def test_labels_are_escaped_and_long_ones_shortened_on_the_chart_only():
    label = "<b>A very long status label that goes on</b>"
    svg = horizontal_bars_svg(title="T", bars=[Bar(label, 1)])

    assert "<b>" not in svg
    assert "&lt;b&gt;A very long status lab…" in svg
    assert "&lt;b&gt;A very long status label that goes on&lt;/b&gt;: 1" in svg


def test_no_bars_draw_nothing_and_all_zero_bars_do_not_divide_by_zero():
    assert horizontal_bars_svg(title="T", bars=[]) == ""
    assert 'width="0.0"' in horizontal_bars_svg(title="T", bars=[Bar("None yet", 0)])


def test_a_sparkline_breaks_at_missing_values_and_marks_the_last():
    svg = sparkline_svg(values=[Decimal(1), None, Decimal(2), Decimal(3)], label="Trend")

    assert svg.count("<polyline") == 2
    assert "<circle" in svg
    assert 'aria-label="Trend"' in svg


def test_a_sparkline_without_values_is_a_flat_placeholder():
    svg = sparkline_svg(values=[None, None], label="No history yet")

    assert "sparkline-empty" in svg
    assert "<polyline" not in svg
