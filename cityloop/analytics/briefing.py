"""Daily and weekly briefings (日报/周报) in Chinese, as HTML and PDF.

Sections: volumes and trend, KPIs and the department league table, hot issues, warnings,
overdue orders that need urging (督办). Charts are drawn with matplotlib in a CJK font when one
is installed (Noto Sans/Serif CJK, WenQuanYi, SimHei …); the PDF uses reportlab's built-in CID
font STSong-Light, which needs no font file.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from cityloop.analytics import early_warning, hotspots, kpi
from cityloop.analytics import workhours as wh
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import WITH_DEPARTMENT
from cityloop.services.context import CityLoop
from cityloop.services.orders import visibility_clause
from cityloop.store.models import WorkOrderRow as W

_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _num(v: float | None, unit: str = "") -> str:
    return "—" if v is None else f"{v:g}{unit}"


def gather(ctx: CityLoop, actor: Actor, kind: str, day: date) -> dict[str, Any]:
    """Everything a briefing shows, as data (the HTML and PDF are drawn from it)."""
    span = 1 if kind == "day" else 7
    start = day - timedelta(days=span - 1)
    prev = start - timedelta(days=span)
    period = day.isoformat() if span == 1 else f"{start.isoformat()}..{day.isoformat()}"
    tz = ctx.settings.tz
    scope = visibility_clause(actor)
    trend_start = day - timedelta(days=29)
    with ctx.uow() as uow:
        s = uow.session
        wh.ensure_calendar(ctx, s)
        dexpr = wh.day_expr(s, ctx, W.received_at)
        stmt = (
            select(dexpr, func.count())
            .where(
                W.received_at >= datetime.combine(min(trend_start, prev), time(0), tzinfo=tz),
                W.received_at < datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
            )
            .group_by(dexpr)
        )
        if scope is not None:
            stmt = stmt.where(scope)
        by_day = {wh.day_of(int(d)): int(n) for d, n in s.execute(stmt).all()}
        now = ctx.clock.now()
        od = select(W.id, W.ticket_no, W.title, W.lead_department, W.due_at, W.urge_count).where(
            W.status.in_([st.value for st in WITH_DEPARTMENT]), W.due_at < now
        )
        if scope is not None:
            od = od.where(scope)
        overdue_total = s.execute(select(func.count()).select_from(od.subquery())).scalar_one()
        overdue = s.execute(od.order_by(W.due_at).limit(20)).all()
    current = sum(by_day.get(start + timedelta(days=i), 0) for i in range(span))
    previous = sum(by_day.get(prev + timedelta(days=i), 0) for i in range(span))
    trend = [
        (trend_start + timedelta(days=i), by_day.get(trend_start + timedelta(days=i), 0))
        for i in range(30)
    ]
    table = kpi.kpi_table(ctx, actor, period, "department")
    cats = kpi.kpi_table(ctx, actor, period, "category")
    hot = hotspots.live_hot_issues(ctx, actor, days=max(span, 7) * 2, top=5)
    warn = early_warning.warnings_for(ctx, actor, day, span)
    ref = ctx.reference.get()
    return {
        "kind": kind,
        "title": "一网统管" + ("日报" if span == 1 else "周报"),
        "period": period,
        "start": start,
        "end": day,
        "generated_at": ctx.now_local(),
        "intake": current,
        "previous": previous,
        "change": (current - previous) / previous if previous else None,
        "trend": trend,
        "kpi": table,
        "categories": sorted(cats["rows"], key=lambda r: -r["intake"])[:8],
        "hot": hot["items"],
        "warnings": warn["items"][:10],
        "overdue_total": overdue_total,
        "overdue": [
            {
                "ticket_no": o.ticket_no,
                "title": o.title,
                "department": ref.departments.get(o.lead_department or "", o.lead_department or ""),
                "due_at": ctx.local(o.due_at).strftime("%Y-%m-%d %H:%M"),
                "hours_over": round((now - o.due_at).total_seconds() / 3600, 1),
                "urges": o.urge_count,
            }
            for o in overdue
        ],
    }


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    exact = next((n for n in _CJK_FAMILIES if n in names), None)
    if exact:
        return exact
    # A .ttc collection shows up under its first face (e.g. "Noto Sans CJK JP"), which carries
    # the same unified ideographs.
    found = next((n for n in sorted(names) if "CJK" in n or "WenQuanYi" in n), None)
    if found:
        return found
    for pattern in ("**/*CJK*SC*", "**/*CJK*", "**/wqy*", "**/*Hei*"):
        for path in sorted(Path("/usr/share/fonts").glob(pattern)):
            if path.suffix.lower() in (".ttc", ".ttf", ".otf"):
                try:
                    font_manager.fontManager.addfont(str(path))
                    return str(font_manager.FontProperties(fname=str(path)).get_name())
                except (OSError, RuntimeError, ValueError):
                    continue
    return None


def charts(data: dict[str, Any]) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False
    out: dict[str, bytes] = {}
    fig, ax = plt.subplots(figsize=(7.5, 2.6), dpi=110)
    days = [d for d, _ in data["trend"]]
    ax.plot(days, [n for _, n in data["trend"]], marker="o", ms=3, color="#1f6feb")
    ax.set_title("近30日受理量" if font else "Intake, last 30 days")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    out["trend"] = buf.getvalue()
    cats = data["categories"]
    if cats:
        fig, ax = plt.subplots(figsize=(7.5, 2.8), dpi=110)
        names = [str(c["name"]).split("/")[-1][:8] for c in cats][::-1]
        ax.barh(names, [c["intake"] for c in cats][::-1], color="#67c23a")
        ax.set_title("诉求类别分布" if font else "Categories")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        out["categories"] = buf.getvalue()
    return out


def _league_rows(data: dict[str, Any]) -> list[list[str]]:
    rows = []
    for r in data["kpi"]["rows"]:
        if not r["member"]:
            continue
        rows.append(
            [
                str(r["rank"] or "—"),
                str(r["name"])[:14],
                str(r["intake"]),
                _pct(r["response_rate"]),
                _pct(r["on_time_rate"]),
                _pct(r["satisfaction_rate"]),
                _num(r["score"]),
                r["grade"] or "—",
            ]
        )
    return rows[:15]


def _hot_rows(data: dict[str, Any]) -> list[list[str]]:
    return [
        [
            str(h["rank"]),
            f"{h['heat']:.2f}",
            h["name"],
            str(h["appeals"]),
            h["start"][:10] + "—" + h["end"][:10],
        ]
        for h in data["hot"]
    ]


def _warning_rows(data: dict[str, Any]) -> list[list[str]]:
    return [
        [
            w["day"],
            w["category_name"],
            w["region_name"],
            str(w["observed"]),
            f"{w['expected']:.1f}",
            f"{w['p_value']:.2g}",
        ]
        for w in data["warnings"]
    ]


def _overdue_rows(data: dict[str, Any]) -> list[list[str]]:
    return [
        [
            o["ticket_no"],
            o["title"][:24],
            o["department"],
            o["due_at"],
            str(o["hours_over"]),
            str(o["urges"]),
        ]
        for o in data["overdue"]
    ]


LEAGUE_HEAD = ["排名", "承办单位", "受理", "响应率", "按期办结率", "满意率", "综合得分", "等级"]
HOT_HEAD = ["排名", "热度", "问题", "诉求数", "时间"]
WARN_HEAD = ["日期", "类别", "区域", "实际", "基线", "p值"]
OVERDUE_HEAD = ["工单号", "标题", "承办单位", "期限", "超期小时", "已督办"]
CSS = (
    'body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:900px;'
    "margin:24px auto;color:#222}table{border-collapse:collapse;width:100%;margin:8px 0 16px}"
    "th,td{border:1px solid #ccc;padding:4px 6px;font-size:13px}th{background:#f0f4fa}"
    "h1{color:#1f6feb}img{max-width:100%}"
)


def _summary_lines(data: dict[str, Any]) -> list[str]:
    t = data["kpi"]["total"]
    change = "—" if data["change"] is None else f"{data['change'] * 100:+.1f}%"
    return [
        f"本期受理诉求 {data['intake']} 件，上期 {data['previous']} 件，环比 {change}。",
        f"派单准确率 {_pct(t['dispatch_accuracy'])}，响应率 {_pct(t['response_rate'])}，"
        f"按期办结率 {_pct(t['on_time_rate'])}，办结率 {_pct(t['completion_rate'])}，"
        f"满意率 {_pct(t['satisfaction_rate'])}，重办率 {_pct(t['rework_rate'])}，"
        f"督办 {t['urges']} 次。",
        f"平均签收 {_num(t['avg_accept_hours'], ' 工作小时')}"
        f"（P90 {_num(t['p90_accept_hours'])}），"
        f"平均答复 {_num(t['avg_reply_hours'], ' 工作小时')}"
        f"（P90 {_num(t['p90_reply_hours'])}）。",
        f"当前超期未办结工单 {data['overdue_total']} 件，需督办。",
    ]


def render_html(data: dict[str, Any], images: dict[str, bytes]) -> str:
    e = html.escape

    def table(head: list[str], rows: list[list[str]]) -> str:
        h = "".join(f"<th>{e(c)}</th>" for c in head)
        b = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>"

    img = "".join(
        f'<img alt="{k}" src="data:image/png;base64,{base64.b64encode(v).decode()}">'
        for k, v in images.items()
    )
    hot, warn, od = _hot_rows(data), _warning_rows(data), _overdue_rows(data)
    hot_t = table(HOT_HEAD, hot) if hot else "<p>本期无热点问题。</p>"
    warn_t = table(WARN_HEAD, warn) if warn else "<p>本期无异常预警。</p>"
    od_t = table(OVERDUE_HEAD, od) if od else "<p>无超期工单。</p>"
    summary = "".join(f"<p>{e(x)}</p>" for x in _summary_lines(data))
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{e(data['title'])} {e(data['period'])}</title><style>{CSS}</style></head><body>"
        f"<h1>{e(data['title'])}</h1><p>统计周期：{e(data['period'])}　"
        f"生成时间：{data['generated_at']:%Y-%m-%d %H:%M}</p>"
        f"<h2>一、受理量与趋势</h2>{summary}{img}"
        f"<h2>二、考核指标与部门排名</h2>{table(LEAGUE_HEAD, _league_rows(data))}"
        f"<h2>三、热点问题</h2>{hot_t}<h2>四、预警</h2>{warn_t}"
        f"<h2>五、超期待督办工单（共 {data['overdue_total']} 件，列前20件）</h2>{od_t}"
        "</body></html>"
    )


def render_pdf(data: dict[str, Any], images: dict[str, bytes], path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=15)
    h1 = ParagraphStyle(
        "h1", fontName=font, fontSize=18, leading=24, textColor=colors.HexColor("#1f6feb")
    )
    h2 = ParagraphStyle("h2", fontName=font, fontSize=13, leading=20, spaceBefore=8)
    cell = ParagraphStyle("c", fontName=font, fontSize=8, leading=10)

    def table(head: list[str], rows: list[list[str]], widths: list[float]) -> Table:
        t = Table(
            [[Paragraph(html.escape(str(c)), cell) for c in r] for r in [head, *rows]],
            colWidths=[w * mm for w in widths],
            repeatRows=1,
        )
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f4fa")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    story: list[Any] = [
        Paragraph(html.escape(data["title"]), h1),
        Paragraph(
            f"统计周期：{html.escape(data['period'])}　"
            f"生成时间：{data['generated_at']:%Y-%m-%d %H:%M}",
            body,
        ),
        Paragraph("一、受理量与趋势", h2),
        *(Paragraph(html.escape(x), body) for x in _summary_lines(data)),
    ]
    for v in images.values():
        story.append(Image(io.BytesIO(v), width=170 * mm, height=170 * mm * 2.6 / 7.5))
    story += [
        Paragraph("二、考核指标与部门排名", h2),
        table(LEAGUE_HEAD, _league_rows(data), [12, 48, 14, 20, 22, 18, 20, 14]),
    ]
    story.append(Paragraph("三、热点问题", h2))
    if data["hot"]:
        story.append(
            table(
                HOT_HEAD,
                _hot_rows(data),
                [12, 16, 90, 16, 44],
            )
        )
    else:
        story.append(Paragraph("本期无热点问题。", body))
    story.append(Paragraph("四、预警", h2))
    if data["warnings"]:
        story.append(
            table(
                WARN_HEAD,
                _warning_rows(data),
                [22, 50, 40, 14, 16, 20],
            )
        )
    else:
        story.append(Paragraph("本期无异常预警。", body))
    story.append(Paragraph(f"五、超期待督办工单（共 {data['overdue_total']} 件，列前20件）", h2))
    if data["overdue"]:
        story.append(
            table(
                OVERDUE_HEAD,
                _overdue_rows(data),
                [30, 56, 36, 28, 16, 14],
            )
        )
    else:
        story.append(Paragraph("无超期工单。", body))
    SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=data["title"],
    ).build(story)


def write_briefing(ctx: CityLoop, actor: Actor, kind: str, day: date, out: Path) -> list[Path]:
    data = gather(ctx, actor, kind, day)
    images = charts(data)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{'daily' if kind == 'day' else 'weekly'}-{day.isoformat()}"
    html_path = out / f"{stem}.html"
    html_path.write_text(render_html(data, images), encoding="utf-8")
    pdf_path = out / f"{stem}.pdf"
    render_pdf(data, images, pdf_path)
    return [html_path, pdf_path]
