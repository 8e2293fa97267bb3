"""A dossier as plain blocks (headings, paragraphs, tables), written as HTML→PDF and as DOCX.

Both outputs come from the same blocks, so the PDF and the editable DOCX never say different
things. Text is escaped here and only here; no block carries markup.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Fonts with Latin (incl. Azerbaijani ə ğ ı ş), Cyrillic and Armenian glyphs: DejaVu ships in
# Debian's fonts-dejavu-core (see scripts/system-deps.sh); Noto is a fallback if installed.
FONT_FAMILY = '"DejaVu Sans", "Noto Sans", "Noto Sans Armenian", sans-serif'


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Para:
    text: str
    style: str = ""  # "", "placeholder", "note", "quote"


@dataclass
class Table:
    headers: Sequence[str]
    rows: list[Sequence[str]]
    empty: str = "None recorded."


@dataclass
class Fields:
    """Label/value pairs (a two-column table without header)."""

    pairs: list[tuple[str, str]]


Block = Heading | Para | Table | Fields


@dataclass
class Document:
    title: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str, level: int = 1) -> None:
        self.blocks.append(Heading(text, level))

    def para(self, text: str, style: str = "") -> None:
        self.blocks.append(Para(text, style))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str = "") -> None:
        self.blocks.append(Table(headers, [list(row) for row in rows], empty or "None recorded."))

    def fields(self, pairs: list[tuple[str, str]]) -> None:
        self.blocks.append(Fields([(k, v) for k, v in pairs if v]))

    def rewrite(self, change: Callable[[str], str]) -> None:
        """Apply ``change`` to every piece of text (used to put pseudonyms in place of names)."""
        self.title, self.subtitle = change(self.title), change(self.subtitle)
        for block in self.blocks:
            if isinstance(block, Heading | Para):
                block.text = change(block.text)
            elif isinstance(block, Table):
                block.headers = [change(h) for h in block.headers]
                block.rows = [[change(c) for c in row] for row in block.rows]
            else:
                block.pairs = [(change(k), change(v)) for k, v in block.pairs]

    def texts(self) -> list[str]:
        """Every piece of text, for checks (fonts, pseudonyms)."""
        found = [self.title, self.subtitle]
        for block in self.blocks:
            if isinstance(block, Heading | Para):
                found.append(block.text)
            elif isinstance(block, Table):
                found += list(block.headers) + [c for row in block.rows for c in row]
            else:
                found += [x for pair in block.pairs for x in pair]
        return found


STYLESHEET = f"""
@page {{ size: A4; margin: 20mm 18mm 22mm 18mm;
  @bottom-center {{ content: "Page " counter(page) " of " counter(pages); font-size: 8pt;
    color: #555; font-family: {FONT_FAMILY}; }} }}
body {{ font-family: {FONT_FAMILY}; font-size: 9.5pt; line-height: 1.35; color: #111; }}
h1 {{ font-size: 17pt; margin: 0 0 4pt; }}
h2 {{ font-size: 13pt; margin: 16pt 0 5pt; border-bottom: 0.6pt solid #888; }}
h3 {{ font-size: 11pt; margin: 10pt 0 4pt; }}
p {{ margin: 0 0 5pt; }}
p.subtitle {{ color: #444; font-size: 10.5pt; }}
p.placeholder {{ border: 0.8pt dashed #a33; padding: 5pt; color: #a33; }}
p.note {{ color: #444; font-size: 8.5pt; }}
p.quote {{ margin-left: 12pt; font-style: italic; }}
table {{ width: 100%; border-collapse: collapse; margin: 3pt 0 8pt; font-size: 8.5pt; }}
th, td {{ border: 0.5pt solid #999; padding: 2.5pt 4pt; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }}
th {{ background: #eee; }}
table.fields td:first-child {{ width: 30%; font-weight: bold; background: #f6f6f6; }}
"""


def _esc(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def to_html(document: Document, lang: str = "en") -> str:
    """The document as one self-contained HTML page (no external resources)."""
    parts = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{_esc(document.title)}</title><style>{STYLESHEET}</style></head><body>",
        f"<h1>{_esc(document.title)}</h1>",
    ]
    if document.subtitle:
        parts.append(f'<p class="subtitle">{_esc(document.subtitle)}</p>')
    for block in document.blocks:
        if isinstance(block, Heading):
            level = min(block.level + 1, 4)
            parts.append(f"<h{level}>{_esc(block.text)}</h{level}>")
        elif isinstance(block, Para):
            css = f' class="{block.style}"' if block.style else ""
            parts.append(f"<p{css}>{_esc(block.text)}</p>")
        elif isinstance(block, Fields):
            rows = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in block.pairs)
            parts.append(f'<table class="fields">{rows}</table>' if rows else "")
        elif block.rows:
            head = "".join(f"<th>{_esc(h)}</th>" for h in block.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in block.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            parts.append(f'<p class="note">{_esc(block.empty)}</p>')
    parts.append("</body></html>")
    return "".join(parts)


def write_pdf(document: Document, path: Path) -> None:
    """Render the document with WeasyPrint (fonts found through fontconfig)."""
    from weasyprint import HTML

    HTML(string=to_html(document)).write_pdf(str(path))


def write_docx(document: Document, path: Path) -> None:
    """The document as an editable Word file: real headings and tables, placeholders marked."""
    from docx import Document as Docx
    from docx.shared import Pt, RGBColor

    doc: Any = Docx()
    normal = doc.styles["Normal"]
    normal.font.name = "DejaVu Sans"
    normal.font.size = Pt(10)
    doc.core_properties.title = document.title
    doc.add_heading(document.title, level=0)
    if document.subtitle:
        doc.add_paragraph(document.subtitle)
    for block in document.blocks:
        if isinstance(block, Heading):
            doc.add_heading(block.text, level=min(block.level, 4))
        elif isinstance(block, Para):
            paragraph = doc.add_paragraph()
            run = paragraph.add_run(block.text)
            if block.style == "placeholder":
                run.font.color.rgb = RGBColor(0xAA, 0x33, 0x33)
                run.bold = True
            elif block.style == "quote":
                run.italic = True
            elif block.style == "note":
                run.font.size = Pt(8.5)
        elif isinstance(block, Fields):
            if block.pairs:
                table = doc.add_table(rows=0, cols=2)
                table.style = "Table Grid"
                for key, value in block.pairs:
                    cells = table.add_row().cells
                    cells[0].text, cells[1].text = key, value
                    for run in cells[0].paragraphs[0].runs:
                        run.bold = True
        elif block.rows:
            table = doc.add_table(rows=1, cols=len(block.headers))
            table.style = "Table Grid"
            for cell, header in zip(table.rows[0].cells, block.headers, strict=True):
                cell.text = header
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            for row in block.rows:
                for cell, value in zip(table.add_row().cells, row, strict=True):
                    cell.text = value
        else:
            doc.add_paragraph(block.empty)
    doc.save(str(path))
