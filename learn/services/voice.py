"""Answers by voice: from the browser's recording to an answer, a command, or a kind "please tap"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from learn.errors import VoiceUnavailable
from learn.lessons.model import Lesson, Question
from learn.services.player import PlayerView, answer, go_to
from learn.voice import Command
from learn.voice.asr import Recognizer, understand
from learn.voice.pipeline import prepare_or_problem
from progress_db import learning
from progress_db.records import UtteranceInfo

#: What a spoken turn does: answer the question, a command ("repeat", "next"), or nothing (a problem to say).
VoiceAction = Literal["answer", "problem"] | Command


@dataclass(frozen=True)
class VoiceTurn:
    """What a recording meant: "answer" (``index``), "repeat", "next", or "problem" (``problem`` is the key
    of the message for the learner). ``transcript`` and ``confidence`` are what the recogniser heard."""

    action: VoiceAction
    index: int | None = None
    transcript: str = ""
    confidence: float | None = None
    problem: str | None = None
    seconds: float = 0.0


def hear(recognizer: Recognizer, audio: bytes, question: Question | None = None) -> VoiceTurn:
    """Understand a recording made on a screen; with ``question`` an option may be chosen, else only commands.

    ``audio`` is an upload anyone could have built: whatever it holds, the answer is a turn (a problem with a
    message key when nothing usable is in it), in bounded memory (see ``learn.voice.pipeline``), never an error.
    """
    prepared = prepare_or_problem(audio)
    if not prepared.ok:
        return VoiceTurn("problem", problem=prepared.problem, seconds=prepared.seconds)
    choices = [o.text for o in question.options] if question else []
    forms = [list(o.say) for o in question.options] if question else None
    try:
        heard = understand(recognizer, prepared.pcm, choices, forms)
    except VoiceUnavailable as exc:
        return VoiceTurn("problem", problem=exc.key, seconds=prepared.seconds)
    text, confidence = heard.transcript.text, round(heard.transcript.confidence, 3)
    meaning = heard.interpretation
    if meaning.action == "unclear":
        return VoiceTurn("problem", None, text, confidence, "voice.not_understood", prepared.seconds)
    return VoiceTurn(meaning.action, meaning.index, text, confidence, None, prepared.seconds)


def remember(learner_id: int, lesson_id: str, position: int, question: Question | None, turn: VoiceTurn) -> None:
    """Keep what was heard (understood or not) for trainers and content authors; silence is not kept."""
    if turn.transcript or turn.problem == "voice.not_understood":
        learning.record_utterance(learner_id, UtteranceInfo(
            lesson_id, question.id if question else None, position, turn.transcript, turn.confidence,
            turn.problem or turn.action, round(turn.seconds, 2)))


def forget_old_voices(keep_days: int, now: datetime | None = None) -> int:
    """Erase what residents said to the recogniser more than ``keep_days`` ago (LEARN_KEEP_VOICE_DAYS): it
    comes from a person's voice. Only transcripts are stored (the recordings themselves are never kept);
    what came of each (answer, not understood) stays for the trainers' counts. How many were erased."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return learning.forget_heard_before(now - timedelta(days=keep_days))


@dataclass(frozen=True)
class VoiceOutcome:
    """What a spoken turn on a lesson screen did, for the page to show: play the screen's narration again
    (``replay``), or say why nothing was done (``problem``, a message key); neither when it was acted on."""

    replay: bool = False
    problem: str | None = None


def act_on(learner_id: int, lesson: Lesson, view: PlayerView, turn: VoiceTurn) -> VoiceOutcome:
    """Do what the learner said on the screen of ``view``: answer its question (if not answered yet), "nghe lại",
    or "tiếp" (when she may go on); everything heard is kept for the trainers."""
    question = view.screen.question if view.screen is not None else None
    asking = question if view.answer is None else None
    remember(learner_id, lesson.id, view.position, question, turn)
    if turn.action == "answer" and asking is not None and turn.index is not None:
        answer(learner_id, lesson, view.position, turn.index, "voice", turn.transcript, turn.confidence)
        return VoiceOutcome()
    if turn.action == "repeat":
        return VoiceOutcome(replay=True)
    if turn.action == "next" and view.can_go_on:
        go_to(learner_id, lesson, view.position + 1)
        return VoiceOutcome()
    return VoiceOutcome(problem=turn.problem or "voice.answer_first")
