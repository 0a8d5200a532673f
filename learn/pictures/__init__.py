"""The drawings that stand for people, villages and topics on the resident's screens (issue 16), for someone
who cannot read the names: each resident has one beside her name, and a picture password is three of them.

The drawings are ours (SVG files beside this module); their Vietnamese names are in the strings catalog
(``picture.<id>``), read aloud when a picture is tapped.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

#: the pictures a resident (or a village) can have: familiar things, clearly different in shape and colour
PEOPLE: tuple[str, ...] = (
    "buffalo", "pig", "chicken", "dog", "cat", "fish", "banana", "rice", "corn", "mango", "chili", "coconut",
    "bicycle", "motorbike", "boat", "house", "tree", "sun", "moon", "flower", "conical_hat", "umbrella",
    "teapot", "kite",
)

#: the grid a picture password is chosen from, always in this order (a hand remembers places)
PASSWORD_GRID: tuple[str, ...] = PEOPLE[:12]
#: how many pictures make a picture password
PASSWORD_LENGTH = 3


def person_picture(picture: str) -> Path:
    """The drawing of one of ``PEOPLE``."""
    if picture not in PEOPLE:
        raise KeyError(picture)
    return HERE / "people" / f"{picture}.svg"


def topic_picture(topic: str) -> Path | None:
    """The drawing of a lesson topic, if there is one."""
    path = HERE / "topics" / f"{topic}.svg"
    return path if path.exists() else None
