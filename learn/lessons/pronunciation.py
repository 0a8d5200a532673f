"""Does the offline voice say every narrated word right? Each word is read by ``espeak-ng -v vi -q -x`` (phonemes
only, no sound), which marks a switch to another language's rules as ``(en)…(vi)``; a word read that way must have
an entry in the pronunciation lexicon, whose respelling is itself checked the same way.

All words are read by one espeak-ng process, one word per line, and the phonemes are kept per word for the rest
of the process, so the whole curriculum takes a second or two.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from learn.errors import VoiceUnavailable
from learn.lessons.model import Lesson
from learn.lessons.parse import Problem
from learn.lessons.rules_vi import LANGUAGES
from learn.strings_vi import t
from learn.text import nfc, squash
from learn.voice.lexicon import WORD, Lexicon, word_key

#: The lexicon's file, at the top of the content folder.
LEXICON_FILE = "lexicon.yaml"
VOICE = "vi"
#: A switch to another language in espeak-ng's phoneme output: "(en)".
_SWITCH = re.compile(r"\(([a-z]{2,3}(?:-[a-z0-9]+)?)\)")
_cache: dict[str, str] = {}


def load_lexicon(root: Path, pronounce: bool = True) -> tuple[Lexicon, list[Problem]]:
    """The lexicon under ``root`` (empty when there is none) and the problems of its file; with ``pronounce``,
    also each respelling espeak-ng still reads with another language's rules (narration needs only the entries)."""
    path = root / LEXICON_FILE
    if not path.is_file():
        return Lexicon(), []
    problems: list[Problem] = []
    try:
        node = yaml.compose(nfc(path.read_text(encoding="utf-8")), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        return Lexicon(), [Problem(path, mark.line + 1 if mark else 1, t("check.lexicon_yaml"))]
    if node is None:
        return Lexicon(), []
    if not isinstance(node, yaml.MappingNode):
        return Lexicon(), [Problem(path, node.start_mark.line + 1, t("check.lexicon_yaml"))]
    entries: dict[str, str] = {}
    first: dict[str, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        written = squash(str(key.value)) if isinstance(key, yaml.ScalarNode) else ""
        said = squash(str(value.value)) if isinstance(value, yaml.ScalarNode) else ""
        if not written or not said or " ".join(WORD.findall(written)) != written:
            problems.append(Problem(path, line, t("check.lexicon_entry", word=written or "?")))
            continue
        if word_key(written) in first:
            problems.append(Problem(path, line, t("check.lexicon_twice", word=written,
                                                  line=first[word_key(written)])))
            continue
        first[word_key(written)] = line
        entries[written] = said
    lexicon = Lexicon(entries)
    if not pronounce:
        return lexicon, problems
    try:
        read = phonemes(w for said in entries.values() for w in WORD.findall(said))
    except VoiceUnavailable:
        return lexicon, problems  # said once, by the check of the lessons
    for written, said in entries.items():
        for word in WORD.findall(said):
            if language(read[word]):
                problems.append(Problem(path, first[word_key(written)], t(
                    "check.lexicon_foreign", word=written, said=said, part=word, phonemes=read[word])))
    return lexicon, problems


def language(phonemes: str) -> str | None:
    """The other language espeak-ng switched to while reading a word ("en"), or None."""
    return next((m for m in _SWITCH.findall(phonemes) if m != VOICE), None)


def phonemes(words: Iterable[str]) -> dict[str, str]:
    """espeak-ng's phonemes for each word, read by one process for all the words not read before."""
    wanted = list(dict.fromkeys(words))
    todo = [w for w in wanted if w not in _cache]
    if todo:
        _cache.update(zip(todo, _read(todo), strict=True))
    return {w: _cache[w] for w in wanted}


def _read(words: list[str]) -> list[str]:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise VoiceUnavailable("espeak-ng is not installed", key="voice.no_espeak")
    # a full stop ends each word's clause, so espeak-ng writes one line of phonemes per word
    done = subprocess.run([binary, "-v", VOICE, "-q", "-x", "--stdin"], input="".join(f"{w}.\n" for w in words),
                          capture_output=True, text=True, timeout=120, check=False)
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(lines) != len(words):
        if len(words) == 1:
            raise VoiceUnavailable(f"espeak-ng could not read {words[0]!r}: {done.stderr.strip()[:200]}")
        middle = len(words) // 2  # a word that made two lines (or none): find it by halves
        return _read(words[:middle]) + _read(words[middle:])
    return lines


def narrated(lesson: Lesson) -> Iterator[tuple[int, str, str]]:
    """Every text of the lesson the voice reads: (file line, what it is, the text)."""
    for step in lesson.steps:
        yield step.line, t("check.what_step", title=step.title), step.spoken
        if step.picture is not None:
            yield step.picture.line or step.line, t("check.what_picture", title=step.title), step.picture.spoken
        for q in step.questions:
            yield q.at("narration" if q.narration else "prompt"), t("check.what_question", id=q.id), q.spoken
            for i, option in enumerate(q.options):
                yield q.at(f"option-{i}"), t("check.what_option", number=i + 1, id=q.id), option.spoken
            yield (q.at("right_narration" if q.right_narration else "right"),
                   t("check.what_right", id=q.id), q.right_spoken)
            yield (q.at("wrong_narration" if q.wrong_narration else "wrong"),
                   t("check.what_wrong", id=q.id), q.wrong_spoken)
        if step.practice is not None:  # a task on a pretend phone: each screen, hint and feedback is said
            yield from step.practice.spoken()


def foreign_words(lessons: list[Lesson], lexicon: Lexicon, root: Path) -> list[Problem]:
    """Each narrated word the offline voice reads with another language's rules, after the lexicon is applied."""
    texts = [(lesson, line, what, WORD.findall(lexicon.apply(text)))
             for lesson in lessons for line, what, text in narrated(lesson)]
    try:
        read = phonemes(w for *_, words in texts for w in words)
    except VoiceUnavailable as exc:
        return [Problem(root, 1, t("check.no_espeak", reason=str(exc)))]
    problems = []
    for lesson, line, what, words in texts:
        assert lesson.source is not None
        for word in dict.fromkeys(words):
            other = language(read[word])
            if other:
                problems.append(Problem(lesson.source, line, t(
                    "check.foreign_word", what=what, word=word, language=LANGUAGES.get(other, other),
                    phonemes=read[word], lexicon=LEXICON_FILE)))
    return problems
