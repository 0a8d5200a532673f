"""Picture tiles for people who cannot read (issue 16): a village or a resident shown as her drawing with the name
under it, the whole tile one tap target; the 24 pictures to choose hers from; the 3-picture password pad; and
the number keypad on PIN boxes.

A tile is a keyed container (``face-…``) holding the picture, the name and a real ``st.button`` (what AppTest and
the tests press) that CSS stretches over the whole tile, see-through; a speaker button in the tile stays above
it. Tiles sit in a keyed grid container (``faces-…``) of 2 or 3 per row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components
from streamlit.delta_generator import DeltaGenerator

from learn.app import styles
from learn.app.ui import ICONS, image_source, page_style, plain, speaker
from learn.services import picture_passwords as pictures
from learn.strings_vi import t

#: the button keys tiles are tapped by (each followed by an id)


def apply() -> None:
    """The tiles' style on this screen."""
    page_style(styles.TILES)


def picture(drawing: Path | None, *, width: int, key: str, where: DeltaGenerator | None = None) -> None:
    """A drawing, or, until the drawing is there, a big neutral icon of the same size."""
    spot = where or st
    if drawing is not None:
        spot.image(image_source(drawing), width=width)
    else:
        spot.container(key=f"icon-{key}", width=width, horizontal_alignment="center").markdown(ICONS["learner"])


def grid(key: str, per_row: int = 2) -> DeltaGenerator:
    """A grid of tiles, ``per_row`` (2 or 3) to a row on a phone."""
    return st.container(key=f"faces-{per_row}-{key}" if per_row == 3 else f"faces-{key}")


def tile(where: DeltaGenerator, *, key: str, drawing: Path | None, name: str, tap: str, label: str,
         say: str | None = None, note: str | None = None, chosen: bool = False, width: int = 110,
         on_tap: Callable[..., None] | None = None, args: tuple[object, ...] = ()) -> bool:
    """One tile in ``where``: the drawing, ``name`` under it (shown literally; none if empty), a ``note`` in
    small print, a speaker saying ``say``; tapping anywhere presses the button ``tap`` (label ``label``).
    ``chosen`` marks it. Returns whether it was tapped on this run (when there is no ``on_tap``)."""
    box = where.container(key=f"face-on-{key}" if chosen else f"face-{key}")
    with box:
        picture(drawing, width=width, key=key)
        if name:
            st.markdown(("✓ " if chosen else "") + plain(name))
        if note:
            st.caption(plain(note))
        if say:
            speaker(say, key=key)
        return st.button(label, key=tap, on_click=on_tap, args=args)


def who(drawing: Path | None, name: str, *, key: str) -> None:
    """The resident the screen is about: her picture, large, her name beside it, and a speaker saying it."""
    row = st.container(key="who", horizontal=True, vertical_alignment="center")
    with row:
        picture(drawing, width=72, key=f"who-{key}")
        st.markdown(plain(name))
        speaker(name, key=f"who-{key}")


def password_pad(key: str, picked: list[str], *, tap: str, on_tap: Callable[[str], None],
                 on_undo: Callable[[], None], hidden: bool = False) -> None:
    """The picture-password pad: 3 slots showing what was tapped so far (with an undo button), over the fixed
    grid of 12 pictures (3 to a row, always in the same order). Tapped pictures are not read aloud: someone
    standing by would hear the password; when signing in (``hidden``) the slots show a dot for each tap, not the
    picture, as a PIN box does (while choosing one she sees what she chose)."""
    slots = st.container(key=f"slots-{key}", horizontal=True, vertical_alignment="center")
    with slots:
        for n in range(3):
            filled = n < len(picked)
            slot = st.container(key=f"slot-on-{key}-{n}" if filled else f"slot-{key}-{n}", width="content")
            if filled and hidden:
                slot.markdown("●")
            elif filled:
                picture(pictures.drawing(picked[n]), width=56, key=f"slot-{key}-{n}", where=slot)
            else:  # an empty container would not be drawn at all
                slot.markdown(str(n + 1))
        st.button("", key=f"undo-{key}", icon=ICONS["undo"], help=t("learner.pictures_undo"),
                  on_click=on_undo, disabled=not picked)
    pad = grid(f"pad-{key}", per_row=3)
    for picture_id in pictures.grid():  # pictures only: they speak for themselves, and the pad stays on screen
        tile(pad, key=f"{key}-{picture_id}", drawing=pictures.drawing(picture_id), name="",
             tap=f"{tap}{picture_id}", label=t(f"picture.{picture_id}"), width=64,
             on_tap=on_tap, args=(picture_id,))


# The PIN boxes open the phone's number keypad: st.text_input cannot set ``inputmode``, so this sets it on the
# PIN inputs (found by their st-key-… container) whenever they appear. Our own constant script, run in the
# component's same-origin frame, acting on the app's page.
_KEYPAD_SCRIPT = """<script>
const page = window.parent.document;
const boxes = '.st-key-pin_value input, .st-key-new_pin input, [class*="st-key-rpin-"] input';
function numeric() {
  page.querySelectorAll(boxes).forEach((box) => {
    if (box.getAttribute("inputmode") !== "numeric") {
      box.setAttribute("inputmode", "numeric");
      box.setAttribute("pattern", "[0-9]*");
      box.setAttribute("autocomplete", "off");
    }
  });
}
numeric();
new MutationObserver(numeric).observe(page.body, {childList: true, subtree: true});
</script>"""


def number_keypad() -> None:
    """Make the PIN boxes on this screen open the number keypad."""
    components.html(_KEYPAD_SCRIPT, height=0)
