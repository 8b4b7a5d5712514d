"""The PSI report as one self-contained HTML page: an on-call engineer opens it in a browser.

No script, no font, no stylesheet or image is fetched: the charts are inline SVG drawn from the
report's own bin shares (the bins the PSI was computed on, `<missing>` and `<unseen>` included),
so the page reads the same offline, attached to a ticket or served from an artifact store.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any, Final

#: Verdict colours (stable, warn, alert), readable as text on white and as badge backgrounds.
VERDICT_COLOURS: Final = {"stable": "#1a7f37", "warn": "#9a6700", "alert": "#cf222e"}
REFERENCE_COLOUR: Final = "#8c9fb0"
CURRENT_COLOUR: Final = "#e8743b"
CHART_WIDTH: Final = 720
CHART_HEIGHT: Final = 240
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 48, 12, 12, 64
_FLOAT: Final = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")

_STYLE: Final = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 .25rem; }
.badge { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; color: #fff;
         font-weight: 600; text-transform: uppercase; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { text-align: left; padding: .25rem .75rem .25rem 0; border-bottom: 1px solid #d0d7de; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; }
dt { color: #59636e; }
dd { margin: 0; }
.meter { display: inline-block; height: .6rem; border-radius: .3rem; vertical-align: middle; }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
.note { color: #59636e; }
"""


def _number(value: float) -> str:
    return f"{value:.4f}"


def _short_label(label: str) -> str:
    """A bin name with its edges at four significant digits: `[0.1234, 5.679)`."""
    return _FLOAT.sub(lambda match: f"{float(match.group()):.4g}", label)


def _bin_psi(reference: float, current: float, epsilon: float) -> float:
    ref, cur = max(reference, epsilon), max(current, epsilon)
    return (cur - ref) * math.log(cur / ref)


def bin_chart(name: str, bins: list[dict[str, Any]], epsilon: float) -> str:
    """Grouped bars of the reference and current share of each bin, as an inline SVG."""
    plot_w = CHART_WIDTH - _MARGIN_LEFT - _MARGIN_RIGHT
    plot_h = CHART_HEIGHT - _MARGIN_TOP - _MARGIN_BOTTOM
    top = max([0.0, *(max(b["reference"], b["current"]) for b in bins)])
    # Gridlines every 10 % (20 % above half), the axis ending at the step above the tallest bar.
    step = 0.1 if top <= 0.5 else 0.2
    y_max = max(step, math.ceil(top / step - 1e-9) * step)
    slot = plot_w / len(bins)
    bar = slot * 0.38
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
        f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
        f'aria-label="{escape(name)}: reference and current share per bin">'
    ]
    for tick in range(round(y_max / step) + 1):
        share = tick * step
        y = _MARGIN_TOP + plot_h * (1 - share / y_max)
        parts.append(
            f'<line x1="{_MARGIN_LEFT}" x2="{CHART_WIDTH - _MARGIN_RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{_MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{share:.0%}</text>'
        )
    baseline = _MARGIN_TOP + plot_h
    for index, entry in enumerate(bins):
        left = _MARGIN_LEFT + index * slot + (slot - 2 * bar) / 2
        label = str(entry["bin"])
        contribution = _bin_psi(entry["reference"], entry["current"], epsilon)
        tooltip = escape(
            f"{label}: reference {entry['reference']:.2%}, current {entry['current']:.2%}, "
            f"PSI contribution {contribution:.4f}"
        )
        for offset, key, colour in (
            (0.0, "reference", REFERENCE_COLOUR),
            (bar, "current", CURRENT_COLOUR),
        ):
            height = plot_h * entry[key] / y_max
            parts.append(
                f'<rect x="{left + offset:.1f}" y="{baseline - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{colour}"><title>{tooltip}</title></rect>'
            )
        centre = _MARGIN_LEFT + (index + 0.5) * slot
        parts.append(
            f'<text x="{centre:.1f}" y="{baseline + 14}" text-anchor="end" '
            f'transform="rotate(-30 {centre:.1f} {baseline + 14})">'
            f"{escape(_short_label(label))}</text>"
        )
    parts.append(
        f'<line x1="{_MARGIN_LEFT}" x2="{CHART_WIDTH - _MARGIN_RIGHT}" y1="{baseline}" '
        f'y2="{baseline}" stroke="#59636e" stroke-width="1"/></svg>'
    )
    return "".join(parts)


def _badge(verdict: str) -> str:
    return (
        f'<span class="badge" style="background:{VERDICT_COLOURS[verdict]}">'
        f"{escape(verdict)}</span>"
    )


def render_html(
    report: dict[str, Any], *, service: str, reference: str, current: str, epsilon: float
) -> str:
    """The report as an HTML document; `reference` and `current` name what was compared."""
    thresholds = report["thresholds"]
    ranked = sorted(report["features"].items(), key=lambda item: (-item[1]["psi"], item[0]))
    window = report.get("window") or {}
    since, until = window.get("since"), window.get("until")
    window_text = (
        f"{since or 'the first record'} to {until or 'the last record'}"
        if since or until
        else "every row of the current input"
    )
    scale = max(thresholds["alert"] * 1.5, report["max_psi"])
    rows = []
    for name, feature in ranked:
        width = 160 * min(feature["psi"] / scale, 1.0)
        colour = VERDICT_COLOURS[feature["verdict"]]
        rows.append(
            f'<tr><td><a href="#feature-{escape(name)}">{escape(name)}</a></td>'
            f'<td class="num">{_number(feature["psi"])}</td><td>{_badge(feature["verdict"])}</td>'
            f'<td><span class="meter" style="width:{width:.0f}px;background:{colour}"></span>'
            "</td></tr>"
        )
    sections = []
    for name, feature in ranked:
        sections.append(
            f'<h2 id="feature-{escape(name)}">{escape(name)}: PSI {_number(feature["psi"])} '
            f"{_badge(feature['verdict'])}</h2>"
            f"{bin_chart(name, feature['bins'], epsilon)}"
        )
    unmonitored = report.get("unmonitored") or []
    unmonitored_note = (
        '<p class="note">Not compared (never written to the prediction log): '
        + ", ".join(escape(name) for name in unmonitored)
        + ".</p>"
        if unmonitored
        else ""
    )
    verdict = report["verdict"]
    action = (
        "PAGE_ON_CALL (R11, scar SCA-0201): inspect the window, retrain or roll back."
        if verdict == "alert"
        else "Watch the next windows."
        if verdict == "warn"
        else "No action needed."
    )
    title = f"Drift report: {service}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            # Nothing may leave the page: no network fetch of any kind, no inline script.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            f"<h1>{escape(title)}</h1>",
            f"<p>{_badge(verdict)} max PSI <strong>{_number(report['max_psi'])}</strong>. "
            f"{escape(action)}</p>",
            "<dl>",
            f"<dt>reference</dt><dd>{escape(reference)} ({report['reference_rows']:,} rows)</dd>",
            f"<dt>current</dt><dd>{escape(current)} ({report['rows']:,} rows)</dd>",
            f"<dt>window</dt><dd>{escape(window_text)}</dd>",
            f"<dt>thresholds</dt><dd>stable &lt; {thresholds['warn']} &le; warn &le; "
            f"{thresholds['alert']} &lt; alert</dd>",
            f"<dt>schema version</dt><dd>{escape(str(report['schema_version']))}</dd>",
            f"<dt>generated</dt><dd>{escape(str(report['generated_at']))}</dd>",
            "</dl>",
            "<h2>Features by PSI</h2>",
            "<table><thead><tr><th>feature</th><th>PSI</th><th>verdict</th><th></th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>",
            unmonitored_note,
            '<p class="note">Bars: share of rows per bin, '
            f'<span style="color:{REFERENCE_COLOUR}">&#9632;</span> reference, '
            f'<span style="color:{CURRENT_COLOUR}">&#9632;</span> current; the bins are the '
            "ones the PSI was computed on. Hover a bar for its PSI contribution.</p>",
            *sections,
            "</body>",
            "</html>",
            "",
        ]
    )
