"""Understanding a spoken answer: which option a transcript chooses, or a command ("nghe lại", "tiếp").

Pure functions over text, so every rule is tested on transcripts alone. The recogniser is weak, so the rules
prefer "not sure" (None) to a wrong answer: a learner can always tap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from learn.text import fold, nfc
from learn.voice import Command
from learn.voice.vocabulary_vi import COMMANDS, CONCEPTS, FALSE, IGNORED, LETTERS, NEGATIONS, NUMBERS, OPPOSITE

_WORD = re.compile(r"\[unk\]|[^\W_]+", re.UNICODE)

#: What an utterance means: an answer, a command, or nothing sure.
Meaning = Literal["answer", "unclear"] | Command


@dataclass(frozen=True)
class Interpretation:
    """What an utterance means: an answer (``index``), a command ("repeat", "next"), or "unclear"."""

    action: Meaning
    index: int | None = None


def words(text: str) -> list[str]:
    """Lower-case NFC words of a transcript, punctuation dropped."""
    return _WORD.findall(nfc(text).casefold())


def _meaningful(tokens: list[str]) -> list[str]:
    """Words that can carry an answer: politeness, fillers and pointing words dropped."""
    return [w for w in tokens if w not in IGNORED or w in CONCEPTS or w in NUMBERS or w in LETTERS]


def _find(tokens: Sequence[str | None], phrase: Sequence[str | None], start: int = 0) -> int:
    n, target = len(phrase), list(phrase)
    for i in range(start, len(tokens) - n + 1):
        if list(tokens[i:i + n]) == target:
            return i
    return -1


def _negated_before(tokens: list[str | None], i: int) -> int:
    """How many tokens just before position ``i`` negate what follows (0 when none)."""
    for negation in NEGATIONS:
        neg = negation.split()
        if i >= len(neg) and tokens[i - len(neg):i] == neg:
            return len(neg)
    return 0


def _concept(phrase_words: list[str]) -> str | None:
    """The yes/no/scam/real meaning of an option made only of such words ("Không phải lừa đảo" -> real)."""
    tokens: list[str | None] = list(_meaningful(phrase_words))
    found = _concepts(tokens)
    return found[0] if len(set(found)) == 1 and not any(tokens) else None


#: the yes/no/scam/real phrases as word lists, longest first; the negations as word lists
_PHRASES = sorted(((phrase, phrase.split()) for phrase in CONCEPTS), key=lambda p: -len(p[1]))
_NEGATIONS = [negation.split() for negation in NEGATIONS]


def _concepts(tokens: list[str | None]) -> list[str]:
    """Take every yes/no/scam/real phrase out of ``tokens`` (marking them used), with negation applied."""
    found = []
    i = 0
    while i < len(tokens):  # negations first: "không phải thật" is a scam, not "no" and "real"
        neg = next((len(n) for n in _NEGATIONS if tokens[i:i + len(n)] == n), 0)
        if not neg:
            i += 1
            continue
        phrase = next((p for p, said in _PHRASES if tokens[i + neg:i + neg + len(said)] == said), None)
        size = neg + (len(phrase.split()) if phrase else 0)
        found.append(OPPOSITE[CONCEPTS[phrase]] if phrase else FALSE)  # a bare "không" is a "no"
        tokens[i:i + size] = [None] * size
        i += size
    present = set(tokens)  # words are only ever taken out below, so a phrase whose first word is absent is too
    for phrase, target in _PHRASES:
        if target[0] not in present:
            continue
        at = _find(tokens, target)
        while at >= 0:
            found.append(CONCEPTS[phrase])
            tokens[at:at + len(target)] = [None] * len(target)
            at = _find(tokens, target, at + len(target))
    return found


def interpret(transcript: str, choices: Sequence[str], spoken_forms: Sequence[Sequence[str]] | None = None
              ) -> Interpretation:
    """Read a transcript as an answer to ``choices`` (option texts; authored spoken forms only add to them)."""
    tokens: list[str | None] = list(_meaningful(words(transcript)))
    chosen: set[int] = set()
    refused = False

    # 1. The options' own words and spoken forms, longest first; "không phải lừa đảo" negates "lừa đảo".
    forms: list[tuple[list[str], int]] = []
    for i, choice in enumerate(choices):
        extra = list(spoken_forms[i]) if spoken_forms and i < len(spoken_forms) else []
        for form in [choice, *extra]:
            form_words = _meaningful(words(form))
            # "Có", "Sai", "Lừa đảo"…: left to the yes/no step below, which understands negation
            if form_words and _concept(form_words) is None:
                forms.append((form_words, i))
    concepts_of = {i: _concept(words(c)) for i, c in enumerate(choices)}
    for form_words, i in sorted(forms, key=lambda f: -len(f[0])):
        at = _find(tokens, form_words)
        while at >= 0:
            negated = _negated_before(tokens, at)
            if negated and concepts_of[i] is None:
                refused = True  # "not option 2": never an answer
            elif negated:
                meaning = OPPOSITE[concepts_of[i]]  # type: ignore[index]
                matches = [j for j, c in concepts_of.items() if c == meaning]
                chosen.update(matches) if matches else None
                refused |= not matches
            else:
                chosen.add(i)
            tokens[at - negated:at + len(form_words)] = [None] * (negated + len(form_words))
            at = _find(tokens, form_words, at + len(form_words))

    # 2. "Not two" refuses: a negated number or letter is never an answer.
    for k, token in enumerate(tokens):
        negated = _negated_before(tokens, k) if token in NUMBERS or token in LETTERS else 0
        if negated:
            refused = True
            tokens[k - negated:k + 1] = [None] * (negated + 1)

    # 3. Yes / no / true / false / scam / real, with negation.
    binary = all(c is not None for c in concepts_of.values()) and bool(choices)
    for meaning in _concepts(tokens):
        matches = [j for j, c in concepts_of.items() if c == meaning]
        if matches:
            chosen.update(matches)
        elif binary:
            refused = True  # "đúng" to "scam or real?" means nothing sure

    # 4. Numbers, ordinals and letters: "hai", "số hai", "thứ hai", "đáp án hai", "bê".
    for k, token in enumerate(tokens):
        if token is None:
            continue
        number = NUMBERS.get(token) or (LETTERS.get(token) if len(choices) > 1 else None)
        if number is None:
            continue
        tokens[k] = None
        if 1 <= number <= len(choices):
            chosen.add(number - 1)
        else:
            refused = True

    # 5. Commands, when nothing else was said.
    command: Command | None = None
    for phrase, action in sorted(COMMANDS.items(), key=lambda c: -len(c[0].split())):
        at = _find(tokens, phrase.split())
        if at >= 0:
            command = command or action
            tokens[at:at + len(phrase.split())] = [None] * len(phrase.split())

    # 6. Distinctive words of one option only ("nguồn" for "Nút nguồn" beside "Nút âm lượng").
    if not chosen and not refused and command is None:
        chosen |= _by_distinctive_words([t for t in tokens if t is not None], choices)

    if refused or len(chosen) > 1:
        return Interpretation("unclear")
    if chosen:
        return Interpretation("answer", chosen.pop())
    return Interpretation(command) if command else Interpretation("unclear")


def _by_distinctive_words(heard: list[str], choices: Sequence[str]) -> set[int]:
    option_words = [{fold(w) for w in words(c) if w not in IGNORED} for c in choices]
    heard_folded = {fold(w) for w in heard}
    scores = []
    for i, mine in enumerate(option_words):
        others = set().union(*(w for j, w in enumerate(option_words) if j != i)) if len(choices) > 1 else set()
        distinct = mine - others
        hits = distinct & heard_folded
        scores.append((len(hits) / len(distinct) if distinct else 0.0, i, bool(hits)))
    hit = [s for s in scores if s[2]]
    if len(hit) != 1 or hit[0][0] < 0.5:
        return set()  # nothing, or words of two different options
    return {hit[0][1]}


def match_answer(transcript: str, choices: Sequence[str], spoken_forms: Sequence[Sequence[str]] | None = None
                 ) -> int | None:
    """The index of the option a transcript chooses, or None when it is not a confident, single answer."""
    result = interpret(transcript, choices, spoken_forms)
    return result.index if result.action == "answer" else None


def match_command(transcript: str) -> Command | None:
    """"repeat" for "nghe lại" and the like, "next" for "tiếp", else None (works on every screen)."""
    action = interpret(transcript, []).action
    return action if action == "repeat" or action == "next" else None
