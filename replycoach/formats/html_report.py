"""``replycoach audit --html report.html``: one self-contained page (inline CSS, SVG and a
little JS; nothing fetched at view time): findings by rule, response times, the per-agent
table (sortable), and the worst conversations as chat bubbles with the flagged spans marked
and the suggested rewrites beside them."""

from __future__ import annotations

import html
import json
from datetime import datetime
from importlib import resources
from typing import Any

from ..audit import CHINA, Audit, ConversationResult, Durations


def _asset(name: str) -> str:
    return resources.files("replycoach").joinpath(f"static/{name}").read_text("utf-8")


def _bar_chart(items: list[tuple[str, float]], title: str, unit: str = "") -> str:
    if not items:
        return f'<p class="muted">{html.escape(title)}：无数据</p>'
    width, bar_h, left = 700, 22, 200
    height = 30 + bar_h * len(items)
    top = max(v for _, v in items) or 1
    parts = [
        f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="10" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 28 + i * bar_h
        w = (width - left - 60) * value / top
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{html.escape(label)}</text>"
        )
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" '
            f'fill="#2f81f7"><title>{html.escape(label)}: {value:g}{unit}</title></rect>'
        )
        parts.append(
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12">{value:g}{unit}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(times: Durations) -> str:
    edges = [0.0, 10, 30, 60, 120, 300]
    labels = ["0–10 秒", "10–30 秒", "30–60 秒", "1–2 分", "2–5 分", "5 分以上"]
    counts = times.histogram(edges)
    return (
        _bar_chart(list(zip(labels, counts, strict=True)), "响应时间分布（次）")
        if times.count
        else '<p class="muted">响应时间：记录里没有时间戳，未统计。</p>'
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2%}" if value <= 1 else f"{value:g}"
    return str(value)


def _agent_table(cards: dict[str, Any]) -> str:
    head = [
        "客服",
        "会话",
        "客服消息",
        "问题数",
        "每百条问题",
        "问候合规",
        "结束语合规",
        "响应 p50 秒",
        "响应 p90 秒",
        "响应最长 秒",
    ]
    keys = [
        "conversations",
        "agent_messages",
        "findings",
        "findings_per_100_messages",
        "greeting_compliance",
        "closing_compliance",
        "response_seconds_p50",
        "response_seconds_p90",
        "response_seconds_max",
    ]
    rows = []
    for name, row in cards["agents"].items():
        cells = [f'<td data-v="{html.escape(name)}">{html.escape(name)}</td>']
        for key in keys:
            value = row[key]
            sort_value = "" if value is None else value
            if value is None:
                shown = "—"
            elif key.endswith("compliance"):
                shown = f"{value:.1%}"
            else:
                shown = f"{value:g}"
            cells.append(f'<td data-v="{sort_value}">{shown}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<table class="sortable" id="agents"><thead><tr>'
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _marked(text: str, findings: list[Any]) -> str:
    spans = sorted(
        (f.finding for f in findings if f.finding.end > f.finding.start), key=lambda f: f.start
    )
    out, at = [], 0
    for f in spans:
        if f.start < at:
            continue
        out.append(html.escape(text[at : f.start]))
        out.append(
            f'<mark class="{f.severity.value}" title="{html.escape(f.message)}">'
            f"{html.escape(text[f.start : f.end])}</mark>"
        )
        at = f.end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _conversation(result: ConversationResult) -> str:
    by_index: dict[int, list[Any]] = {}
    for f in result.findings:
        by_index.setdefault(f.index, []).append(f)
    parts = [
        f'<div class="conv" data-conversation="{html.escape(result.conversation)}">'
        f'<div class="muted">会话 {html.escape(result.conversation)} · '
        f"{len(result.findings)} 处问题</div>"
    ]
    for i, m in enumerate(result.messages):
        found = by_index.get(i, [])
        when = datetime.fromtimestamp(m.time, CHINA).strftime("%H:%M:%S") if m.time else ""
        who = ("客服 " + (m.agent or "")) if m.role == "agent" else "顾客"
        notes = "".join(
            f'<div class="note {f.finding.severity.value}"><b>{html.escape(f.finding.rule)}</b> '
            f"{html.escape(f.finding.message)}"
            + (
                f'<div class="sugg">建议：{html.escape(" / ".join(f.finding.suggestions))}</div>'
                if f.finding.suggestions
                else ""
            )
            + "</div>"
            for f in found
        )
        bubble = (
            f'<div><div class="who">{html.escape(who)} {when}</div>'
            f'<div class="bubble">{_marked(m.text, found)}</div></div>'
        )
        note_box = f'<div class="notes">{notes}</div>' if notes else ""
        inner = note_box + bubble if m.role == "agent" else bubble + note_box
        parts.append(f'<div class="msg {m.role}">{inner}</div>')
    parts.append("</div>")
    return "".join(parts)


def render_audit_html(audit: Audit, *, title: str = "replycoach 会话质检报告") -> str:
    """The whole report as one HTML document."""
    cards = audit.scorecards()
    by_rule = sorted(audit.rule_counts.items(), key=lambda kv: -kv[1])
    team: dict[str, Any] = cards["teams"].get("all") or next(iter(cards["teams"].values()), {})
    summary = [
        ("会话", audit.conversations),
        ("消息", audit.messages),
        ("问题", sum(audit.rule_counts.values())),
        ("问候合规", _fmt(team.get("greeting_compliance"))),
        ("结束语合规", _fmt(team.get("closing_compliance"))),
        (
            "响应 p90",
            f"{team['response_seconds_p90']:g} 秒"
            if team.get("response_seconds_p90") is not None
            else "—",
        ),
    ]
    body = [
        f"<h1>{html.escape(title)}</h1>",
        '<p class="muted">响应时间：'
        + ("已统计" if audit.timestamps else "记录里没有时间戳，未统计")
        + "</p>",
        '<div class="cards">'
        + "".join(
            f'<div class="card"><span class="muted">{k}</span><b>{v}</b></div>' for k, v in summary
        )
        + "</div>",
        "<h2>各规则的问题数</h2>",
        _bar_chart([(r, n) for r, n in by_rule], "问题数（条）"),
        "<h2>响应时间</h2>",
        _histogram(audit.times),
        "<h2>客服</h2>",
        _agent_table(cards),
        "<h2>问题最多的会话</h2>",
        *(_conversation(r) for r in audit.worst),
    ]
    data = json.dumps({"findings_by_rule": cards["findings_by_rule"]}, ensure_ascii=False)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<title>{html.escape(title)}</title><link rel="icon" href="data:,">'
        f"<style>{_asset('report.css')}</style></head><body><main>{''.join(body)}</main>"
        f'<script type="application/json" id="data">{html.escape(data)}</script>'
        f"<script>{_asset('report.js')}</script></body></html>\n"
    )
