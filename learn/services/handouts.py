"""Printable handouts: a lesson as one self-contained HTML page in large print, to print or save as PDF.

Rendered from the lesson's own Markdown with python-markdown. Everything a resident takes home is in the file
(pictures are embedded), so it prints the same on a laptop with no internet.
"""

from __future__ import annotations

import base64
import html
import mimetypes
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson
from learn.strings_vi import t
from learn.text import nfc

STYLE = """
@page { size: A4; margin: 16mm; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 17pt; line-height: 1.5;
       color: #111; max-width: 190mm; margin: 0 auto; }
header { border-bottom: 3px solid #0b5cad; margin-bottom: 8mm; }
h1 { font-size: 26pt; margin: 0 0 2mm; }
.summary { font-size: 16pt; color: #333; margin: 0 0 4mm; }
h2 { font-size: 20pt; margin: 8mm 0 2mm; break-after: avoid; }
.step { break-inside: avoid; }
figure { margin: 3mm 0; text-align: center; }
figure img { max-width: 70mm; max-height: 70mm; }
figcaption { font-size: 13pt; color: #444; }
.quiz { border: 2px solid #1b7f3b; border-radius: 4mm; padding: 3mm 5mm; margin-top: 8mm; break-inside: avoid; }
.quiz h2 { margin-top: 0; color: #1b7f3b; }
.quiz li { margin-bottom: 3mm; }
.answer { font-weight: bold; }
footer { margin-top: 10mm; font-size: 12pt; color: #555; border-top: 1px solid #999; padding-top: 2mm; }
.print { font-size: 16pt; padding: 3mm 8mm; margin: 0 0 6mm; }
@media print { .print { display: none; } }
"""


class _NoLinks(Treeprocessor):
    """Turns any <a> or <img> left in the tree into plain text (a span; an image becomes its description)."""

    def run(self, root: Element) -> None:
        for element in root.iter():
            if element.tag in ("a", "img"):
                alt = element.get("alt")
                element.tag = "span"
                element.attrib.clear()
                if alt is not None:
                    element.text = alt


class LinkFree(Extension):
    """Python-Markdown with no way to make a link or an image: what a resident takes home has nothing to tap.

    The validator refuses links in lesson text; this is the second fence, for text that got past it. The link,
    image, reference and autolink patterns are removed, so their text stays as written, and a last tree pass
    turns any <a> or <img> that something else made into plain text. A step's own picture is added beside the
    Markdown, not through it.
    """

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - the name Python-Markdown calls
        for name in ("reference", "link", "image_link", "image_reference", "short_reference", "short_image_ref",
                     "autolink", "automail"):
            if name in md.inlinePatterns:
                md.inlinePatterns.deregister(name)
        if "reference" in md.parser.blockprocessors:  # '[name]: address' stays text instead of vanishing
            md.parser.blockprocessors.deregister("reference")
        md.treeprocessors.register(_NoLinks(md), "no_links", 5)  # after the inline pass (20), before unescape


def _markdown(text: str) -> str:
    # Lesson text is Markdown written by our authors, but never trusted as HTML: escape it first.
    return markdown.markdown(html.escape(nfc(text), quote=False), output_format="html", extensions=[LinkFree()])


def _picture(catalog: Catalog, lesson: Lesson, path: str, alt: str) -> str:
    file = catalog.picture_path(lesson, path)
    if file is None:
        return f"<p><em>{html.escape(t('lesson.picture', alt=alt))}</em></p>"
    mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    data = base64.b64encode(file.read_bytes()).decode()
    return (f'<figure><img src="data:{mime};base64,{data}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


def handout(catalog: Catalog, lesson: Lesson) -> str:
    """The lesson as a printable HTML page: its steps with pictures, then its questions with the answers."""
    steps = []
    for step in lesson.steps:
        picture = _picture(catalog, lesson, step.picture.path, step.picture.alt) if step.picture else ""
        steps.append(f'<section class="step"><h2>{html.escape(step.title)}</h2>{_markdown(step.body)}'
                     f"{picture}</section>")
    questions = []
    for q in lesson.questions:
        right = q.options[q.answer].text
        questions.append(f"<li>{html.escape(q.prompt)}<br><span class=\"answer\">"
                         f"{html.escape(t('handout.answer', answer=right))}</span> {html.escape(q.right)}</li>")
    minutes = t("lessons.minutes", minutes=lesson.minutes)
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(lesson.title)}</title><style>{STYLE}</style></head>
<body>
<button class="print" onclick="window.print()">{html.escape(t("handout.print"))}</button>
<header><h1>{html.escape(lesson.title)}</h1>
<p class="summary">{html.escape(lesson.summary)} ({html.escape(minutes)})</p></header>
{"".join(steps)}
<section class="quiz"><h2>{html.escape(t("handout.quiz"))}</h2><ol>{"".join(questions)}</ol></section>
<footer>{html.escape(t("handout.footer"))}</footer>
</body></html>
"""


CARD_STYLE = """
@page { size: A6 landscape; margin: 6mm; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0; }
.card { display: flex; gap: 6mm; align-items: center; border: 2px solid #0b5cad; border-radius: 4mm; padding: 5mm; }
.card svg { width: 52mm; height: 52mm; flex: none; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
.code { font-size: 30pt; font-weight: bold; letter-spacing: 3mm; margin: 2mm 0; }
p { font-size: 12pt; margin: 1mm 0; }
.url { font-size: 9pt; color: #444; word-break: break-all; }
.print { font-size: 14pt; padding: 2mm 6mm; margin: 4mm 0; }
.install { display: flex; gap: 4mm; align-items: center; margin-top: 3mm; }
.install img { width: 42mm; flex: none; }
@media print { .print { display: none; } }
"""


def _add_to_home() -> str:
    """The wordless picture of how to put Học Số on the home screen (learn/pictures), base64 for an <img>."""
    from learn import pictures

    return base64.b64encode((pictures.HERE / "add-to-home.svg").read_bytes()).decode()


def join_card(village: str, commune: str, code: str, link: str) -> str:
    """A printable card a trainer hands out: the village's join code and a QR code that opens its names."""
    import segno

    qr = segno.make(link, error="m").svg_inline(scale=6, border=2)
    e = html.escape
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{e(t("card.title", village=village))}</title>
<style>{CARD_STYLE}</style></head><body>
<div class="card">{qr}<div>
<h1>{e(village)}</h1><p>{e(commune)}</p>
<p>{e(t("card.code"))}</p><p class="code">{e(code)}</p>
<p>{e(t("card.scan"))}</p><p class="url">{e(link)}</p></div></div>
<div class="install"><img src="data:image/svg+xml;base64,{_add_to_home()}" alt="{e(t("shell.install_picture"))}">
<p>{e(t("card.install"))}</p></div>
<button class="print" onclick="window.print()">{e(t("handout.print"))}</button>
</body></html>
"""
