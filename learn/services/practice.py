"""What a tap on the pretend phone means (issue 18): the right part moves on to the next pretend screen; a wrong
one is answered with a first hint (what she tapped, and what to look for), then a second (where it is), then the
right place is shown, highlighted, and a tap there moves on. Each pretend screen done is stored like an answer:
first try right, with hints, or shown the way. Nothing is sent anywhere: it is all drawn.

A resident's place is her own (stored with her progress); in a group session the trainer taps for the group, and
the group's place is the session's (no one's answers are stored for it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from learn.errors import NotFound
from learn.lessons.model import Lesson
from learn.lessons.practice import PhoneScreen, Practice
from learn.services import group_sessions
from learn.strings_vi import t
from progress_db import practice as stored
from progress_db.records import AccountInfo

#: the help a pretend screen needed, as stored (``attempt.option_index``)
FIRST_TRY, ONE_HINT, TWO_HINTS, SHOWN = 0, 1, 2, 3
#: what a tap turned out to be
TapKind = Literal["right", "hint1", "hint2", "shown", "stale"]


@dataclass(frozen=True)
class PracticeView:
    """Where a practice stands: the pretend screen on (None once done), the wrong taps on it, and the help each
    screen done needed (item id to FIRST_TRY … SHOWN)."""

    practice: Practice
    step: int
    misses: int = 0
    #: the part tapped wrong last, when known (its own feedback is said)
    last_wrong: str | None = None
    helped: tuple[tuple[str, int], ...] = ()

    @property
    def path(self) -> tuple[PhoneScreen, ...]:
        return self.practice.path

    @property
    def done(self) -> bool:
        """True once the last pretend screen was done: Next may be tapped."""
        return self.step >= len(self.path)

    @property
    def screen(self) -> PhoneScreen | None:
        """The pretend screen on, or None once done."""
        return None if self.done else self.path[self.step]

    @property
    def shown(self) -> bool:
        """After two hints the right place is shown."""
        return self.misses > TWO_HINTS

    @property
    def hint(self) -> str | None:
        """The hint shown (and said) after a wrong tap, None before any."""
        screen = self.screen
        if screen is None or self.misses == 0:
            return None
        said = screen.feedback(self.last_wrong)
        if self.misses == ONE_HINT:
            return said
        if self.misses == TWO_HINTS:
            return said if said == screen.hint else f"{said} {screen.hint}"
        return f"{t('practice.shown')} {screen.hint}"

    @property
    def speech(self) -> str:
        """What the pretend screen says now: the task and the first screen, a screen, a hint, or the end."""
        screen = self.screen
        if screen is None:
            return f"{self.practice.done} {t('practice.done_next')}"
        if self.hint is not None:
            return self.hint
        return f"{self.practice.task} {screen.say}" if self.step == 0 else screen.say

    @property
    def key(self) -> str:
        """Changes whenever what is said changes (a new clip plays on arrival)."""
        return f"{self.step}-{self.misses}-{self.last_wrong or ''}"

    def data(self) -> dict[str, Any]:
        """What the pretend phone component draws, as plain data (it puts every text in as text, never HTML)."""
        labels = {"badge": t("practice.badge"), "ok": t("practice.key_ok"), "erase": t("practice.key_erase"),
                  "typed": t("practice.typed"), "done": t("practice.done_badge"),
                  "step": t("practice.step", current=min(self.step + 1, len(self.path)), total=len(self.path))}
        common = {"labels": labels, "task": self.practice.task, "step": self.step, "steps": len(self.path)}
        screen = self.screen
        if screen is None:
            return {**common, "done": True, "done_text": self.practice.done}
        return {**common, "done": False, "screen": screen.id, "title": screen.title, "layout": screen.layout,
                "parts": [{"id": p.id, "text": p.text, "kind": p.kind, "icon": p.icon, "detail": p.detail}
                          for p in screen.parts],
                "keypad": screen.type is not None, "code_length": len(screen.type or ""),
                "hint": self.hint or "", "level": min(self.misses, SHOWN),
                # the right place is revealed only once it is shown (the code too, digit by digit)
                "target": screen.target if self.shown else None, "code": screen.type if self.shown else None,
                "turn": self.key}


@dataclass(frozen=True)
class TapResult:
    """What a tap was, and the practice after it."""

    kind: TapKind
    view: PracticeView


def practice_at(lesson: Lesson, position: int) -> Practice:
    """The practice on the lesson's screen ``position``; NotFound when that screen has none."""
    screens = lesson.screens
    found = screens[position].practice if 0 <= position < len(screens) else None
    if found is None:
        raise NotFound(f"practice at {lesson.id}:{position}", key="practice.not_found")
    return found


def _right(screen: PhoneScreen, part_id: str, typed: str | None) -> bool:
    return part_id == screen.target and (screen.type is None or (typed or "") == screen.type)


def _counts(screen: PhoneScreen, part_id: str) -> bool:
    """Whether a tap reports a part a resident can tap (a stale or made-up id changes nothing)."""
    part = screen.part(part_id)
    return part_id == screen.target or (part is not None and part.tappable)


# --- a resident on her own ---

def view(learner_id: int, lesson: Lesson, practice: Practice,
         last_wrong: tuple[str, str] | None = None) -> PracticeView:
    """The learner's place in a practice of her current run of the lesson; ``last_wrong`` (pretend screen id,
    part id), the part she last tapped wrong, is kept when she is still on that screen (its feedback is said)."""
    done, missed_on, misses = stored.place(learner_id, lesson.id, practice.id)
    path = practice.path
    step = next((i for i, s in enumerate(path) if practice.item_id(s) not in done), len(path))
    if step == len(path) or missed_on != practice.item_id(path[step]):
        misses = 0
    helped = tuple((practice.item_id(s), done[practice.item_id(s)]) for s in path if practice.item_id(s) in done)
    part = last_wrong[1] if misses and last_wrong and last_wrong[0] == path[step].id else None
    return PracticeView(practice, step, misses, part, helped)


def tap(learner_id: int, lesson: Lesson, position: int, screen_id: str, part_id: str,
        typed: str | None = None) -> TapResult:
    """A tap on part ``part_id`` of pretend screen ``screen_id`` (with the code typed, on a keypad screen), on
    the lesson's screen ``position``: stored, and what it means. A tap from a screen already left is stale."""
    practice = practice_at(lesson, position)
    current = view(learner_id, lesson, practice)
    screen = current.screen
    if screen is None or screen.id != screen_id or not _counts(screen, part_id):
        return TapResult("stale", current)
    total = len(lesson.screens)
    item = practice.item_id(screen)
    if _right(screen, part_id, typed):
        helped = min(current.misses, SHOWN)
        stored.record_item(learner_id, lesson.id, item, helped, position, total)
        return TapResult("right", PracticeView(practice, current.step + 1, helped=(*current.helped, (item, helped))))
    misses = stored.record_miss(learner_id, lesson.id, item, position, total)
    return TapResult(_kind(misses), PracticeView(practice, current.step, misses, part_id, current.helped))


def _kind(misses: int) -> TapKind:
    return "hint1" if misses == ONE_HINT else "hint2" if misses == TWO_HINTS else "shown"


# --- a group session: the trainer taps for the group ---

def _group_view(session_id: int, position: int, practice: Practice, last_wrong: str | None = None) -> PracticeView:
    place, misses = stored.group_place(session_id)
    prefix = f"{position}:{practice.id}:"
    if place is None or not place.startswith(prefix):
        return PracticeView(practice, 0)
    step, _, wrong = place[len(prefix):].partition(":")
    return PracticeView(practice, int(step) if step.isdigit() else 0, misses,
                        (last_wrong or wrong or None) if misses else None)


def group_view(who: AccountInfo, lesson: Lesson, session_id: int) -> PracticeView:
    """The group's place in the practice on the session's screen (its trainers and commune staff only)."""
    session = group_sessions.get(who, session_id)
    return _group_view(session_id, session.position, practice_at(lesson, session.position))


def group_tap(who: AccountInfo, lesson: Lesson, session_id: int, position: int, screen_id: str, part_id: str,
              typed: str | None = None) -> TapResult:
    """The trainer's tap for the group on the projected pretend phone: the same hints, nobody's answer stored."""
    session = group_sessions.get(who, session_id)
    practice = practice_at(lesson, session.position)
    current = _group_view(session_id, session.position, practice)
    screen = current.screen
    if session.finished or position != session.position or screen is None or screen.id != screen_id \
            or not _counts(screen, part_id):
        return TapResult("stale", current)
    prefix = f"{position}:{practice.id}:"
    if _right(screen, part_id, typed):
        stored.set_group_place(session_id, f"{prefix}{current.step + 1}", 0)
        return TapResult("right", _group_view(session_id, position, practice))
    misses = current.misses + 1
    stored.set_group_place(session_id, f"{prefix}{current.step}:{part_id}", misses)
    return TapResult(_kind(misses), _group_view(session_id, position, practice, part_id))


def item_label(lesson: Lesson, item_id: str, helped: int | None = None) -> str | None:
    """How reports name a pretend screen stored as an answer ("practice/screen"), with the help it needed most
    often when given; None for a question's id."""
    practice_id, _, screen_id = item_id.partition("/")
    step = next((s for s in lesson.steps if s.practice is not None and s.practice.id == practice_id), None)
    screen = step.practice.screen(screen_id) if step is not None and step.practice is not None else None
    if step is None or screen is None:
        return None
    label = t("practice.report_prompt", task=step.title, screen=screen.title)
    if helped is not None and FIRST_TRY < helped <= SHOWN:
        label += " " + t("practice.report_common", helped=t(f"practice.helped.{helped}"))
    return label


def speech(practice: Practice) -> list[str]:
    """Every text a practice may say, for pre-rendering its clips (``learn narrate``)."""
    texts = [f"{practice.done} {t('practice.done_next')}"]
    for i, screen in enumerate(practice.path):
        texts.append(f"{practice.task} {screen.say}" if i == 0 else screen.say)
        said = [screen.feedback(p.id) for p in screen.parts if p.tappable and p.id != screen.target]
        if screen.type is not None:
            said.append(screen.feedback(None))
        for feedback in dict.fromkeys(said):
            texts += [feedback, feedback if feedback == screen.hint else f"{feedback} {screen.hint}"]
        texts.append(f"{t('practice.shown')} {screen.hint}")
    return list(dict.fromkeys(texts))
