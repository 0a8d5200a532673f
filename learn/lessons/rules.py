"""The rules for authors that ``learn content check`` adds to the parser's (issue 17): feedback that says "not
right" first, answers a guesser cannot pass with, decision questions, no joke options, no false claim read aloud
as a statement, short steps, no hopeless lines, and every narrated word said with Vietnamese rules.

A lesson that breaks them still plays (the catalog leaves out only lessons that cannot be shown); the check, and
so CI, fails until it is fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import product
from pathlib import Path

from learn.lessons import pronunciation
from learn.lessons.model import Lesson, Question
from learn.lessons.parse import Problem
from learn.lessons.rules_vi import HOPELESS_PHRASES, JOKE_DISTRACTORS, VERDICTS, WRONG_OPENINGS
from learn.strings_vi import t
from learn.text import squash

#: Real cases among a topic's scam-or-real questions, at least (percent).
MIN_REAL_PERCENT = 40
#: Decision questions in each lesson, at least.
MIN_DECISIONS = 2
#: A decision tells a situation before asking: its prompt has at least this many words.
MIN_DECISION_WORDS = 8
#: Words read aloud for one step, at most: one idea per step.
MAX_STEP_WORDS = 70
#: The most options a question has (a guesser always tapping option k, for k up to this).
MAX_OPTIONS = 4
_EDGE = re.compile(r"^[\W_]+")
_MARKUP = re.compile(r"[*_`>#]")


def meaning(text: str) -> str | None:
    """What an option means as a verdict ("true", "false", "scam", "real"), or None for an ordinary choice."""
    return VERDICTS.get(squash(text).rstrip(".!").casefold())


def passed(score: int, asked: int) -> bool:
    """The pass mark the guessing rule uses: more than half the questions right (the player keeps no mark)."""
    return score * 2 > asked


def check_rules(lessons: list[Lesson], root: Path) -> list[Problem]:
    """Every authoring rule over the lessons of one content folder (and its pronunciation lexicon)."""
    lexicon, problems = pronunciation.load_lexicon(root)
    for lesson in lessons:
        problems += wrong_openings(lesson)
        problems += same_answer(lesson)
        problems += decisions(lesson)
        problems += joke_distractors(lesson)
        problems += false_statements(lesson)
        problems += long_steps(lesson)
        problems += hopeless_lines(lesson)
    problems += real_share(lessons)
    problems += pronunciation.foreign_words(lessons, lexicon, root)
    return problems


def _source(lesson: Lesson) -> Path:
    assert lesson.source is not None
    return lesson.source


def _opens_with(text: str, phrases: tuple[str, ...]) -> bool:
    start = _EDGE.sub("", squash(text)).casefold()
    return any(start.startswith(p.casefold()) and not start[len(p):len(p) + 1].isalpha() for p in phrases)


def wrong_openings(lesson: Lesson) -> list[Problem]:
    """Wrong-answer feedback (written and spoken) that does not open with a listed "not right"."""
    problems = []
    for q in lesson.questions:
        for key, text in (("wrong", q.wrong), ("wrong_narration", q.wrong_narration)):
            if text and not _opens_with(text, WRONG_OPENINGS):
                problems.append(Problem(_source(lesson), q.at(key), t(
                    "check.wrong_opening", what=t("check.what_wrong", id=q.id),
                    openings=", ".join(f"“{o}”" for o in WRONG_OPENINGS), start=" ".join(text.split()[:4]))))
    return problems


def _choice(q: Question, value: str | None, position: int) -> int:
    """The option a guesser takes: the one meaning ``value`` if there is one, else the one at ``position``."""
    for i, option in enumerate(q.options):
        if value is not None and meaning(option.text) == value:
            return i
    return min(position, len(q.options) - 1)


def same_answer(lesson: Lesson) -> list[Problem]:
    """Whether always giving the same answer passes the lesson: always option k, or always "Lừa đảo" (or "Sai",
    "Thật", "Đúng", "Có", "Không") where it is an option and option k elsewhere. The best such guesser is named."""
    questions = lesson.questions
    if not questions:
        return []
    values = sorted({m for q in questions for o in q.options if (m := meaning(o.text))})
    best: tuple[int, str | None, int] | None = None
    for value, position in product([None, *values], range(MAX_OPTIONS)):
        score = sum(_choice(q, value, position) == q.answer for q in questions)
        if best is None or score > best[0]:
            best = (score, value, position)
    assert best is not None
    score, value, position = best
    if not passed(score, len(questions)):
        return []
    rest = t("check.strategy_position", number=position + 1)
    if value is None:
        strategy = rest
    else:
        shown = next(o.text for q in questions for o in q.options if meaning(o.text) == value)
        strategy = t("check.strategy_value", value=shown)
        if not all(any(meaning(o.text) == value for o in q.options) for q in questions):
            strategy = t("check.strategy_else", first=strategy, rest=rest)
    return [Problem(_source(lesson), lesson.lines.get("id", 1),
                    t("check.same_answer", strategy=strategy, score=score, asked=len(questions)))]


def real_share(lessons: list[Lesson]) -> list[Problem]:
    """Topics whose scam-or-real questions are real cases less than MIN_REAL_PERCENT of the time."""
    problems = []
    for topic in dict.fromkeys(x.topic for x in lessons):
        items = [(x, q) for x in sorted((x for x in lessons if x.topic == topic), key=lambda x: str(x.source))
                 for q in x.questions if q.kind == "scam-or-real"]
        verdicts = [meaning(q.options[q.answer].text) for _, q in items]
        total, real = len([v for v in verdicts if v in ("scam", "real")]), verdicts.count("real")
        if total and real * 100 < MIN_REAL_PERCENT * total:
            first = items[0][0]
            problems.append(Problem(_source(first), first.lines.get("topic", 1), t(
                "check.topic_real_share", topic=topic, real=real, total=total, percent=round(real * 100 / total),
                least=MIN_REAL_PERCENT, lessons=", ".join(dict.fromkeys(x.id for x, _ in items)))))
    return problems


def decisions(lesson: Lesson) -> list[Problem]:
    """At least MIN_DECISIONS decision questions, each telling a situation and ending with a question mark."""
    problems = []
    found = [q for q in lesson.questions if q.decision]
    if len(found) < MIN_DECISIONS:
        problems.append(Problem(_source(lesson), lesson.lines.get("id", 1),
                                t("check.few_decisions", count=len(found), least=MIN_DECISIONS)))
    for q in found:
        prompt = q.prompt.strip().strip("\"“”")
        if not prompt.endswith("?") or len(prompt.split()) < MIN_DECISION_WORDS:
            problems.append(Problem(_source(lesson), q.at("prompt"),
                                    t("check.decision_prompt", id=q.id, least=MIN_DECISION_WORDS, prompt=prompt)))
    return problems


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase.casefold())}(?!\w)", squash(text).casefold()) is not None


def joke_distractors(lesson: Lesson) -> list[Problem]:
    """Options that are on the guide's list of joke distractors."""
    problems = []
    for q in lesson.questions:
        for i, option in enumerate(q.options):
            if any(_has(option.text, p) or _has(option.spoken, p) for p in JOKE_DISTRACTORS):
                problems.append(Problem(_source(lesson), q.at(f"option-{i}"),
                                        t("check.joke_distractor", number=i + 1, id=q.id, text=option.text)))
    return problems


def false_statements(lesson: Lesson) -> list[Problem]:
    """True/false questions whose answer is "false" and whose prompt, as shown or as read, is a statement."""
    problems = []
    for q in lesson.questions:
        if q.kind != "true-false" or meaning(q.options[q.answer].text) != "false":
            continue
        for key, text in (("prompt", q.prompt), ("narration", q.narration)):
            if text and not text.strip().strip("\"“”").endswith("?"):
                problems.append(Problem(_source(lesson), q.at(key), t("check.false_statement", id=q.id)))
                break
    return problems


def long_steps(lesson: Lesson) -> list[Problem]:
    """Steps that take more than MAX_STEP_WORDS words to read aloud."""
    problems = []
    for step in lesson.steps:
        words = len(_MARKUP.sub(" ", step.spoken).split())
        if words > MAX_STEP_WORDS:
            problems.append(Problem(_source(lesson), step.line,
                                    t("check.long_step", title=step.title, words=words, most=MAX_STEP_WORDS)))
    return problems


def _texts(lesson: Lesson) -> Iterator[tuple[int, str, str]]:
    """Every text a learner reads or hears, with its line and what it is."""
    for step in lesson.steps:
        yield step.line, t("check.what_step", title=step.title), f"{step.title}. {step.body}"
    yield from pronunciation.narrated(lesson)
    for q in lesson.questions:
        yield q.at("prompt"), t("check.what_question", id=q.id), q.prompt
        yield q.at("right"), t("check.what_right", id=q.id), q.right
        yield q.at("wrong"), t("check.what_wrong", id=q.id), q.wrong


def hopeless_lines(lesson: Lesson) -> list[Problem]:
    """Texts holding a phrase from the guide's list of hopeless lines (each reported once per line)."""
    seen: set[tuple[int, str]] = set()
    problems = []
    for line, what, text in _texts(lesson):
        for phrase in HOPELESS_PHRASES:
            if _has(text, phrase) and (line, phrase) not in seen:
                seen.add((line, phrase))
                problems.append(Problem(_source(lesson), line, t("check.hopeless", what=what, phrase=phrase)))
    return problems
