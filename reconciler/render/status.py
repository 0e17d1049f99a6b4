"""`reconcile status` as text, JSON or one self-contained HTML page.

Pure functions from a `Status` (see `reconciler.core.status`) to text.
"""

from __future__ import annotations

import html
import json
from typing import Any

from reconciler.core.status import FlowHealth, Health, Row, Status, rate

# --- renderers ---------------------------------------------------------------------

COLUMNS = ("name", "desired", "live", "protocol", "host", "owner", "drift", "health")


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.name,
        row.desired or "-",
        row.live or "-",
        row.protocol or "-",
        row.address or "-",
        row.ownership or "-",
        "drift" if row.drift else "-",
        row.health.value,
    )


def _heading(status: Status) -> str:
    when = status.as_of.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"Status at {when}; health over the last {status.minutes} min"


def _summary(status: Status) -> str:
    counts = ", ".join(f"{n} {h}" for h, n in status.counts().items()) or "no outputs"
    drift = sum(r.drift for r in status.rows)
    return f"{len(status.rows)} output(s): {counts}; {drift} drifting from git."


def _flow_line(flow: FlowHealth) -> str:
    source = f", source {rate(flow.source_bitrate)}" if flow.source_bitrate is not None else ""
    error = f"; metrics unavailable: {flow.metrics_error}" if flow.metrics_error else ""
    return f"Flow {flow.name} ({flow.region}, {flow.status}){source}{error}"


def text(status: Status) -> str:
    lines = [_heading(status), ""]
    for flow in status.flows:
        lines.append(_flow_line(flow))
        rows = status.rows_of(flow.name)
        table = [tuple(c.upper() for c in COLUMNS)] + [_cells(r) for r in rows]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(COLUMNS))]
        for row, cells in zip([None, *rows], table, strict=True):
            line = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            lines.append(f"  {line}  {row.reason if row else 'WHY'}".rstrip())
        lines.append("")
    lines.append(_summary(status))
    return "\n".join(lines) + "\n"


def as_json(status: Status) -> str:
    document: dict[str, Any] = {
        "as_of": status.as_of.isoformat(),
        "window_minutes": status.minutes,
        "summary": status.counts(),
        "flows": [
            {
                "name": f.name,
                "region": f.region,
                "status": f.status,
                "source_bitrate": f.source_bitrate,
                "metrics_error": f.metrics_error,
            }
            for f in status.flows
        ],
        "outputs": [
            {
                "flow": r.flow,
                "flow_status": r.flow_status,
                "name": r.name,
                "desired": r.desired,
                "live": r.live,
                "protocol": r.protocol,
                "host": r.host,
                "port": r.port,
                "ownership": r.ownership or None,
                "drift": r.drift,
                "health": r.health.value,
                "reason": r.reason,
                "bitrate": r.bitrate,
            }
            for r in status.rows
        ],
    }
    return json.dumps(document, indent=2) + "\n"


# (text, background) per health; each background differs from the page's others.
HEALTH_COLOURS = {
    Health.HEALTHY: ("#1a7f37", "#dafbe1"),
    Health.DEGRADED: ("#7d4e00", "#fff1b8"),
    Health.DOWN: ("#a40e26", "#ffd7d5"),
    Health.UNKNOWN: ("#424a53", "#e6e9ed"),
    Health.OFF: ("#57606a", "#efeff1"),
    Health.ABSENT: ("#0a3069", "#ddf4ff"),
}

CSS = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;background:#fff}"
    "h1{font-size:20px;margin:0 0 4px}p{margin:0 0 12px;color:#57606a}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;"
    "white-space:nowrap}td:last-child{white-space:normal}"
    "th{background:#f6f8fa}td.drift{font-weight:bold;color:#9a6700}"
    "tr.flow td{background:#eef1f4;font-weight:bold}"
    + "".join(
        f"td.health-{h.value}{{color:{fg};background:{bg};font-weight:bold}}"
        for h, (fg, bg) in HEALTH_COLOURS.items()
    )
)


def _td(value: str, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<td{attribute}>{html.escape(value, quote=True)}</td>"


def as_html(status: Status) -> str:
    """One self-contained page: inline CSS, no scripts, no external assets;
    every value escaped."""
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in (*COLUMNS, "why"))
    body = []
    for flow in status.flows:
        body.append(
            f'<tr class="flow"><td colspan="{len(COLUMNS) + 1}">{e(_flow_line(flow))}</td></tr>'
        )
        for row in status.rows_of(flow.name):
            cells = _cells(row)
            body.append(
                f'<tr data-health="{e(row.health.value)}">'
                + "".join(_td(c) for c in cells[:6])
                + _td(cells[6], "drift" if row.drift else "")
                + _td(cells[7], f"health-{row.health.value}")
                + _td(row.reason)
                + "</tr>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>reconcile status</title><style>{CSS}</style></head><body>"
        f"<h1>Stream destinations</h1><p>{e(_heading(status))}. {e(_summary(status))}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</body></html>\n"
    )


RENDERERS = {"text": text, "json": as_json, "html": as_html}
