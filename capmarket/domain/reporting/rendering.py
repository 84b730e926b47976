"""An operation report's files from its figures (``OperationReport.data``): the Excel workbook (openpyxl, with
native bar charts), the PDF (WeasyPrint with the Noto CJK fonts; charts drawn as SVG) and the SVG charts themselves.

``data`` is plain JSON: ``title``, ``period_label``, ``generated_at``, ``summary`` (label/value pairs),
``sections`` (each: ``title``, ``available``, ``note``, ``tables`` of ``columns``/``rows``, ``charts`` of
``categories``/``series``), ``checklist`` (days with their lines) and ``remarks``.
"""

from __future__ import annotations

import io
from html import escape
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FILL: Final = PatternFill("solid", fgColor="DDE6F0")
SERIES_COLOURS: Final = ("#0b4f8a", "#17a673", "#e0a100", "#b42318", "#6f42c1", "#5b6573")
_BAD_SHEET_CHARS: Final = str.maketrans(dict.fromkeys("[]:*?/\\", "・"))


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(_BAD_SHEET_CHARS)[:28] or "シート"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]}({n})", n + 1
    used.add(name)
    return name


def _write_table(ws: Any, row: int, table: dict[str, Any]) -> tuple[int, int, int]:
    """Writes a titled table from ``row``; returns (header row, first data row, last data row)."""
    ws.cell(row=row, column=1, value=table.get("title", "")).font = Font(bold=True)
    header = row + 1
    for col, name in enumerate(table["columns"], start=1):
        cell = ws.cell(row=header, column=col, value=name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for offset, values in enumerate(table["rows"], start=1):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=header + offset, column=col, value=value)
            if isinstance(value, int | float):
                cell.number_format = "#,##0.0" if isinstance(value, float) else "#,##0"
    return header, header + 1, header + len(table["rows"])


def to_xlsx(*, data: dict[str, Any]) -> bytes:
    wb = Workbook()
    used: set[str] = set()
    ws = wb.active
    assert ws is not None
    ws.title = _sheet_title("概要", used)
    ws["A1"] = data["title"]
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"対象期間: {data['period_label']}"
    ws["A3"] = f"作成日時: {data['generated_at']}"
    for i, item in enumerate(data.get("summary", []), start=5):
        ws.cell(row=i, column=1, value=item["label"])
        ws.cell(row=i, column=2, value=item["value"])
    if data.get("remarks"):
        row = 6 + len(data.get("summary", []))
        ws.cell(row=row, column=1, value="所見・業務改善提案").font = Font(bold=True)
        ws.cell(row=row + 1, column=1, value=data["remarks"]).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 24
    for section in data["sections"]:
        sheet = wb.create_sheet(_sheet_title(section["title"], used))
        sheet["A1"] = section["title"]
        sheet["A1"].font = Font(bold=True, size=13)
        row = 2
        if section.get("note"):
            sheet.cell(row=row, column=1, value=section["note"])
            row += 1
        tables: dict[str, tuple[int, int, int]] = {}
        for table in section.get("tables", []):
            row += 1
            tables[table.get("title", "")] = _write_table(sheet, row, table)
            row = tables[table.get("title", "")][2] + 1
        anchor_row = 3
        for chart_spec in section.get("charts", []):
            source = tables.get(chart_spec.get("table", ""))
            if source is None:
                continue
            header, first, last = source
            last = min(last, first + int(chart_spec.get("data_rows", last - first + 1)) - 1)
            if last < first:
                continue
            chart = BarChart()
            chart.type = "col"
            chart.title = chart_spec["title"]
            chart.y_axis.title = chart_spec.get("unit", "")
            columns = chart_spec.get("columns", [2])
            for col in columns:
                chart.add_data(Reference(sheet, min_col=col, min_row=header, max_row=last), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
            chart.height, chart.width = 7.5, 16
            sheet.add_chart(chart, f"{get_column_letter(10)}{anchor_row}")
            anchor_row += 16
        for col in range(1, 9):
            sheet.column_dimensions[get_column_letter(col)].width = 20 if col == 1 else 14
    checklist = wb.create_sheet(_sheet_title("チェックリスト", used))
    checklist.append(["対象日", "確認項目", "確認者", "確認日時", "備考"])
    for cell in checklist[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for day in data.get("checklist", []):
        for line in day["lines"]:
            checklist.append(
                [day["day"], line["label"], line["ticked_by"] or "未確認", line["ticked_at"], line["note"]]
            )
    for col, width in zip("ABCDE", (12, 48, 18, 20, 30), strict=True):
        checklist.column_dimensions[col].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def svg_bar_chart(*, chart: dict[str, Any], width: int = 640, height: int = 240) -> str:
    """A grouped bar chart as inline SVG (for the PDF)."""
    categories: list[str] = chart["categories"]
    series: list[dict[str, Any]] = chart["series"]
    peak = max([1, *(v for s in series for v in s["values"] if isinstance(v, int | float))])
    left, bottom, top = 40, 46, 28
    plot_w, plot_h = width - left - 10, height - bottom - top
    group = plot_w / max(1, len(categories))
    bar = group * 0.8 / max(1, len(series))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="{left}" y="16" font-size="12" font-weight="bold">{escape(chart["title"])}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="4" y="{top + 8}" font-size="9">{peak:g}</text>',
    ]
    for si, s in enumerate(series):
        colour = SERIES_COLOURS[si % len(SERIES_COLOURS)]
        for ci, value in enumerate(s["values"]):
            v = float(value or 0)
            h = plot_h * v / peak
            x = left + ci * group + group * 0.1 + si * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>'
            )
            if v:
                label_y = top + plot_h - h - 2
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{label_y:.1f}" font-size="8" text-anchor="middle">{v:g}</text>'
                )
        parts.append(
            f'<rect x="{left + si * 90}" y="{height - 12}" width="8" height="8" fill="{colour}"/>'
            f'<text x="{left + si * 90 + 11}" y="{height - 4}" font-size="9">{escape(s["name"])}</text>'
        )
    for ci, name in enumerate(categories):
        x = left + ci * group + group / 2
        label = escape(str(name)[:10])
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 13}" font-size="8" text-anchor="middle">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_to_pdf(*, html: str) -> bytes:
    """A4 PDF of the report's HTML (WeasyPrint; Japanese in Noto Sans CJK JP, Debian's fonts-noto-cjk)."""
    from weasyprint import HTML  # noqa: PLC0415 (heavy import, only where PDFs are made)

    pdf = HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
