"""The app's own constant CSS (never user text), in one place.

`learn serve` places all of it once at the end of the served page (``learn.app.webapp``: after Streamlit's own
styles in the document, as a style sent with a run is), so that no run sends it again: on a lesson step it was the
largest message. Under a plain `streamlit run` or AppTest, each page sends the part it needs (``learn.app.ui.
page_style``). No Streamlit here: the server's middleware imports it."""

from __future__ import annotations

import re

#: large print for every page: big buttons and words, the answered options, the bar fixed to the bottom
LARGE_PRINT = """
html, body, [data-testid="stAppViewContainer"] { font-size: 19px; }
.block-container { max-width: 720px; padding-top: 1.2rem; padding-bottom: 4rem; }
.stButton > button, .stFormSubmitButton > button {
  min-height: 3.6rem; font-size: 1.25rem; border-radius: 0.9rem; padding: 0.5rem 1rem; }
.stButton > button p, .stFormSubmitButton > button p { font-size: 1.25rem; }
[data-testid="stMarkdownContainer"] p { font-size: 1.3rem; line-height: 1.6; }
input { font-size: 1.3rem !important; }
/* After an answer the options stay readable: the right one green, the others plain (not greyed out). */
[class*="st-key-option-"] button:disabled { opacity: 1; color: inherit; cursor: default; }
[class*="st-key-option-"] button[kind="primary"]:disabled {
  background: #1b7f3b; border-color: #1b7f3b; color: #fff; }
/* The bar fixed to the bottom of the screen (issue 16): Listen, always first and in the same place, then the
   screen's own Back and Next, within the thumb's reach without scrolling, whatever the step's picture. */
.st-key-bottom-bar { position: fixed; left: 0; right: 0; bottom: 0; z-index: 999990; background: #fff;
  box-shadow: 0 -2px 10px rgba(0, 0, 0, .18); max-width: 720px; margin: 0 auto;
  padding: .5rem .75rem calc(.5rem + env(safe-area-inset-bottom)); }
.st-key-bottom-bar .stButton > button { min-height: 3.4rem; }
.st-key-bottom-bar [data-testid="stAudio"] { display: none; }
/* one row on a 412 px phone: Listen and Back as wide as their words, the page's stretched button (Next) takes
   the rest and is the largest; the hidden player takes no room */
.st-key-bottom-bar { flex-wrap: nowrap; gap: .5rem; }
.st-key-bottom-bar > div:has([data-testid="stAudio"]) { display: none; }
.st-key-bottom-bar .stButton > button { padding: .4rem .7rem; }
.st-key-listen button { background: #0b5cad; border-color: #0b5cad; color: #fff; }
.block-container { padding-bottom: 8rem; }
[class*="st-key-say-"] button { min-height: 3.6rem; min-width: 3.6rem; padding: 0.4rem; }
/* a step's picture stays above the bar with its words: on a 915 px phone a tall one ran under it, its caption
   and lower half out of sight unless she knew to scroll */
/* (at least 13rem: on a phone held sideways 32vh would leave a picture with words in it too small to read) */
[data-testid="stMain"]:has(.st-key-bottom-bar) [data-testid="stImage"] img {
  max-height: max(32vh, 13rem); object-fit: contain; }
"""

TAPS = ("village-", "learner-", "pick-", "pw-", "npw-", "rpw-")


def _each(tail: str = "") -> str:
    """A selector for the tap button's container of every kind of tile, followed by ``tail``."""
    return ", ".join(f'[class*="st-key-face-"] [class*="st-key-{tap}"]{tail}' for tap in TAPS)


#: the tiles of faces, pictures and picture passwords (village, resident, learner pages)
TILES = f"""
[class*="st-key-faces-"] {{ flex-direction: row; flex-wrap: wrap; gap: .5rem; }}
[class*="st-key-faces-"] > div {{ flex: 1 1 calc(50% - .5rem); max-width: calc(50% - .25rem); min-width: 0; }}
[class*="st-key-faces-3-"] > div {{ flex: 1 1 calc(33% - .5rem); max-width: calc(33.4% - .35rem); }}
[class*="st-key-faces-"] > div > [class*="st-key-face-"] {{ height: 100%; }}
[class*="st-key-face-"] > div {{ flex-shrink: 0; }}
[class*="st-key-face-"] {{ position: relative; border: 3px solid #c9d6e3; border-radius: 1rem; background: #fff;
  padding: .4rem .4rem .5rem; gap: .1rem; align-items: center; }}
[class*="st-key-face-"]:has(button:hover) {{ border-color: #0b5cad; }}
[class*="st-key-face-on-"] {{ border: 5px solid #0b5cad; background: #e3effb; }}
{_each()} {{ position: absolute; inset: 0; z-index: 1; margin: 0; width: 100% !important; height: 100%; }}
{_each(" > div")} {{ height: 100%; }}
{_each(" button")} {{ width: 100%; height: 100%; min-height: 0; background: transparent; border: none;
  color: transparent; }}
{_each(" button p")} {{ color: transparent !important; }}
[class*="st-key-face-"] [class*="st-key-say-"] {{ position: absolute; top: .2rem; right: .2rem; z-index: 2;
  width: auto !important; }}
[class*="st-key-face-"] [class*="st-key-say-"] button {{ min-height: 2.8rem; min-width: 2.8rem; }}
[class*="st-key-face-"] [data-testid="stMarkdownContainer"], .st-key-who [data-testid="stMarkdownContainer"] {{
  margin-bottom: 0 !important; }}
[class*="st-key-face-"] [data-testid="stMarkdownContainer"] p {{ margin: 0; line-height: 1.25; text-align: center;
  font-size: 1.15rem; overflow-wrap: anywhere; }}
[class*="st-key-face-"] [data-testid="stCaptionContainer"] p {{ font-size: .95rem; text-align: center; margin: 0; }}
[class*="st-key-face-"] img {{ object-fit: contain; pointer-events: none; }}
[class*="st-key-face-"] [data-testid="stElementToolbar"], .st-key-who [data-testid="stElementToolbar"],
[class*="st-key-slot-"] [data-testid="stElementToolbar"] {{ display: none; }}
[class*="st-key-face-"] > [data-testid="stElementContainer"]:has(img) {{ display: flex; justify-content: center;
  width: 100% !important; }}
[class*="st-key-face-"]:not(:has([class*="st-key-say-"])) [data-testid="stFullScreenFrame"] {{ display: flex;
  justify-content: center; }}
[class*="st-key-icon-"] p {{ font-size: 4rem !important; line-height: 1 !important; color: #0b5cad; }}
[class*="st-key-icon-"] span {{ font-size: 4rem; }}
[class*="st-key-slots-"] {{ gap: .4rem; justify-content: center; flex-wrap: nowrap; }}
[class*="st-key-slot-"] {{ border: 3px dashed #8aa4bf; border-radius: .8rem; width: 4.4rem !important;
  height: 4.4rem; min-width: 4.4rem; align-items: center; justify-content: center; background: #f7fafc;
  padding: 0; flex: 0 0 auto; }}
[class*="st-key-slot-on-"] {{ border-style: solid; border-color: #0b5cad; background: #fff; }}
[class*="st-key-slot-"] [data-testid="stMarkdownContainer"] p {{ font-size: 1.6rem; color: #8aa4bf; margin: 0;
  text-align: center; }}
[class*="st-key-slot-"] > div {{ width: 100%; }}
[class*="st-key-undo-"] button {{ min-height: 3.6rem; min-width: 3.6rem; }}
.st-key-who {{ gap: .8rem; flex-wrap: nowrap; }}
.st-key-who > div:nth-child(2) {{ flex: 1 1 auto; min-width: 0; }}
.st-key-who [data-testid="stMarkdownContainer"] p {{ font-size: 1.5rem; font-weight: 700; }}
"""

#: the home screen's tiles (lessons page): ``tile-…`` containers hold a picture and words; their one button is
# stretched over the whole tile, see-through, with its label kept for screen readers and tests. A speaker
# button inside a tile stays above it.
HOME_TILES = """
[class*="st-key-tile-"] { position: relative; border: 2px solid #c9d6e3; border-radius: 1rem; background: #f7fafc;
  padding: .6rem; gap: .25rem; }
[class*="st-key-tile-"]:has(button:hover) { border-color: #0b5cad; }
[class*="st-key-tile-"] [class*="st-key-open-"], [class*="st-key-tile-"] [class*="st-key-topic-"] {
  position: absolute; inset: 0; z-index: 1; margin: 0; }
[class*="st-key-tile-"] [class*="st-key-open-"] button, [class*="st-key-tile-"] [class*="st-key-topic-"] button {
  width: 100%; height: 100%; background: transparent; border: none; color: transparent; }
[class*="st-key-tile-"] [class*="st-key-open-"] button p,
[class*="st-key-tile-"] [class*="st-key-topic-"] button p { color: transparent; }
[class*="st-key-tile-"] [class*="st-key-say-"] { position: relative; z-index: 2; }
[class*="st-key-tile-topic-"] [class*="st-key-say-"] { position: absolute; top: .5rem; right: .5rem; width: auto; }
[class*="st-key-tile-"] [data-testid="stMarkdownContainer"] p { margin: 0; line-height: 1.45; }
[class*="st-key-tile-"] img { object-fit: contain; }
.st-key-tile-go-on { background: #e8f1fb; border-color: #0b5cad; border-width: 3px; }
.st-key-tile-go-on [data-testid="stMarkdownContainer"] p { font-size: 1.2rem; }
.st-key-tile-go-on h3 { font-size: 1.45rem; padding: 0 0 .2rem 0; }
.st-key-tile-review { background: #fff7e6; border-color: #d97706; border-width: 3px; }
.st-key-tile-review [data-testid="stMarkdownContainer"] p { font-size: 1.2rem; }
.st-key-tile-review h3 { font-size: 1.45rem; padding: 0 0 .2rem 0; }
.st-key-home-topics { flex-wrap: wrap; gap: .6rem; align-items: stretch; }
/* two tiles a row on a phone (each tile sits in a wrapper of Streamlit's layout) */
.st-key-home-topics > div { flex: 1 1 calc(50% - .3rem); min-width: 8rem; max-width: calc(50% - .3rem); }
.st-key-home-topics > div > [class*="st-key-tile-topic-"] { height: 100%; }
[class*="st-key-tile-topic-"] [data-testid="stMarkdownContainer"] p { font-size: 1.05rem; }
[class*="st-key-pic-"] [data-testid="stMarkdownContainer"] p { font-size: 4rem; line-height: 1; color: #0b5cad;
  text-align: center; }
[class*="st-key-pic-"] [data-testid="stMarkdownContainer"] span { font-size: 4rem; }
.st-key-home-head h3, .st-key-home-who h3 { padding: 0; }
.st-key-home-who h3 { font-size: 1.5rem; }
"""

#: the narration-language tile (home screen): its title clear of its first button
LANGUAGE_TILE = """
.st-key-tile-language [data-testid="stMarkdownContainer"] p { line-height: 1.7; margin: 0 0 .6rem 0; }
"""


def minified(css: str) -> str:
    """CSS without its comments and spare white space."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\s+", " ", css)
    return re.sub(r"\s*([{};,>])\s*", r"\1", css).replace(";}", "}").replace(": ", ":").strip()


ALL = (LARGE_PRINT, TILES, HOME_TILES, LANGUAGE_TILE)


def element(css: str) -> str:
    """``css`` minified, as a <style> element."""
    return f"<style>{minified(css)}</style>"


def in_page() -> str:
    """Every style above in one <style> element, for the end of the served page."""
    return element("".join(ALL))
