"""Practice on a pretend phone (issue 18): a ```` ```practice ```` block in a step describes a short task on a
simulated phone, as a chain of drawn screens. Each screen has a title bar, big labelled parts (buttons, tiles,
list rows, plain lines), the one part to tap (or the code to type on a keypad), what is said on arrival, the hint
said where to look, and the feedback for a wrong tap (per part, or the screen's default).

This module holds the model, the reading of the block (its own YAML, with every key's line) and the checks that
need only the block: ids, targets that exist, every screen reachable, the chain ending. It imports nothing of the
parser (which imports it); problems come back as ``(line, message)`` pairs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from learn.lessons import safe_yaml
from learn.text import squash

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PRACTICE_KEYS = {"id", "task", "done", "screens"}
SCREEN_KEYS = {"id", "title", "say", "hint", "wrong", "layout", "parts", "tap", "type", "next"}
PART_KEYS = {"id", "text", "kind", "icon", "detail", "wrong"}
#: how a part is drawn: a big button, a square tile with an icon, a row of a list (a message, a contact), a line
#: of plain text (not tappable: a name, an amount to check)
PART_KINDS = ("button", "tile", "item", "text")
TAPPABLE = ("button", "tile", "item")
LAYOUTS = ("list", "grid")
#: drawings the component has (simple shapes of our own, never an app's or a bank's logo)
ICONS = ("pay", "send", "history", "qr", "bolt", "water", "phone", "video", "hangup", "message", "trash", "card",
         "id", "camera", "photo", "group", "settings", "text", "face", "home", "back", "check", "cancel", "lock",
         "person", "shield", "wifi", "link")
MAX_SCREENS = 8
MAX_PARTS = 8
#: a code typed on the pretend keypad: digits only, as on a bill or a card
CODE = re.compile(r"^[0-9]{1,12}$")
#: the keypad's own targets on a screen with ``type``: the "OK" key (tapped after the code)
KEYPAD_OK = "ok"


@dataclass(frozen=True)
class Part:
    """One drawn part of a pretend screen; ``wrong`` is what a tap on it says when it is not the target."""

    id: str
    text: str
    kind: str = "button"
    icon: str | None = None
    detail: str | None = None
    wrong: str | None = None
    line: int = 0

    @property
    def tappable(self) -> bool:
        """Whether a tap on it counts (plain text lines are only read)."""
        return self.kind in TAPPABLE


@dataclass(frozen=True)
class PhoneScreen:
    """One pretend screen: what it shows, what to tap (``tap``, a part id) or type (``type``, digits then OK),
    what is said on arrival (``say``), the hint said where to look (``hint``), and the default wrong-tap
    feedback (``wrong``). ``next`` is the screen a right tap leads to (None: the following one, or the end)."""

    id: str
    title: str
    say: str
    hint: str
    parts: tuple[Part, ...]
    tap: str | None = None
    type: str | None = None
    wrong: str | None = None
    layout: str = "list"
    next: str | None = None
    line: int = 0
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def target(self) -> str:
        """The id a right tap reports: the part to tap, or the keypad's OK."""
        return self.tap or KEYPAD_OK

    def part(self, part_id: str) -> Part | None:
        """The part with this id, or None."""
        return next((p for p in self.parts if p.id == part_id), None)

    def feedback(self, part_id: str | None) -> str:
        """What a wrong tap on ``part_id`` says: the part's own feedback, else the screen's default."""
        part = self.part(part_id) if part_id else None
        return (part.wrong if part is not None and part.wrong else None) or self.wrong or self.hint

    def at(self, key: str) -> int:
        """The file line of ``key`` in this screen (its first line when absent)."""
        return self.lines.get(key, self.line)


@dataclass(frozen=True)
class Practice:
    """A short task on a pretend phone: ``task`` is shown and said first, ``done`` when it is finished."""

    id: str
    task: str
    done: str
    screens: tuple[PhoneScreen, ...]
    line: int = 0

    def screen(self, screen_id: str) -> PhoneScreen | None:
        """The screen with this id, or None."""
        return next((s for s in self.screens if s.id == screen_id), None)

    @cached_property
    def path(self) -> tuple[PhoneScreen, ...]:
        """The screens in the order a resident meets them: from the first, each right tap to its ``next``."""
        order: list[PhoneScreen] = []
        current: PhoneScreen | None = self.screens[0] if self.screens else None
        while current is not None and current not in order:
            order.append(current)
            current = self._after(current)
        return tuple(order)

    def _after(self, screen: PhoneScreen) -> PhoneScreen | None:
        if screen.next:
            return self.screen(screen.next)
        i = self.screens.index(screen)
        return self.screens[i + 1] if i + 1 < len(self.screens) else None

    def item_id(self, screen: PhoneScreen) -> str:
        """The id a screen's outcome is stored under, beside question ids (which cannot hold a slash)."""
        return f"{self.id}/{screen.id}"

    def shown(self) -> Iterator[tuple[int, str]]:
        """Every text drawn on the pretend screens (and the task): (file line, the text)."""
        yield self.line, self.task
        for s in self.screens:
            yield s.at("title"), s.title
            for p in s.parts:
                yield p.line, p.text
                if p.detail:
                    yield p.line, p.detail

    def spoken(self) -> Iterator[tuple[int, str, str]]:
        """Every text the voice reads: (file line, what it is, the text)."""
        yield self.line, f"the task of practice {self.id!r}", self.task
        yield self.line, f"the end of practice {self.id!r}", self.done
        for s in self.screens:
            what = f"screen {s.id!r} of practice {self.id!r}"
            yield s.at("say"), what, s.say
            yield s.at("hint"), f"the hint of {what}", s.hint
            if s.wrong:
                yield s.at("wrong"), f"the wrong-tap feedback of {what}", s.wrong
            for p in s.parts:
                if p.wrong:
                    yield p.line, f"the feedback of part {p.id!r} on {what}", p.wrong


Problems = list[tuple[int, str]]


def _lines(node: yaml.Node, first: int) -> dict[str, int]:
    return {str(k.value): first + k.start_mark.line for k, _ in node.value} if isinstance(node, yaml.MappingNode) \
        else {}


def _item_nodes(node: yaml.Node, key: str) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key and isinstance(v, yaml.SequenceNode):
                return list(v.value)
    return []


def _text(value: Any, line: int, what: str, out: Problems, required: bool = True) -> str:
    if value is None:
        if required:
            out.append((line, f"{what} is missing"))
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        out.append((line, f"{what} must be text"))
        return ""
    text = squash(str(value))
    if not text and required:
        out.append((line, f"{what} is empty"))
    return text


def _unknown(data: dict[str, Any], allowed: set[str], lines: dict[str, int], what: str, line: int,
             out: Problems) -> None:
    for key in data:
        if key not in allowed:
            out.append((lines.get(str(key), line), f"unknown key {key!r} in {what} (allowed: "
                                                   f"{', '.join(sorted(allowed))})"))


def _slug(value: Any, line: int, what: str, out: Problems) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        out.append((line, f"{what} id {str(value)[:40]!r} must be an ASCII slug such as 'pay' or 'home-screen'"))
        return ""
    return value


def _part(raw: Any, node: yaml.Node, first: int, screen: str, out: Problems) -> Part | None:
    line = first + node.start_mark.line
    if not isinstance(raw, dict):
        out.append((line, f"a part of screen {screen!r} must be a set of keys: id, text, kind, …"))
        return None
    lines = _lines(node, first)
    _unknown(raw, PART_KEYS, lines, "part", line, out)
    pid = _slug(raw.get("id"), lines.get("id", line), "part", out)
    text = _text(raw.get("text"), lines.get("text", line), f"part {pid!r} text", out)
    kind = raw.get("kind", "button")
    if kind not in PART_KINDS:
        out.append((lines.get("kind", line), f"part kind must be one of {', '.join(PART_KINDS)} (got {kind!r})"))
    icon = raw.get("icon")
    if icon is not None and icon not in ICONS:
        out.append((lines.get("icon", line), f"part icon {str(icon)[:30]!r} is not a drawing we have "
                                             f"(one of {', '.join(ICONS)})"))
    detail = _text(raw.get("detail"), lines.get("detail", line), "part detail", out, required=False) or None
    wrong = _text(raw.get("wrong"), lines.get("wrong", line), "part feedback 'wrong'", out, required=False) or None
    if wrong and kind not in TAPPABLE:
        out.append((lines.get("wrong", line), f"part {pid!r} is plain text: a tap on it says nothing, so it "
                                              "needs no 'wrong'"))
    return Part(pid, text, str(kind), icon, detail, wrong, line)


def _screen(raw: Any, node: yaml.Node, first: int, out: Problems) -> PhoneScreen | None:
    line = first + node.start_mark.line
    if not isinstance(raw, dict):
        out.append((line, "a practice screen must be a set of keys: id, title, say, hint, parts, tap, …"))
        return None
    before = len(out)
    lines = _lines(node, first)
    at = lambda key: lines.get(key, line)  # noqa: E731 - line of a key, or of the screen
    _unknown(raw, SCREEN_KEYS, lines, "practice screen", line, out)
    sid = _slug(raw.get("id"), at("id"), "screen", out)
    title = _text(raw.get("title"), at("title"), f"title of screen {sid!r}", out)
    say = _text(raw.get("say"), at("say"), f"'say' (what is heard) of screen {sid!r}", out)
    hint = _text(raw.get("hint"), at("hint"), f"'hint' of screen {sid!r}", out)
    wrong = _text(raw.get("wrong"), at("wrong"), "screen feedback 'wrong'", out, required=False) or None
    layout = raw.get("layout", "list")
    if layout not in LAYOUTS:
        out.append((at("layout"), f"layout must be one of {', '.join(LAYOUTS)} (got {str(layout)[:30]!r})"))
    parts: list[Part] = []
    raw_parts = raw.get("parts")
    if not isinstance(raw_parts, list) or not raw_parts:
        out.append((at("parts"), f"screen {sid!r} needs 'parts': a list of what it shows"))
    else:
        if len(raw_parts) > MAX_PARTS:
            out.append((at("parts"), f"screen {sid!r} has {len(raw_parts)} parts (at most {MAX_PARTS}): a small "
                                     "screen shows a few big things"))
        for item, item_node in zip(raw_parts, _item_nodes(node, "parts"), strict=False):
            part = _part(item, item_node, first, sid, out)
            if part is not None:
                parts.append(part)
    seen: dict[str, int] = {}
    for p in parts:
        if p.id and seen.setdefault(p.id, p.line) != p.line:
            out.append((p.line, f"part id {p.id!r} is used twice on screen {sid!r} (first on line {seen[p.id]})"))
        if p.id == KEYPAD_OK:
            out.append((p.line, f"part id {KEYPAD_OK!r} is the keypad's own key: choose another id"))
    tap, code = raw.get("tap"), raw.get("type")
    if isinstance(code, int) and not isinstance(code, bool):
        out.append((at("type"), "write the code to type in quotes (\"0123\"): a number would lose its leading zeros"))
        code = None
    if (tap is None) == (code is None):
        out.append((at("tap") if tap is not None else line,
                    f"screen {sid!r} needs one target: 'tap' (the id of the part to tap) or 'type' (a code typed "
                    "on the keypad)"))
    if tap is not None:
        target = next((p for p in parts if p.id == tap), None)
        if target is None:
            out.append((at("tap"), f"'tap' of screen {sid!r} names {str(tap)[:40]!r}, which is not one of its parts "
                                   f"({', '.join(p.id for p in parts)})"))
        elif not target.tappable:
            out.append((at("tap"), f"'tap' of screen {sid!r} names {tap!r}, a plain text part: make it a button, "
                                   "a tile or an item"))
        others = [p for p in parts if p.tappable and p.id != tap]
        if not wrong and any(not p.wrong for p in others):
            out.append((line, f"screen {sid!r} needs 'wrong' (said after a wrong tap), or a 'wrong' on each "
                              "other part that can be tapped"))
    if code is not None:
        if not isinstance(code, str) or not CODE.match(code):
            out.append((at("type"), f"'type' must be a code of 1 to 12 digits in quotes (got {str(code)[:30]!r})"))
        if not wrong:
            out.append((line, f"screen {sid!r} needs 'wrong' (said when another code is typed)"))
    nxt = raw.get("next")
    if nxt is not None and not (isinstance(nxt, str) and SLUG.match(nxt)):
        out.append((at("next"), f"'next' must be the id of a screen (got {str(nxt)[:40]!r})"))
        nxt = None
    if len(out) > before:
        return None
    return PhoneScreen(sid, title, say, hint, tuple(parts), str(tap) if tap is not None else None,
                       str(code) if code is not None else None, wrong, str(layout), nxt, line,
                       {k: v for k, v in lines.items() if k in SCREEN_KEYS})


def parse_practice(text: str, first_line: int) -> tuple[Practice | None, Problems]:
    """Read one practice block (``first_line``: the file line of its first line); the practice, or None with
    every problem found."""
    out: Problems = []
    try:
        node, data = safe_yaml.load(text)
    except safe_yaml.Refused as exc:
        return None, [(first_line + exc.line, f"practice {exc.message}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [(first_line + (mark.line if mark else 0), f"practice is not valid YAML: {reason}")]
    if not isinstance(data, dict) or node is None:
        return None, [(first_line - 1, "practice must be a set of 'key: value' lines: id, task, done, screens")]
    lines = _lines(node, first_line)
    at = lambda key: lines.get(key, first_line - 1)  # noqa: E731
    _unknown(data, PRACTICE_KEYS, lines, "practice", first_line - 1, out)
    pid = _slug(data.get("id"), at("id"), "practice", out)
    task = _text(data.get("task"), at("task"), "practice 'task'", out)
    done = _text(data.get("done"), at("done"), "practice 'done'", out)
    screens: list[PhoneScreen] = []
    raw_screens = data.get("screens")
    if not isinstance(raw_screens, list) or not raw_screens:
        out.append((at("screens"), "practice needs 'screens': a list of pretend screens"))
    else:
        if len(raw_screens) > MAX_SCREENS:
            out.append((at("screens"), f"a practice has at most {MAX_SCREENS} screens (has {len(raw_screens)}): "
                                       "a short task, or split it"))
        for raw, screen_node in zip(raw_screens, _item_nodes(node, "screens"), strict=False):
            screen = _screen(raw, screen_node, first_line, out)
            if screen is not None:
                screens.append(screen)
    if out:
        return None, out
    practice = Practice(pid, task, done, tuple(screens), first_line - 1)
    out.extend(check_practice(practice))
    return (None, out) if out else (practice, [])


def check_practice(practice: Practice) -> Problems:
    """What spans the screens: unique ids, ``next`` that exists, every screen reachable, a chain that ends."""
    out: Problems = []
    seen: dict[str, int] = {}
    for s in practice.screens:
        if seen.setdefault(s.id, s.line) != s.line:
            out.append((s.line, f"screen id {s.id!r} is used twice in practice {practice.id!r} "
                                f"(first on line {seen[s.id]})"))
    for s in practice.screens:
        if s.next and practice.screen(s.next) is None:
            out.append((s.at("next"), f"'next' of screen {s.id!r} names {s.next!r}, which is not a screen of "
                                      f"practice {practice.id!r}"))
    if out:
        return out
    path = practice.path
    last = path[-1]
    if last.next or practice._after(last) is not None:  # the walk stopped on a screen it had seen: a circle
        out.append((last.at("next"), f"the screens of practice {practice.id!r} go round in a circle from "
                                     f"{last.id!r}: the task must end"))
    for s in practice.screens:
        if s not in path:
            out.append((s.line, f"screen {s.id!r} of practice {practice.id!r} is never reached: no right tap "
                                "leads to it (check 'next')"))
    return out
