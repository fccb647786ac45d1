"""A flash report as HTML, PDF and DOCX (the three forms a command centre circulates).

The PDF uses reportlab's built-in CID font STSong-Light (no font file needed); the DOCX names
仿宋/黑体 as its East Asian fonts, as official documents do, and Word falls back where they are
missing.
"""

from __future__ import annotations

import html
import io

from cityloop.analytics.flash.compose import Report


def to_html(r: Report) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in r.paragraphs)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(r.heading)}</title>"
        "<style>body{font-family:'FangSong','STFangsong','Noto Serif CJK SC',serif;"
        "max-width:46em;margin:2em auto;line-height:1.9;font-size:16pt}"
        "h1{font-family:'SimHei','Noto Sans CJK SC',sans-serif;text-align:center;"
        "color:#c00;font-size:22pt}p{text-indent:2em;margin:.4em 0}</style></head><body>"
        f"<h1>{html.escape(r.heading)}</h1>\n{body}\n</body></html>"
    )


def to_pdf(r: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    head = ParagraphStyle(
        "h",
        fontName="STSong-Light",
        fontSize=20,
        leading=30,
        alignment=TA_CENTER,
        textColor=colors.HexColor("#cc0000"),
        spaceAfter=12,
    )
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=13, leading=24, firstLineIndent=26)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=28 * mm, rightMargin=26 * mm, title=r.heading
    )
    story = [Paragraph(html.escape(r.heading), head)]
    story += [Paragraph(html.escape(p), body) for p in r.paragraphs]
    doc.build(story)
    return out.getvalue()


def to_docx(r: Report) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    def east_asian(run: object, font: str) -> None:
        rpr = run._element.get_or_add_rPr()  # type: ignore[attr-defined]
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), font)

    doc = Document()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(r.heading)
    run.font.size = Pt(22)
    run.font.bold = True
    run.font.color.rgb = RGBColor(0xCC, 0, 0)
    east_asian(run, "黑体")
    for text in r.paragraphs:
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(32)
        run = p.add_run(text)
        run.font.size = Pt(16)
        east_asian(run, "仿宋")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
