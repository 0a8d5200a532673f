"""Check a whole content folder: every file parsed, then the rules that span files (ids, prerequisites, pictures)."""

from __future__ import annotations

import re
from pathlib import Path

from learn.lessons.model import Lesson
from learn.lessons.parse import Problem, parse_lesson

#: The largest lesson file read (the longest lesson is under 9 KB).
MAX_LESSON_BYTES = 256 * 1024


def lesson_files(root: Path) -> list[Path]:
    """Lesson files under ``root``: Markdown files in topic folders (top-level files such as SOURCES.md are notes)."""
    return sorted(p for p in root.glob("*/**/*.md") if p.is_file() and "pictures" not in p.relative_to(root).parts)


def read_lesson(path: Path, root: Path) -> tuple[Lesson | None, list[Problem]]:
    """Parse one file and check what only the file system can tell (name, encoding, pictures).

    The lesson is returned whenever it parsed, even with file-level problems, so that other lessons'
    prerequisites can still be checked against it; the catalog leaves out any file with a problem.
    """
    problems: list[Problem] = []
    if not path.name.isascii():
        problems.append(Problem(path, 1, "file name must be ASCII, e.g. 01-turn-on.md"))
    try:
        with path.open("rb") as file:
            data = file.read(MAX_LESSON_BYTES + 1)  # never more, whatever the file claims to be
    except OSError as exc:
        return None, [*problems, Problem(path, 1, f"file cannot be read: {exc.strerror or exc}")]
    if len(data) > MAX_LESSON_BYTES:
        return None, [*problems, Problem(path, 1, f"file is too big for a lesson (more than {MAX_LESSON_BYTES // 1024}"
                                                  " KB): a lesson of 3 to 5 minutes is a few KB, split it")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [*problems, Problem(path, line, "file is not UTF-8 text: save it as UTF-8")]
    try:
        result = parse_lesson(text, path)
    except (RecursionError, MemoryError):  # the last fence: one file must never take the whole catalog down
        return None, [*problems, Problem(path, 1, "file is nested too deeply or too big to read")]
    problems.extend(result.problems)
    lesson = result.lesson
    if lesson is not None:
        base, top = path.parent.resolve(), root.resolve()
        for step in lesson.steps:
            if step.picture is None:
                continue
            target = (base / step.picture.path).resolve()
            if not target.is_relative_to(top):
                problems.append(Problem(path, step.line,
                                        f"picture {step.picture.path!r} is outside the content folder"))
            elif not target.is_file():
                problems.append(Problem(path, step.line, f"picture {step.picture.path!r} does not exist"))
        problems.extend(unreachable_options(lesson))
        problems.extend(hard_to_say(lesson))
    return lesson, problems  # parsed lessons still take part in cross-file checks


# Digits and abbreviations ("156", "OTP", "VNeID", "CH Play") come out wrong from a Vietnamese voice: what is read
# aloud must spell them out ("một năm sáu", "mã ô tê pê"), in a narration: the step's block, the question's,
# an option's or a feedback's key, or the picture's title.
_HARD = re.compile(r"\d|\b\w*[A-Z]\w*[A-Z]\w*\b")


def hard_to_say(lesson: Lesson) -> list[Problem]:
    """Digits and abbreviations in text that is read aloud without a narration override."""
    assert lesson.source is not None
    problems = []

    def check(line: int, what: str, text: str) -> None:
        found = sorted(set(m.group(0) for m in _HARD.finditer(text)))
        if found:
            problems.append(Problem(lesson.source, line, f"{what} is read aloud with {', '.join(found)}: "  # type: ignore[arg-type]
                                    "spell it out as it is said, in a narration"))

    for step in lesson.steps:
        check(step.line, f"step {step.title!r}", step.spoken)
        if step.picture is not None:
            check(step.picture.line, f"the picture of step {step.title!r}", step.picture.spoken)
        for q in step.questions:
            check(q.line + 1, f"question {q.id!r}", q.spoken)
            for i, option in enumerate(q.options):  # each as said: its narration when it has one
                check(q.line + 1, f"option {i + 1} of question {q.id!r}", option.spoken)
            check(q.line + 1, f"the feedback of question {q.id!r}", f"{q.right_spoken} {q.wrong_spoken}")
        if step.practice is not None:
            for line, what, text in step.practice.spoken():
                check(line, what, text)
    return problems


def unreachable_options(lesson: Lesson) -> list[Problem]:
    """Options a learner could not choose by saying them: their own words or spoken forms mean something else."""
    from learn.voice.answers import match_answer

    assert lesson.source is not None
    problems = []
    for question in lesson.questions:
        choices = [o.text for o in question.options]
        forms = [list(o.say) for o in question.options]
        for i, option in enumerate(question.options):
            for said in (option.text, *option.say):
                got = match_answer(said, choices, forms)
                if got != i:
                    meaning = "nothing sure" if got is None else f"option {got + 1}"
                    problems.append(Problem(lesson.source, question.line + 1,
                                            f"saying {said!r} (option {i + 1}) is understood as {meaning}: "
                                            "change the option's words or its spoken forms"))
    return problems


def cross_check(lessons: list[Lesson]) -> list[Problem]:
    """Rules between lessons: unique ids, prerequisites that exist and do not go round in a circle."""
    problems: list[Problem] = []
    by_id: dict[str, Lesson] = {}
    for lesson in lessons:
        assert lesson.source is not None
        first = by_id.setdefault(lesson.id, lesson)
        if first is not lesson:
            problems.append(Problem(lesson.source, lesson.lines.get("id", 1),
                                    f"id {lesson.id!r} is already used by {first.source}"))
    for lesson in lessons:
        assert lesson.source is not None
        line = lesson.lines.get("prerequisites", 1)
        for pre in lesson.prerequisites:
            if pre == lesson.id:
                problems.append(Problem(lesson.source, line, "a lesson cannot be its own prerequisite"))
            elif pre not in by_id:
                problems.append(Problem(lesson.source, line, f"prerequisite {pre!r} is not a lesson id"))
    for lesson in lessons:
        if _in_cycle(lesson.id, by_id):
            assert lesson.source is not None
            problems.append(Problem(lesson.source, lesson.lines.get("prerequisites", 1),
                                    "prerequisites go round in a circle back to this lesson"))
    return problems


def _in_cycle(start: str, by_id: dict[str, Lesson]) -> bool:
    seen: set[str] = set()
    todo = [p for p in by_id[start].prerequisites if p != start]
    while todo:
        current = todo.pop()
        if current == start:
            return True
        if current in seen or current not in by_id:
            continue
        seen.add(current)
        todo.extend(by_id[current].prerequisites)
    return False


def check_tree(root: Path) -> tuple[list[Lesson], list[Problem]]:
    """Every valid lesson under ``root`` and every problem found, sorted by file and line."""
    lessons: list[Lesson] = []
    problems: list[Problem] = []
    files = lesson_files(root)
    if not files:
        problems.append(Problem(root, 1, "no lessons found: put lessons in topic folders, e.g. smartphone/01-x.md"))
    for path in files:
        lesson, found = read_lesson(path, root)
        problems.extend(found)
        if lesson is not None:
            lessons.append(lesson)
    problems.extend(cross_check(lessons))
    return lessons, sorted(set(problems))


def check_content(root: Path) -> tuple[list[Lesson], list[Problem]]:
    """``check_tree`` and then the rules for authors (``learn.lessons.rules``): what `learn content check` runs."""
    from learn.lessons.rules import check_rules

    lessons, problems = check_tree(root)
    return lessons, sorted(set(problems + check_rules(lessons, root)))
