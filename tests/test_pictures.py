"""The drawings a resident who cannot read recognises herself, her village and the lesson topics by (issue 16):
one for every picture a person can have and every topic, safe to show inline (no script, nothing fetched from
elsewhere, no words), each with a spoken name that differs from the others, and the home-screen icon."""

from __future__ import annotations

import itertools
import re
import struct
import tomllib
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from learn.lessons.model import TOPICS
from learn.pictures import HERE, PASSWORD_GRID, PEOPLE, person_picture, topic_picture
from learn.strings_vi import STRINGS, t
from learn.text import nfc
from tests.support.paths import ROOT

SVG = "{http://www.w3.org/2000/svg}"
#: elements that would put words (or anything but shapes) into a picture
WORDY = {"text", "tspan", "textPath", "title", "desc", "foreignObject", "script", "image", "use", "style"}


def drawing(path: Path) -> ET.Element:
    root = ET.fromstring(path.read_bytes())
    assert root.tag == f"{SVG}svg", path
    return root


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def fills(root: ET.Element) -> set[str]:
    return {element.get("fill", "").upper() for element in root.iter()} - {"", "NONE"}


def background(root: ET.Element) -> str:
    """The fill of the tile the drawing stands on: its first shape, covering the whole view box."""
    width, height = root.get("viewBox", "").split()[2:]
    tile = next(element for element in root if local(element.tag) == "rect")
    assert (tile.get("width"), tile.get("height")) == (width, height)
    return tile.get("fill", "").upper()


def lightness(colour: str) -> float:
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


ALL = [(f"people/{p}", person_picture(p), "0 0 120 120") for p in PEOPLE] + [
    (f"topics/{topic}", topic_picture(topic), "0 0 160 120") for topic in TOPICS
] + [("app-icon", HERE / "app-icon.svg", "0 0 512 512")]


@pytest.mark.parametrize(("name", "path", "view_box"), ALL, ids=[name for name, _, _ in ALL])
def test_every_person_topic_and_the_icon_has_a_safe_wordless_drawing(name: str, path: Path | None,
                                                                    view_box: str) -> None:
    assert path is not None and path.is_file(), name
    assert path.stat().st_size < 4096, name
    root = drawing(path)
    assert root.get("viewBox") == view_box
    for element in root.iter():
        assert local(element.tag) not in WORDY, (name, element.tag)
        assert not (element.text or "").strip() and not (element.tail or "").strip(), (name, element.tag)
        for attribute, value in element.attrib.items():
            assert "href" not in attribute and not local(attribute).startswith("on"), (name, attribute)
            for reference in re.findall(r"url\(([^)]*)\)", value):
                assert reference.startswith("#"), (name, value)
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "javascript:" not in text.lower()
    assert "<!--" not in text, "comments are words too"


def test_the_picture_tiles_are_light_and_the_password_grid_tiles_all_differ() -> None:
    tiles = {p: background(drawing(person_picture(p))) for p in PEOPLE}
    assert all(lightness(colour) > 0.75 for colour in tiles.values()), tiles
    assert len({tiles[p] for p in PASSWORD_GRID}) == len(PASSWORD_GRID)


def test_the_24_drawings_differ_in_file_and_in_colours() -> None:
    assert len(PEOPLE) == 24 == len(set(PEOPLE))
    files = {p: person_picture(p).read_bytes() for p in PEOPLE}
    colours = {p: fills(drawing(person_picture(p))) - {background(drawing(person_picture(p)))} for p in PEOPLE}
    for one, other in itertools.combinations(PEOPLE, 2):
        assert files[one] != files[other], (one, other)
        assert colours[one] != colours[other], (one, other)


def test_every_picture_has_a_vietnamese_name_and_no_two_sound_alike() -> None:
    names = {p: t(f"picture.{p}") for p in PEOPLE}
    for picture, name in names.items():
        assert f"picture.{picture}" in STRINGS and name.strip(), picture
        assert name == nfc(name) and name.lower() != picture.replace("_", " "), (picture, name)
    # still different to an ear that misses the tones: "Con gà" / "Con cá", "Mặt trời" / "Mặt trăng"
    spoken = ["".join(c for c in unicodedata.normalize("NFD", name.lower().replace("đ", "d"))
                      if not unicodedata.combining(c)) for name in names.values()]
    assert len(set(spoken)) == len(spoken), names


def test_an_unknown_picture_or_topic_has_no_drawing() -> None:
    with pytest.raises(KeyError):
        person_picture("dragon")
    assert topic_picture("astrology") is None


def test_the_home_screen_icons_are_pngs_of_the_right_size() -> None:
    for size in (192, 512):
        head = (HERE / f"app-icon-{size}.png").read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
        assert struct.unpack(">II", head[16:24]) == (size, size)


def test_the_package_ships_the_drawings() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["learn.pictures"]
    for pattern in ("people/*.svg", "topics/*.svg", "*.svg", "*.png"):
        assert pattern in shipped
