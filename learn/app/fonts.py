"""Smaller fonts for a first visit over 3G: Streamlit's two fonts are half of what a phone downloads.

- The icon font (Material Symbols, 366 KiB) is cut to the icons that can appear: every ``:material/…:`` name
  in our code and every icon name Streamlit's own scripts mention (about 640 of 4,300): 63 KiB.
- The text font (Source Sans, 166 KiB) is cut to the characters of Vietnamese and Western European text,
  punctuation and the đồng sign: 70 KiB. A character outside it (a name in another script) is drawn by the
  phone's own font, as browsers do for any missing character.

The cut fonts are made once per Streamlit release (a few seconds, on a background thread) and kept in
``$LEARN_HOME/static-cache``; until they are ready the full fonts are served.
"""

from __future__ import annotations

import io
import re
import string
from pathlib import Path

ICON_FONT = "MaterialSymbols-Rounded.*.woff2"
TEXT_FONT = "SourceSansVF-Upright.*.woff2"
VIETNAMESE = [(0x20, 0x7E), (0xA0, 0xFF), (0x100, 0x1B0), (0x300, 0x323), (0x1EA0, 0x1EF9), (0x2000, 0x206F),
              (0x20AB, 0x20AC), (0x2190, 0x2193), (0x2212, 0x2212)]
LIGATURE_LETTERS = string.ascii_lowercase + string.digits + "_ "
VERSION = "1"  # change when the cutting changes, so old cut fonts are not reused


def icon_names(scripts: list[Path], sources: list[Path]) -> set[str]:
    """Every word in Streamlit's scripts (icon names hide among them) and every :material/…: name of ours."""
    words: set[str] = set()
    for script in scripts:
        words |= set(re.findall(r"[a-z][a-z0-9_]{1,40}", script.read_text(encoding="utf-8", errors="ignore")))
    for source in sources:
        words |= set(re.findall(r":material/([a-z0-9_]+):", source.read_text(encoding="utf-8", errors="ignore")))
    return words


def cut_icon_font(data: bytes, wanted: set[str]) -> bytes:
    """The icon font with only the ligatures (icon names) in ``wanted``, and the letters they are spelt with."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    by_char = {chr(c): g for c, g in font.getBestCmap().items()}
    letters = {g: c for c, g in by_char.items() if c in LIGATURE_LETTERS}
    keep = {by_char[c] for c in LIGATURE_LETTERS if c in by_char}
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            table = table.ExtSubTable if lookup.LookupType == 7 else table
            for first, ligatures in (getattr(table, "ligatures", None) or {}).items():
                for ligature in ligatures:
                    spelt = [letters.get(g) for g in (first, *ligature.Component)]
                    if None not in spelt and "".join(spelt) in wanted:  # type: ignore[arg-type]
                        keep.add(ligature.LigGlyph)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_closure = False  # keep only the ligatures whose icon is kept
    options.layout_features = ["*"]
    options.notdef_outline = True
    cutter = subset.Subsetter(options)
    cutter.populate(glyphs=sorted(keep), unicodes=[ord(c) for c in LIGATURE_LETTERS])
    cutter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def cut_text_font(data: bytes) -> bytes:
    """The text font with the characters of Vietnamese (and Western European) text only."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.notdef_outline = True
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=[c for low, high in VIETNAMESE for c in range(low, high + 1)])
    cutter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def looks_whole(data: bytes) -> bool:
    """Whether a kept cut font is a whole WOFF2 file (its header states its own length)."""
    return len(data) > 48 and data[:4] == b"wOF2" and int.from_bytes(data[8:12], "big") == len(data)
