"""Charts drawn on the server as inline SVG: no JavaScript, nothing for the CSP to block.

Only presentation attributes (``fill``, ``font-size``…) are used, never ``style`` attributes or
``<style>`` elements, which the Content-Security-Policy (``style-src 'self'``) would refuse. Every
mark carries a ``<title>`` (a tooltip, and text for screen readers), and each chart names itself
with ``role="img"`` and ``aria-label``; the pages also show the same figures as tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

INK = "#1c2833"
MUTED = "#6c7a89"
GRID = "#d5d8dc"
BAR = "#2e86c1"
ACK = "#1e8449"
FEEDBACK = "#e67e22"
FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class TrendPoint:
    """One week: how many reports arrived and the share of deadlines met (None: nothing measured)."""

    label: str
    reports: int
    ack_share: float | None
    feedback_share: float | None


@dataclass(frozen=True)
class ComplianceBar:
    """One agency: the share of acknowledgement and feedback deadlines met."""

    label: str
    ack_share: float | None
    feedback_share: float | None
    assignments: int


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = 11, fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" {FONT}>'
        f"{escape(content)}</text>"
    )


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label={quoteattr(label)} preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    parts = []
    for colour, name in items:
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x + 14, y, name))
        x += 24 + 12 * len(name)
    return parts


def trend_chart(
    points: Sequence[TrendPoint], *, title: str, reports_label: str, ack_label: str, feedback_label: str
) -> Markup:
    """Weekly volume as bars (left axis) and deadline compliance as two lines (right axis, 0–100%)."""
    width, height = 900, 280
    left, right, top, bottom = 48, 48, 30, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((p.reports for p in points), default=0) or 1
    step = plot_w / max(len(points), 1)
    body = [_text(left, 16, title, size=13)]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_h * (1 - fraction)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, f"{round(peak * fraction)}", anchor="end", fill=MUTED))
        body.append(_text(left + plot_w + 6, y + 4, f"{fraction * 100:.0f}%", fill=MUTED))
    lines: dict[str, list[str]] = {"ack": [], "feedback": []}
    for index, point in enumerate(points):
        x = left + step * index
        bar_h = plot_h * point.reports / peak
        body.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - bar_h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bar_h:.1f}" fill="{BAR}" fill-opacity="0.55"><title>{escape(point.label)}: '
            f"{point.reports} · {escape(ack_label)} {_percent(point.ack_share)} · "
            f"{escape(feedback_label)} {_percent(point.feedback_share)}</title></rect>"
        )
        if index % max(1, len(points) // 12) == 0:
            body.append(_text(x + step / 2, height - bottom + 16, point.label[5:], anchor="middle", size=10))
        for key, share in (("ack", point.ack_share), ("feedback", point.feedback_share)):
            if share is not None:
                lines[key].append(f"{x + step / 2:.1f},{top + plot_h * (1 - share):.1f}")
    for key, colour in (("ack", ACK), ("feedback", FEEDBACK)):
        if lines[key]:
            body.append(f'<polyline points="{" ".join(lines[key])}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for pair in lines[key]:
                cx, cy = pair.split(",")
                body.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
    body += _legend(left, height - 8, [(BAR, reports_label), (ACK, ack_label), (FEEDBACK, feedback_label)])
    return _svg(width, height, title, body)


def compliance_chart(bars: Sequence[ComplianceBar], *, title: str, ack_label: str, feedback_label: str) -> Markup:
    """Per agency, two horizontal bars: acknowledgement and feedback deadlines met (0–100%)."""
    row_h, label_w, width = 34, 260, 900
    top = 30
    plot_w = width - label_w - 70
    height = top + row_h * max(len(bars), 1) + 34
    body = [_text(0, 16, title, size=13)]
    for fraction in (0, 0.5, 0.9, 1):
        x = label_w + plot_w * fraction
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 30}" stroke="{GRID}"/>')
        body.append(_text(x, height - 18, f"{fraction * 100:.0f}%", anchor="middle", size=10, fill=MUTED))
    for index, bar in enumerate(bars):
        y = top + row_h * index
        name = bar.label if len(bar.label) <= 20 else bar.label[:19] + "…"
        body.append(_text(label_w - 8, y + 20, f"{name} ({bar.assignments})", anchor="end"))
        for offset, share, colour, what in (
            (3, bar.ack_share, ACK, ack_label),
            (17, bar.feedback_share, FEEDBACK, feedback_label),
        ):
            length = plot_w * (share or 0)
            body.append(
                f'<rect x="{label_w}" y="{y + offset}" width="{length:.1f}" height="12" fill="{colour}">'
                f"<title>{escape(bar.label)} · {escape(what)} {_percent(share)}</title></rect>"
            )
            body.append(_text(label_w + length + 4, y + offset + 10, _percent(share), size=10, fill=MUTED))
    body += _legend(label_w, height - 2, [(ACK, ack_label), (FEEDBACK, feedback_label)])
    return _svg(width, height, title, body)
