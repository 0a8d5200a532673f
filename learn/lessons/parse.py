"""Parse one lesson file (YAML front matter + Markdown steps) into a ``Lesson``, collecting every problem.

The parser never stops at the first problem: it records each one with its line and goes on, so an author
sees the whole list at once. A lesson is returned only when it has no problems at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from learn.lessons import links, practice, safe_yaml
from learn.lessons.model import DECISION_KINDS, QUESTION_KINDS, TOPICS, Lesson, Option, Picture, Question, Step
from learn.text import nfc, squash

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FENCE = re.compile(r"^(```+|~~~+)\s*([A-Za-z-]*)\s*$")
_PICTURE = re.compile(r'^!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]+)(?:\s+"(?P<spoken>[^"]*)")?\)\s*$')
_STEP = re.compile(r"^##(?!#)\s*(?P<title>.*)$")
_INLINE_PICTURE = re.compile(r"!\[[^\]]*\]\(")

FRONT_MATTER_KEYS = {"id", "title", "topic", "minutes", "summary", "prerequisites"}
REQUIRED_KEYS = ("id", "title", "topic", "minutes", "summary")
QUESTION_KEYS = {"id", "kind", "prompt", "options", "answer", "right", "wrong", "narration", "decision",
                 "right_narration", "wrong_narration"}
OPTION_KEYS = {"text", "say", "narration"}
MIN_MINUTES, MAX_MINUTES = 3, 5
MIN_STEPS, MAX_STEPS = 3, 7
MIN_QUESTIONS = 3
#: Written to be heard once: a longer sentence is lost before it ends.
MAX_SENTENCE_WORDS = 25
MAX_OPTION_WORDS = 8
#: A "scam or real?" prompt quotes a whole message or call, but not a letter.
MAX_QUOTE_WORDS = 70
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_MARKUP = re.compile(r"[*_`>#]")


def _shown(value: Any) -> str:
    """A value as quoted in a problem, cut short: a hostile file must not make a message of a megabyte."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}…"


def long_sentences(text: str, limit: int = MAX_SENTENCE_WORDS) -> list[str]:
    """The sentences of ``text`` with more than ``limit`` words (Markdown marks ignored)."""
    sentences = _SENTENCE.split(_MARKUP.sub(" ", text).replace("\n", " "))
    return [s.strip() for s in sentences if len(s.split()) > limit]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a lesson file, printed as ``path:line: message``."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ParseResult:
    """The parsed lesson (None when any problem was found) and every problem found."""

    lesson: Lesson | None
    problems: list[Problem] = field(default_factory=list)


class _Collector:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, max(line, 1), message))


def _yaml_mapping(text: str, first_line: int, what: str, out: _Collector, block_line: int | None = None
                  ) -> tuple[dict[str, Any], dict[str, int]] | None:
    """Load a YAML mapping; return it with the 1-based file line of each key, or None after reporting.

    ``first_line`` is the file line of the text's first line; ``block_line`` the line that opens the block.
    """
    try:
        node, data = safe_yaml.load(text)
    except safe_yaml.Refused as exc:
        out.add(first_line + exc.line, f"{what} {exc.message}")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        out.add(line, f"{what} is not valid YAML: {reason}")
        return None
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        out.add(block_line or first_line, f"{what} must be a set of 'key: value' lines")
        return None
    lines = {str(k.value): first_line + k.start_mark.line for k, _ in node.value}
    item_lines: dict[str, list[int]] = {}
    for k, v in node.value:
        if isinstance(v, yaml.SequenceNode):
            item_lines[str(k.value)] = [first_line + item.start_mark.line for item in v.value]
    data = {str(k): v for k, v in data.items()}
    data["__items__"] = item_lines
    return data, lines


def _text(value: Any, line: int, what: str, out: _Collector, *, required: bool = True) -> str:
    if value is None:
        if required:
            out.add(line, f"{what} is missing")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        out.add(line, f"{what} must be text")
        return ""
    text = squash(str(value))
    if not text and required:
        out.add(line, f"{what} is empty")
    return text


def _unknown_keys(data: dict[str, Any], allowed: set[str], lines: dict[str, int], what: str, out: _Collector) -> None:
    for key in data:
        if key != "__items__" and key not in allowed:
            out.add(lines.get(key, 1), f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})")


def _front_matter(raw: list[str], out: _Collector) -> tuple[dict[str, Any], dict[str, int], int] | None:
    """Return the front matter, its key lines, and the index of the first body line."""
    if not raw or raw[0].strip() != "---":
        out.add(1, "the file must start with front matter: a line '---', the lesson's keys, then '---'")
        return None
    for end in range(1, len(raw)):
        if raw[end].strip() == "---":
            break
    else:
        out.add(1, "front matter is not closed: add a line '---' after the lesson's keys")
        return None
    loaded = _yaml_mapping("\n".join(raw[1:end]), 2, "front matter", out)
    if loaded is None:
        return None
    return loaded[0], loaded[1], end + 1


def _option(raw: Any, line: int, out: _Collector) -> Option | None:
    if isinstance(raw, dict):
        unknown = set(raw) - OPTION_KEYS
        if unknown:
            out.add(line, f"unknown key {sorted(unknown)[0]!r} in option (allowed: {', '.join(sorted(OPTION_KEYS))})")
        text = _text(raw.get("text"), line, "option text", out)
        narration = _text(raw.get("narration"), line, "option narration", out, required=False) or None
        say_raw = raw.get("say", [])
        if isinstance(say_raw, str):
            say_raw = [say_raw]
        if not isinstance(say_raw, list) or not all(isinstance(s, str) and s.strip() for s in say_raw):
            out.add(line, "option 'say' must be a list of short spoken forms")
            say_raw = []
        say = tuple(squash(s) for s in say_raw)
    else:
        text = _text(raw, line, "option", out)
        say, narration = (), None
    return Option(text, say, narration) if text else None


def _question(block: str, first_line: int, number: int, out: _Collector) -> Question | None:
    loaded = _yaml_mapping(block, first_line, "question", out, block_line=first_line - 1)
    if loaded is None:
        return None
    data, lines = loaded
    before = len(out.problems)
    _unknown_keys(data, QUESTION_KEYS, lines, "question", out)
    at = lambda key: lines.get(key, first_line)  # noqa: E731 - line of a key, or of the block

    qid = data.get("id", f"q{number}")
    if not isinstance(qid, str) or not SLUG.match(qid):
        out.add(at("id"), f"question id {_shown(qid)} must be an ASCII slug such as 'q1' or 'otp-secret'")
    kind = data.get("kind")
    if kind not in QUESTION_KINDS:
        out.add(at("kind"), f"question kind must be one of {', '.join(QUESTION_KINDS)} (got {_shown(kind)})")
    prompt = _text(data.get("prompt"), at("prompt"), "question prompt", out)
    right = _text(data.get("right"), at("right"), "feedback 'right'", out)
    wrong = _text(data.get("wrong"), at("wrong"), "feedback 'wrong'", out)
    narration = _text(data.get("narration"), at("narration"), "question narration", out, required=False) or None
    feedback_narration = {key: _text(data.get(key), at(key), f"'{key}'", out, required=False) or None
                          for key in ("right_narration", "wrong_narration")}
    decision = data.get("decision", False)
    if not isinstance(decision, bool):
        out.add(at("decision"), f"decision must be true or false (got {_shown(decision)})")
        decision = False
    elif decision and kind in QUESTION_KINDS and kind not in DECISION_KINDS:
        out.add(at("decision"), f"only a {' or '.join(DECISION_KINDS)} question can be a decision (this is {kind})")

    raw_options = data.get("options")
    options: list[Option] = []
    if not isinstance(raw_options, list):
        out.add(at("options"), "question needs 'options': a list of answers")
    else:
        item_lines = data["__items__"].get("options", [])
        for i, raw in enumerate(raw_options):
            option = _option(raw, item_lines[i] if i < len(item_lines) else at("options"), out)
            if option:
                options.append(option)
        wanted = (2, 4) if kind == "choice" else (2, 2)
        if kind in QUESTION_KINDS and not wanted[0] <= len(raw_options) <= wanted[1]:
            count = "2 to 4" if kind == "choice" else "exactly 2"
            out.add(at("options"), f"a {kind} question needs {count} options (has {len(raw_options)})")
        seen: dict[str, int] = {}
        for i, option in enumerate(options):
            for form in (option.text, *option.say):
                # compared with their tones: "ba" and "bà" are different words to a listener
                other = seen.setdefault(nfc(form).casefold(), i)
                if other != i:
                    out.add(at("options"), f"options {other + 1} and {i + 1} sound the same when spoken: {form!r}")
    answer = data.get("answer")
    if not isinstance(answer, int) or isinstance(answer, bool) or not 1 <= answer <= max(len(options), 1):
        out.add(at("answer"), f"answer must be the number of the correct option, 1 to {len(options)} "
                              f"(got {_shown(answer)})")
        answer = 1
    _listenable(out, at("prompt"), "question prompt", prompt, kind == "scam-or-real")
    for key, text in (("right", right), ("wrong", wrong), *feedback_narration.items()):
        _listenable(out, at(key), f"'{key}'", text or "")
    _listenable(out, at("narration"), "question narration", narration or "", kind == "scam-or-real")
    for i, option in enumerate(options):
        if len(option.text.split()) > MAX_OPTION_WORDS:
            out.add(at("options"), f"option {i + 1} is too long to hear and remember "
                                   f"({len(option.text.split())} words, at most {MAX_OPTION_WORDS})")
    if len(out.problems) > before:
        return None
    key_lines = {k: v for k, v in lines.items() if k in QUESTION_KEYS}
    key_lines.update({f"option-{i}": n for i, n in enumerate(data["__items__"].get("options", []))})
    return Question(str(qid), str(kind), prompt, tuple(options), answer - 1, right, wrong, narration, first_line - 1,
                    decision, feedback_narration["right_narration"], feedback_narration["wrong_narration"], key_lines)


def _listenable(out: _Collector, line: int, what: str, text: str, quote: bool = False) -> None:
    if quote:
        if len(text.split()) > MAX_QUOTE_WORDS:
            out.add(line, f"{what} is too long to follow by ear ({len(text.split())} words, at most {MAX_QUOTE_WORDS})")
        return
    for sentence in long_sentences(text):
        out.add(line, f"{what}: a sentence of {len(sentence.split())} words is too long to follow by ear "
                      f"(at most {MAX_SENTENCE_WORDS}): {sentence[:40]!r}…")


def _steps(raw: list[str], start: int, out: _Collector) -> list[Step]:
    steps: list[Step] = []
    current: dict[str, Any] | None = None
    question_count = 0

    def finish() -> None:
        if current is None:
            return
        body = "\n".join(current["body"]).strip()
        if not current["title"]:
            out.add(current["line"], "step heading has no title: write '## ' and a few words")
        if not body:
            out.add(current["line"], f"step {current['title']!r} has no text")
        _listenable(out, current["line"], f"step {current['title']!r}", body)
        _listenable(out, current["line"], f"narration of step {current['title']!r}", current["narration"] or "")
        steps.append(Step(current["title"], body, current["picture"], current["narration"],
                          tuple(current["questions"]), current["line"], current["practice"]))

    i = start
    while i < len(raw):
        line_no, line = i + 1, raw[i]
        fence = _FENCE.match(line)
        heading = _STEP.match(line)
        if heading:
            finish()
            current = {"title": squash(heading["title"]), "body": [], "picture": None, "narration": None,
                       "questions": [], "line": line_no, "practice": None}
        elif fence:
            end = next((j for j in range(i + 1, len(raw)) if raw[j].strip() == fence[1]), None)
            if end is None:
                out.add(line_no, f"block '{line.strip()}' is not closed: add a line '{fence[1]}'")
                break
            info, block = fence[2], "\n".join(raw[i + 1:end])
            if current is None:
                out.add(line_no, "a block before the first step: start the lesson with a '## ' step heading")
            elif info == "question":
                question_count += 1
                question = _question(block, i + 2, question_count, out)
                if question:
                    current["questions"].append(question)
            elif info == "practice":
                if current["practice"] is not None or current["questions"]:
                    out.add(line_no, "a step has at most one practice, before its questions")
                task, found = practice.parse_practice(block, i + 2)
                for at, problem in found:
                    out.add(at, problem)
                if task is not None:
                    for at, what, text in task.spoken():
                        _listenable(out, at, what, text)
                    for at, text in task.shown():  # drawn as text, never a link: still, none may look like one
                        if reason := links.link_problem(text):
                            out.add(at, reason)
                    current["practice"] = task
            elif info != "narration" and info.casefold().rstrip("s") in ("question", "narration", "practice") or (
                    not info and re.search(r"^\s*(prompt|options|answer)\s*:", block, re.M)):
                want = next((w for w in ("narration", "practice") if info.casefold().startswith(w)), "question")
                out.add(line_no, f"block '{line.strip()}' is not a lesson block: write ```{want}")
            elif info == "narration":
                if current["narration"] is not None:
                    out.add(line_no, "a step has at most one narration block")
                current["narration"] = squash(block) or None
                if not current["narration"]:
                    out.add(line_no, "narration block is empty")
            else:
                # a code block is shown as text, but where it ends differs between Markdown readers: no links here
                for j in range(i + 1, end):
                    if reason := links.link_problem(raw[j]):
                        out.add(j + 1, reason)
                current["body"].extend(raw[i:end + 1])
            i = end
        elif current is None:
            if line.strip():
                out.add(line_no, "text before the first step: start each step with a '## ' heading")
        elif picture := _PICTURE.match(line.strip()):
            if current["picture"] is not None:
                out.add(line_no, "a step has at most one picture")
            alt = squash(picture["alt"])
            if not alt:
                out.add(line_no, "picture needs a description: ![what it shows](path)")
            spoken = squash(picture["spoken"] or "") or None
            if picture["spoken"] is not None and spoken is None:
                out.add(line_no, 'the picture\'s spoken description is empty: ![what it shows](path "how it is said")')
            current["picture"] = Picture(picture["path"], alt, spoken, line_no)
        else:
            if _INLINE_PICTURE.search(line):
                out.add(line_no, "a picture goes on a line of its own: ![what it shows](path)")
            elif reason := links.link_problem(line):
                out.add(line_no, reason)
            current["body"].append(line)
        i += 1
    finish()
    return steps


def parse_lesson(text: str, source: Path) -> ParseResult:
    """Parse the text of one lesson file; ``source`` is used in problems and to find pictures."""
    out = _Collector(source)
    raw = nfc(text).replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    front = _front_matter(raw, out)
    if front is None:
        return ParseResult(None, out.problems)
    meta, lines, body_start = front
    at = lambda key: lines.get(key, 1)  # noqa: E731
    _unknown_keys(meta, FRONT_MATTER_KEYS, lines, "front matter", out)
    for key in REQUIRED_KEYS:
        if key not in meta:
            out.add(1, f"front matter is missing '{key}'")

    lesson_id = meta.get("id")
    if "id" in meta and (not isinstance(lesson_id, str) or not SLUG.match(lesson_id)):
        out.add(at("id"), f"id {_shown(lesson_id)} must be an ASCII slug: lowercase letters, digits and hyphens")
    topic = meta.get("topic")
    if "topic" in meta and topic not in TOPICS:
        out.add(at("topic"), f"topic must be one of {', '.join(TOPICS)} (got {_shown(topic)})")
    minutes = meta.get("minutes")
    if "minutes" in meta and (not isinstance(minutes, int) or isinstance(minutes, bool)
                              or not MIN_MINUTES <= minutes <= MAX_MINUTES):
        out.add(at("minutes"), f"minutes must be a whole number from {MIN_MINUTES} to {MAX_MINUTES} "
                               f"(got {_shown(minutes)})")
    title = _text(meta.get("title"), at("title"), "title", out) if "title" in meta else ""
    summary = _text(meta.get("summary"), at("summary"), "summary", out) if "summary" in meta else ""
    prerequisites = meta.get("prerequisites") or []
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) and SLUG.match(p) for p in prerequisites):
        out.add(at("prerequisites"), "prerequisites must be a list of lesson ids, e.g. [phone-unlock]")
        prerequisites = []

    steps = _steps(raw, body_start, out)
    if not steps:
        out.add(len(raw), "the lesson has no steps: start each step with a '## ' heading")
    if len(steps) > MAX_STEPS:
        out.add(steps[MAX_STEPS].line, f"a lesson has at most {MAX_STEPS} steps (has {len(steps)}): split it")
    elif 0 < len(steps) < MIN_STEPS:
        out.add(steps[-1].line, f"a lesson has at least {MIN_STEPS} steps (has {len(steps)})")
    # question blocks written, parsed or not (a broken one is reported on its own)
    asked = sum(1 for line in raw if (fence := _FENCE.match(line)) and fence[2] == "question")
    if steps and asked < MIN_QUESTIONS:
        out.add(steps[-1].line, f"a lesson asks at least {MIN_QUESTIONS} questions (has {asked})")
    seen: dict[str, int] = {}
    for step in steps:
        if step.practice is not None:
            if step.practice.id in seen:
                out.add(step.practice.line + 1, f"practice id {step.practice.id!r} is already used on line "
                                                f"{seen[step.practice.id]}")
            seen.setdefault(step.practice.id, step.practice.line + 1)
        for q in step.questions:
            if q.id in seen:
                out.add(q.line + 1, f"question id {q.id!r} is used twice (first on line {seen[q.id]})")
            seen.setdefault(q.id, q.line + 1)

    if out.problems:
        return ParseResult(None, sorted(out.problems))
    assert isinstance(minutes, int)
    lesson = Lesson(str(lesson_id), title, str(topic), minutes, summary, tuple(steps),
                    tuple(prerequisites), source, {k: v for k, v in lines.items()})
    return ParseResult(lesson, [])
