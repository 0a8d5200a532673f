"""Group sessions: a trainer runs a lesson for a village on the projector, marks who came, and records each
attendee's answers (all of them "assisted": given with a trainer's help). Everything is saved as it happens,
so a session left half way, or a browser closed mid-quiz, carries on where it was."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from learn.errors import InvalidInput, NotFound
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson
from learn.services import people
from learn.services.trainers import commune_villages, village_for
from learn.services.voice import VoiceTurn
from progress_db import group_sessions as stored
from progress_db import records
from progress_db.records import AccountInfo, GroupSessionInfo


def _own(who: AccountInfo, session_id: int) -> GroupSessionInfo:
    found = stored.get(session_id)
    if found is None:
        raise NotFound(f"session {session_id}", key="session.not_found")
    village_for(who, found.village_id)
    return found


def start(who: AccountInfo, catalog: Catalog, village_id: int, lesson_id: str) -> GroupSessionInfo:
    """Open a session of ``lesson_id`` for a village of the trainer's commune."""
    village_for(who, village_id)
    if catalog.get(lesson_id) is None:
        raise NotFound(f"lesson {lesson_id!r}", key="lesson.not_found")
    return stored.start(who.id, village_id, lesson_id)


def history(who: AccountInfo) -> list[GroupSessionInfo]:
    """Sessions held in the trainer's commune, newest first (unfinished ones can be resumed)."""
    return stored.in_villages([v.id for v in commune_villages(who)])


def get(who: AccountInfo, session_id: int) -> GroupSessionInfo:
    """A session of the trainer's commune."""
    return _own(who, session_id)


def mark_attendance(who: AccountInfo, session_id: int, learner_ids: set[int]) -> None:
    """Set who came; only residents of the session's village can be marked."""
    session = _own(who, session_id)
    residents = {p.id for p in people.learners(session.village_id)}
    if not learner_ids <= residents:
        raise InvalidInput("not a resident of this village", key="session.not_resident")
    stored.set_attendance(session_id, learner_ids)


def change_attendance(who: AccountInfo, session_id: int, arrived: set[int], left: set[int]) -> set[int]:
    """Mark ``arrived`` as come and ``left`` as not come, leaving everyone else as saved (what a second
    laptop marked meanwhile stays). Returns who came now."""
    session = _own(who, session_id)
    residents = {p.id for p in people.learners(session.village_id)}
    if not arrived <= residents:
        raise InvalidInput("not a resident of this village", key="session.not_resident")
    came = (set(stored.attendees(session_id)) | arrived) - left
    stored.set_attendance(session_id, came)
    return came


def attendees(who: AccountInfo, session_id: int) -> list[records.LearnerInfo]:
    """The residents who came, by name."""
    session = _own(who, session_id)
    came = set(stored.attendees(session_id))
    return [p for p in people.learners(session.village_id) if p.id in came]


def move(who: AccountInfo, lesson: Lesson, session_id: int, position: int) -> int:
    """Show another screen on the projector; returns the screen now shown."""
    _own(who, session_id)
    position = max(0, min(position, len(lesson.screens) - 1))
    stored.set_position(session_id, position)
    return position


def grid_changes(shown: Mapping[int, int | None], picked: Mapping[int, int | None],
                 whole_group: int | None) -> dict[int, int | None]:
    """What a save of the answer grid changes: the rows the trainer set by hand (``picked`` differs from what
    the row ``shown``), and, when the whole group chose one option, every other row that does not already hold
    it. Rows left alone are not in the result, so a save never touches an answer nobody changed."""
    changes = {learner: option for learner, option in picked.items() if option != shown.get(learner)}
    if whole_group is not None:
        changes |= {learner: whole_group for learner in picked
                    if learner not in changes and shown.get(learner) != whole_group}
    return changes


def record_answers(who: AccountInfo, lesson: Lesson, session_id: int, question_id: str,
                   changes: Mapping[int, int | None]) -> None:
    """Save the answers the trainer changed for one question: learner id -> option, or None to take an answer
    back. Attendees not in ``changes`` keep what they have. Given with help, so "assisted"; an answer that is
    already saved as it is stays as it was given (a spoken answer stays spoken)."""
    session = _own(who, session_id)
    question = lesson.question(question_id)
    if question is None:
        raise NotFound(f"question {question_id!r}", key="lesson.not_found")
    came = set(stored.attendees(session_id))
    given = {learner: option for learner, option in changes.items() if option is not None}
    if not set(given) <= came or any(not 0 <= o < len(question.options) for o in given.values()):
        raise InvalidInput("answer for someone absent, or no such option", key="lesson.option_invalid")
    before = stored.answers(session_id).get(question_id, {})
    changed = {learner for learner, o in changes.items() if before.get(learner, (None, False))[0] != o}
    stored.record_answers(session_id, lesson.id, question_id,
                                 {learner: (o, o == question.answer) for learner, o in given.items()
                                  if learner in changed},
                                 changed, session.position, len(lesson.screens))


def record_spoken(who: AccountInfo, lesson: Lesson, session_id: int, question_id: str, learner_id: int,
                  turn: VoiceTurn) -> bool:
    """An attendee answered by voice at the laptop: saved as theirs (not assisted) when it was understood."""
    session = _own(who, session_id)
    question = lesson.question(question_id)
    if question is None or learner_id not in stored.attendees(session_id):
        raise InvalidInput("not an attendee", key="session.not_resident")
    if turn.action != "answer" or turn.index is None:
        return False
    stored.record_answers(session_id, lesson.id, question_id,
                                 {learner_id: (turn.index, turn.index == question.answer)}, {learner_id},
                                 session.position, len(lesson.screens), mode="voice", assisted=False,
                                 transcript=turn.transcript, confidence=turn.confidence)
    return True


def answers(who: AccountInfo, session_id: int) -> dict[str, dict[int, tuple[int, bool]]]:
    """Answers given so far: question id -> learner id -> (option, right or not)."""
    _own(who, session_id)
    return stored.answers(session_id)


@dataclass(frozen=True)
class QuestionResult:
    """How a question went in a session: answers, right answers, and their share."""

    question_id: str
    prompt: str
    answered: int
    right: int

    @property
    def share_right(self) -> float:
        """Share of right answers (0 when nobody answered)."""
        return self.right / self.answered if self.answered else 0.0


def finish(who: AccountInfo, lesson: Lesson, session_id: int) -> list[QuestionResult]:
    """Close the session: every attendee has the lesson completed. Returns the questions, hardest first."""
    _own(who, session_id)
    stored.finish(session_id, lesson.id, len(lesson.screens))
    return summary(who, lesson, session_id)


def summary(who: AccountInfo, lesson: Lesson, session_id: int) -> list[QuestionResult]:
    """Each question's answers in the session, the hardest (fewest right) first."""
    given = answers(who, session_id)
    results = [QuestionResult(q.id, q.prompt, len(given.get(q.id, {})),
                              sum(ok for _, ok in given.get(q.id, {}).values())) for q in lesson.questions]
    # hardest first; unanswered questions last; ties in lesson order (sorted() is stable)
    return sorted(results, key=lambda r: r.share_right if r.answered else 2.0)


def person_scores(who: AccountInfo, lesson: Lesson, session_id: int) -> dict[int, int]:
    """Right answers per attendee in the session (learner id -> count; attendees with none are 0)."""
    given = answers(who, session_id)
    scores = dict.fromkeys(stored.attendees(session_id), 0)
    for question in lesson.questions:
        for learner, (_, right) in given.get(question.id, {}).items():
            scores[learner] = scores.get(learner, 0) + int(right)
    return scores
