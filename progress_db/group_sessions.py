"""Group sessions in the cultural house: the screen on the projector, who came, the answers given with a
trainer's help, and finishing. Every function opens its own connection (from the pool) and returns plain data."""

from __future__ import annotations

from progress_db.db import database
from progress_db.learning import _run, _upsert_progress
from progress_db.models import (
    Attempt,
    Attendance,
    GroupSession,
    utcnow,
)
from progress_db.records import (
    GroupSessionInfo,
)


def _session_info(row: GroupSession) -> GroupSessionInfo:
    return GroupSessionInfo(row.id, row.village_id, row.lesson_id, row.position, row.account_id, row.started_at,
                       row.finished_at is not None)


def start(account_id: int, village_id: int, lesson_id: str) -> GroupSessionInfo:
    """Open a group session."""
    with database.connection_context():
        return _session_info(GroupSession.create(account=account_id, village=village_id, lesson_id=lesson_id))


def get(session_id: int) -> GroupSessionInfo | None:
    """One session, or None."""
    with database.connection_context():
        row = GroupSession.get_or_none(GroupSession.id == session_id)
        return _session_info(row) if row else None


def in_villages(village_ids: list[int]) -> list[GroupSessionInfo]:
    """Sessions held in these villages, newest first."""
    with database.connection_context():
        rows = (GroupSession.select().where(GroupSession.village.in_(village_ids or [0]))
                .order_by(GroupSession.started_at.desc(), GroupSession.id.desc()))
        return [_session_info(r) for r in rows]


def set_position(session_id: int, position: int) -> None:
    """Remember the screen on the projector (a closed browser resumes here)."""
    with database.connection_context():
        GroupSession.update(position=position).where(GroupSession.id == session_id).execute()


def set_attendance(session_id: int, learner_ids: set[int]) -> None:
    """Make the session's attendees exactly ``learner_ids``."""
    with database.connection_context(), database.atomic():
        (Attendance.delete().where((Attendance.session == session_id)
                                   & Attendance.learner.not_in(list(learner_ids) or [0])).execute())
        for learner_id in sorted(learner_ids):
            Attendance.insert(session=session_id, learner=learner_id).on_conflict_ignore().execute()


def attendees(session_id: int) -> list[int]:
    """Ids of the residents who came."""
    with database.connection_context():
        return [r.learner_id for r in Attendance.select(Attendance.learner).where(Attendance.session == session_id)]


def record_answers(session_id: int, lesson_id: str, question_id: str, answers: dict[int, tuple[int, bool]],
                         replace: set[int], position: int, screens: int, mode: str = "group",
                         assisted: bool = True, transcript: str | None = None,
                         confidence: float | None = None) -> None:
    """Store attendees' answers (option, correct) to one question; earlier answers in this session of the
    attendees in ``replace`` are replaced (so "no answer" clears one)."""
    with database.connection_context(), database.atomic():
        (Attempt.delete().where((Attempt.session_id == session_id) & (Attempt.question_id == question_id)
                                & (Attempt.lesson_id == lesson_id) & Attempt.learner.in_(list(replace) or [0]))
         .execute())
        for learner_id, (option, correct) in answers.items():
            _upsert_progress(learner_id, lesson_id, position, screens, False)
            run = _run(learner_id, lesson_id).scalar()
            Attempt.create(learner=learner_id, lesson_id=lesson_id, question_id=question_id, option_index=option,
                           correct=correct, mode=mode, run=run, session_id=session_id, assisted=assisted,
                           transcript=transcript, confidence=confidence)


def answers(session_id: int) -> dict[str, dict[int, tuple[int, bool]]]:
    """Answers given in a session: question id -> learner id -> (option, correct)."""
    with database.connection_context():
        found: dict[str, dict[int, tuple[int, bool]]] = {}
        for r in Attempt.select().where(Attempt.session_id == session_id):
            found.setdefault(r.question_id, {})[r.learner_id] = (r.option_index, r.correct)
        return found


def finish(session_id: int, lesson_id: str, screens: int) -> None:
    """Close the session and record the lesson as completed for everyone who came."""
    with database.connection_context(), database.atomic():
        for learner_id in attendees(session_id):
            _upsert_progress(learner_id, lesson_id, screens, screens, True)
        GroupSession.update(finished_at=utcnow(), position=screens).where(GroupSession.id == session_id).execute()
