"""Reads and writes of progress. Every function opens its own connection (from the pool) and returns plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, fn

from progress_db.db import database
from progress_db.models import (
    Account,
    AccountSession,
    Attempt,
    Attendance,
    Commune,
    CommuneTarget,
    GroupSession,
    Learner,
    LessonProgress,
    Outcome,
    Utterance,
    Village,
    new_join_code,
    new_uid,
    utcnow,
)
from progress_db.sync import merged_progress


@dataclass(frozen=True)
class VillageInfo:
    """A village as the learner's first screen shows it."""

    id: int
    name: str
    commune: str
    learners: int
    commune_id: int = 0


@dataclass(frozen=True)
class LearnerInfo:
    """A learner as the app shows them; the PIN hash never leaves ``learner_pin_hash``."""

    id: int
    village_id: int
    name: str
    birth_year: int | None
    has_pin: bool
    uid: str
    household: str | None = None
    #: None for a resident; "moved" (moved away) or "removed" (deleted on request) for one who left
    left: str | None = None


@dataclass(frozen=True)
class ProgressInfo:
    """A learner's place in one lesson."""

    lesson_id: str
    position: int
    screens: int
    completed: bool
    updated_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True)
class AnswerInfo:
    """The latest answer a learner gave to one question."""

    question_id: str
    option_index: int
    correct: bool
    mode: str
    transcript: str | None = None
    confidence: float | None = None


def _learner_info(row: Learner) -> LearnerInfo:
    return LearnerInfo(row.id, row.village_id, row.display_name, row.birth_year, bool(row.pin_hash), row.uid,
                       row.household, row.left_reason if row.left_at is not None else None)


def get_or_create_commune(name: str) -> int:
    """The id of the commune called ``name``, created if needed."""
    with database.connection_context():
        commune, _ = Commune.get_or_create(name=name)
        return commune.id


def get_or_create_village(commune_id: int, name: str) -> int:
    """The id of the village ``name`` in the commune, created if needed."""
    with database.connection_context():
        village, _ = Village.get_or_create(commune=commune_id, name=name)
        return village.id


def list_villages() -> list[VillageInfo]:
    """Every village with its commune and number of learners, ordered by commune then name (one query)."""
    with database.connection_context():
        rows = (Village.select(Village.id, Village.name, Commune.name.alias("commune_name"),
                               Commune.id.alias("cid"), fn.COUNT(Learner.id).alias("n"))
                .join(Commune).switch(Village)
                .join(Learner, JOIN.LEFT_OUTER, on=(Learner.village == Village.id) & Learner.left_at.is_null())
                .group_by(Village.id, Village.name, Commune.name, Commune.id)
                .order_by(Commune.name, Village.name))
        return [VillageInfo(r.id, r.name, r.commune_name, r.n, r.cid) for r in rows.objects()]


def get_village(village_id: int) -> VillageInfo | None:
    """One village, or None (one query, however many villages there are)."""
    with database.connection_context():
        row = (Village.select(Village.id, Village.name, Commune.name.alias("commune_name"),
                              Commune.id.alias("cid"), fn.COUNT(Learner.id).alias("n"))
               .join(Commune).switch(Village)
               .join(Learner, JOIN.LEFT_OUTER, on=(Learner.village == Village.id) & Learner.left_at.is_null())
               .where(Village.id == village_id)
               .group_by(Village.id, Village.name, Commune.name, Commune.id).objects().first())
        return VillageInfo(row.id, row.name, row.commune_name, row.n, row.cid) if row else None


def list_learners(village_id: int, *, moved: bool = False) -> list[LearnerInfo]:
    """The village's residents, by name (with ``moved``: those who moved away instead). Residents deleted on
    request are never listed."""
    with database.connection_context():
        left = (Learner.left_reason == "moved") if moved else Learner.left_at.is_null()
        rows = (Learner.select().where((Learner.village == village_id) & left)
                .order_by(Learner.name_key, Learner.id))
        return [_learner_info(r) for r in rows]


def find_learner(village_id: int, name_key: str, birth_year: int | None) -> LearnerInfo | None:
    """A learner of the village with the same folded name and birth year, or None."""
    with database.connection_context():
        row = (Learner.select()
               .where((Learner.village == village_id) & (Learner.name_key == name_key)
                      & (Learner.birth_year.is_null() if birth_year is None else Learner.birth_year == birth_year))
               .first())
        return _learner_info(row) if row else None


def add_learner(village_id: int, name: str, name_key: str, birth_year: int | None, pin_hash: str | None,
                household: str | None = None) -> LearnerInfo:
    """Create a learner in the village."""
    with database.connection_context():
        row = Learner.create(village=village_id, display_name=name, name_key=name_key,
                             birth_year=birth_year, pin_hash=pin_hash, household=household)
        return _learner_info(row)


def set_household(learner_id: int, household: str | None) -> None:
    """Put a learner in a household (None: a household of their own)."""
    with database.connection_context():
        Learner.update(household=household, updated_at=utcnow()).where(Learner.id == learner_id).execute()


def add_village(commune_id: int, name: str) -> int | None:
    """A new village of the commune; None if the commune has one with that name already."""
    with database.connection_context():
        if Village.get_or_none((Village.commune == commune_id) & (Village.name == name)) is not None:
            return None
        return Village.create(commune=commune_id, name=name).id


def rename_village(village_id: int, name: str) -> bool:
    """Rename a village; False if another village of its commune already has the name."""
    with database.connection_context(), database.atomic():
        row = Village.get_by_id(village_id)
        if Village.get_or_none((Village.commune == row.commune_id) & (Village.name == name)
                               & (Village.id != village_id)) is not None:
            return False
        Village.update(name=name).where(Village.id == village_id).execute()
        return True


def commune_targets(commune_id: int) -> dict[str, float]:
    """The targets a commune has set (indicators it has not set are left out)."""
    with database.connection_context():
        rows = CommuneTarget.select().where(CommuneTarget.commune == commune_id)
        return {row.indicator: row.target for row in rows}


def set_commune_targets(commune_id: int, targets: dict[str, float]) -> None:
    """Set the commune's targets for the given indicators (others keep theirs), in one transaction."""
    with database.connection_context(), database.atomic():
        for indicator, target in targets.items():
            (CommuneTarget.insert(commune=commune_id, indicator=indicator, target=target, updated_at=utcnow())
             .on_conflict(conflict_target=[CommuneTarget.commune, CommuneTarget.indicator],
                          update={CommuneTarget.target: target, CommuneTarget.updated_at: utcnow()})
             .execute())


def open_account_session(token_hash: str, account_id: int) -> None:
    with database.connection_context():
        AccountSession.create(token_hash=token_hash, account=account_id)


def account_session(token_hash: str, idle: timedelta, now: datetime | None = None, *,
                    touch: bool = True) -> int | None:
    """The account signed in with this token, if it was used within ``idle`` (its last use is then now, unless
    ``touch`` is False: a look that is not a use)."""
    now = now or utcnow()
    with database.connection_context():
        row = AccountSession.get_or_none(AccountSession.token_hash == token_hash)
        if row is None:
            return None
        if now - row.last_seen > idle:
            row.delete_instance()
            return None
        if touch:
            AccountSession.update(last_seen=now).where(AccountSession.id == row.id).execute()
        return row.account_id


def close_account_session(token_hash: str) -> None:
    with database.connection_context():
        AccountSession.delete().where(AccountSession.token_hash == token_hash).execute()


def set_password(account_id: int, password_hash: str) -> None:
    """A new password for an account; a lock from wrong tries is lifted."""
    with database.connection_context():
        Account.update(password_hash=password_hash, failed_logins=0, locked_until=None).where(
            Account.id == account_id).execute()
        # a new password signs out every browser signed in with the old one
        AccountSession.delete().where(AccountSession.account == account_id).execute()


def commune_accounts(commune_id: int) -> list[AccountInfo]:
    """The trainer and staff accounts of a commune, by username."""
    with database.connection_context():
        rows = (Account.select(Account, Commune).join(Commune, JOIN.LEFT_OUTER)
                .where(Account.commune == commune_id).order_by(Account.username))
        return [_account_info(r) for r in rows]


def get_learner(learner_id: int) -> LearnerInfo | None:
    """One learner, or None."""
    with database.connection_context():
        row = Learner.get_or_none(Learner.id == learner_id)
        return _learner_info(row) if row else None


def progress_for(learner_id: int) -> dict[str, ProgressInfo]:
    """The learner's progress in every lesson they opened, by lesson id."""
    with database.connection_context():
        rows = LessonProgress.select().where(LessonProgress.learner == learner_id)
        return {r.lesson_id: ProgressInfo(r.lesson_id, r.position, r.screens, r.completed_at is not None,
                                          r.updated_at, r.completed_at) for r in rows}


def _upsert_progress(learner_id: int, lesson_id: str, position: int, screens: int, completed: bool,
                     new_run: bool = False) -> None:
    # One INSERT ... ON CONFLICT statement: it takes SQLite's write lock at once (a read first would fail with
    # "database is locked" when another session writes in between) and works the same on PostgreSQL.
    now = utcnow()
    update: dict = {LessonProgress.position: position, LessonProgress.screens: screens, LessonProgress.updated_at: now}
    if completed:
        update[LessonProgress.completed_at] = fn.COALESCE(LessonProgress.completed_at, now)
    if new_run:
        update[LessonProgress.run] = LessonProgress.run + 1
        update[LessonProgress.started_at] = now
    (LessonProgress
     .insert(uid=new_uid(), learner=learner_id, lesson_id=lesson_id, position=position, screens=screens,
             started_at=now, updated_at=now, completed_at=now if completed else None, run=0)
     .on_conflict(conflict_target=[LessonProgress.learner, LessonProgress.lesson_id], update=update)
     .execute())


def _run(learner_id: int, lesson_id: str):  # -> a subquery: the learner's current run of the lesson
    return (LessonProgress.select(LessonProgress.run)
            .where((LessonProgress.learner == learner_id) & (LessonProgress.lesson_id == lesson_id)))


def save_position(learner_id: int, lesson_id: str, position: int, screens: int, completed: bool = False) -> None:
    """Remember the screen the learner is on (and, once, when the lesson was completed)."""
    with database.connection_context(), database.atomic():
        _upsert_progress(learner_id, lesson_id, position, screens, completed)


def record_answer(learner_id: int, lesson_id: str, question_id: str, option_index: int, correct: bool,
                  mode: str, position: int, screens: int, transcript: str | None = None,
                  confidence: float | None = None) -> None:
    """Store one answer and the learner's place, in one transaction: both are saved or neither."""
    with database.connection_context(), database.atomic():
        # progress first: it holds the run the answer belongs to
        _upsert_progress(learner_id, lesson_id, position, screens, False)
        run = _run(learner_id, lesson_id).scalar()
        Attempt.create(learner=learner_id, lesson_id=lesson_id, question_id=question_id,
                       option_index=option_index, correct=correct, mode=mode, transcript=transcript,
                       confidence=confidence, run=run)


def restart_lesson(learner_id: int, lesson_id: str, screens: int) -> None:
    """Start a lesson again from its first screen, as a new run; earlier answers and completion are kept."""
    with database.connection_context(), database.atomic():
        _upsert_progress(learner_id, lesson_id, 0, screens, False, new_run=True)


def latest_answers(learner_id: int, lesson_id: str) -> dict[str, AnswerInfo]:
    """The latest answer to each question in the learner's current run of a lesson, by question id."""
    with database.connection_context():
        rows = (Attempt.select()
                .where((Attempt.learner == learner_id) & (Attempt.lesson_id == lesson_id)
                       & (Attempt.run == fn.COALESCE(_run(learner_id, lesson_id), 0)))
                .order_by(Attempt.answered_at, Attempt.id))
        return {r.question_id: AnswerInfo(r.question_id, r.option_index, r.correct, r.mode, r.transcript,
                                          r.confidence) for r in rows}


@dataclass(frozen=True)
class PinState:
    """A learner's PIN hash (None: no PIN) and until when wrong guesses lock it."""

    pin_hash: str | None
    locked_until: datetime | None


def pin_state(learner_id: int) -> PinState | None:
    """The PIN state of a learner, or None when there is no such learner."""
    with database.connection_context():
        row = (Learner.select(Learner.pin_hash, Learner.pin_locked_until)
               .where(Learner.id == learner_id).first())
        return PinState(row.pin_hash, row.pin_locked_until) if row else None


@dataclass(frozen=True)
class JoinState:
    """A village's join code and until when wrong codes lock it."""

    code: str
    locked_until: datetime | None


def join_state(village_id: int) -> JoinState | None:
    with database.connection_context():
        row = Village.get_or_none(Village.id == village_id)
        return JoinState(row.join_code, row.join_locked_until) if row else None


def renew_join_code(village_id: int) -> str:
    """A new join code for the village (the old one stops working)."""
    with database.connection_context():
        old = Village.get_by_id(village_id).join_code
        code = new_join_code()
        while code == old:
            code = new_join_code()
        Village.update(join_code=code, join_failures=0, join_locked_until=None, join_window_start=None).where(
            Village.id == village_id).execute()
    return code


def answer_count(learner_id: int) -> int:
    """How many answers the learner has given in all."""
    with database.connection_context():
        return Attempt.select().where(Attempt.learner == learner_id).count()


@dataclass(frozen=True)
class UtteranceInfo:
    """Something a learner said and what came of it."""

    lesson_id: str
    question_id: str | None
    position: int
    transcript: str
    confidence: float | None
    outcome: str
    seconds: float


def record_utterance(learner_id: int, heard: UtteranceInfo) -> None:
    """Keep what the recogniser heard."""
    with database.connection_context():
        Utterance.create(learner=learner_id, lesson_id=heard.lesson_id, question_id=heard.question_id,
                         position=heard.position, transcript=heard.transcript, confidence=heard.confidence,
                         outcome=heard.outcome, seconds=heard.seconds)


def utterances(learner_id: int) -> list[UtteranceInfo]:
    """What a learner said, oldest first."""
    with database.connection_context():
        rows = Utterance.select().where(Utterance.learner == learner_id).order_by(Utterance.heard_at, Utterance.id)
        return [UtteranceInfo(r.lesson_id, r.question_id, r.position, r.transcript, r.confidence, r.outcome,
                              r.seconds) for r in rows]


@dataclass(frozen=True)
class AccountInfo:
    """A signed-in person of a tech team or the commune office; never carries the password hash."""

    id: int
    username: str
    name: str
    role: str
    commune_id: int | None
    commune: str | None
    active: bool = True


@dataclass(frozen=True)
class Credentials:
    """What checking a password needs."""

    account: AccountInfo
    password_hash: str
    locked_until: datetime | None


def _account_info(row: Account) -> AccountInfo:
    commune = Commune.get_or_none(Commune.id == row.commune_id) if row.commune_id else None
    return AccountInfo(row.id, row.username, row.display_name, row.role, row.commune_id,
                       commune.name if commune else None, row.deactivated_at is None)


def add_account(username: str, name: str, password_hash: str, role: str, commune_id: int | None) -> AccountInfo:
    """Create an account (the username must be free)."""
    with database.connection_context():
        row = Account.create(username=username, display_name=name, password_hash=password_hash, role=role,
                             commune=commune_id)
        return _account_info(row)


def account_exists(username: str) -> bool:
    """Whether the username is taken."""
    with database.connection_context():
        return Account.select().where(Account.username == username).exists()


def credentials(username: str) -> Credentials | None:
    """The account and its password hash, for signing in."""
    with database.connection_context():
        row = Account.get_or_none(Account.username == username)
        return Credentials(_account_info(row), row.password_hash, row.locked_until) if row else None


def get_account(account_id: int) -> AccountInfo | None:
    """One account, or None."""
    with database.connection_context():
        row = Account.get_or_none(Account.id == account_id)
        return _account_info(row) if row else None


def commune_name(commune_id: int) -> str | None:
    """The commune's name, or None."""
    with database.connection_context():
        row = Commune.get_or_none(Commune.id == commune_id)
        return row.name if row else None


def list_communes() -> list[tuple[int, str]]:
    """Every commune as (id, name)."""
    with database.connection_context():
        return [(row.id, row.name) for row in Commune.select(Commune.id, Commune.name).order_by(Commune.name)]


def find_commune(name: str) -> int | None:
    """The id of the commune with this name, or None."""
    with database.connection_context():
        row = Commune.get_or_none(Commune.name == name)
        return row.id if row else None


def add_commune(name: str, villages: list[str]) -> int | None:
    """A new commune with these villages, in one transaction; None if a commune has that name already."""
    with database.connection_context(), database.atomic():
        if Commune.get_or_none(Commune.name == name) is not None:
            return None
        commune = Commune.create(name=name)
        for village in villages:
            Village.create(commune=commune.id, name=village)
        return commune.id


def rename_commune(commune_id: int, name: str) -> bool:
    """Rename a commune (its villages, residents and accounts stay); False if another commune has the name."""
    with database.connection_context(), database.atomic():
        if Commune.get_or_none((Commune.name == name) & (Commune.id != commune_id)) is not None:
            return False
        Commune.update(name=name).where(Commune.id == commune_id).execute()
        return True


def village_outcomes(village_id: int) -> dict[int, set[str]]:
    """The outcomes ticked for each learner of a village (learners with none are left out), in one query."""
    with database.connection_context():
        rows = (Outcome.select(Outcome.learner, Outcome.kind).join(Learner)
                .where(Learner.village == village_id).tuples())
        found: dict[int, set[str]] = {}
        pairs: list[tuple[int, str]] = list(rows)  # type: ignore[arg-type]  # .tuples() rows
        for learner, ticked in pairs:
            found.setdefault(learner, set()).add(ticked)
        return found


def set_outcomes(learner_id: int, kinds: set[str], account_id: int | None) -> None:
    """Make the learner's ticked outcomes exactly ``kinds`` (earlier ticks keep their date and author)."""
    with database.connection_context(), database.atomic():
        Outcome.delete().where((Outcome.learner == learner_id) & Outcome.kind.not_in(list(kinds) or [""])).execute()
        for kind in sorted(kinds):
            (Outcome.insert(learner=learner_id, kind=kind, ticked_by=account_id, ticked_at=utcnow())
             .on_conflict_ignore().execute())


def change_outcomes(learner_id: int, ticked: set[str], unticked: set[str], account_id: int | None) -> None:
    """Tick ``ticked`` and untick ``unticked`` for the learner; every other outcome stays as it is."""
    with database.connection_context(), database.atomic():
        Outcome.delete().where((Outcome.learner == learner_id) & Outcome.kind.in_(list(unticked) or [""])).execute()
        for kind in sorted(ticked - unticked):
            (Outcome.insert(learner=learner_id, kind=kind, ticked_by=account_id, ticked_at=utcnow())
             .on_conflict_ignore().execute())


@dataclass(frozen=True)
class SessionInfo:
    """A group session: where, which lesson, the screen on the projector, and whether it is over."""

    id: int
    village_id: int
    lesson_id: str
    position: int
    account_id: int | None
    started_at: datetime
    finished: bool


def _session_info(row: GroupSession) -> SessionInfo:
    return SessionInfo(row.id, row.village_id, row.lesson_id, row.position, row.account_id, row.started_at,
                       row.finished_at is not None)


def start_session(account_id: int, village_id: int, lesson_id: str) -> SessionInfo:
    """Open a group session."""
    with database.connection_context():
        return _session_info(GroupSession.create(account=account_id, village=village_id, lesson_id=lesson_id))


def get_session(session_id: int) -> SessionInfo | None:
    """One session, or None."""
    with database.connection_context():
        row = GroupSession.get_or_none(GroupSession.id == session_id)
        return _session_info(row) if row else None


def sessions_of(village_ids: list[int]) -> list[SessionInfo]:
    """Sessions held in these villages, newest first."""
    with database.connection_context():
        rows = (GroupSession.select().where(GroupSession.village.in_(village_ids or [0]))
                .order_by(GroupSession.started_at.desc(), GroupSession.id.desc()))
        return [_session_info(r) for r in rows]


def set_session_position(session_id: int, position: int) -> None:
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


def record_group_answers(session_id: int, lesson_id: str, question_id: str, answers: dict[int, tuple[int, bool]],
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


def session_answers(session_id: int) -> dict[str, dict[int, tuple[int, bool]]]:
    """Answers given in a session: question id -> learner id -> (option, correct)."""
    with database.connection_context():
        found: dict[str, dict[int, tuple[int, bool]]] = {}
        for r in Attempt.select().where(Attempt.session_id == session_id):
            found.setdefault(r.question_id, {})[r.learner_id] = (r.option_index, r.correct)
        return found


def finish_session(session_id: int, lesson_id: str, screens: int) -> None:
    """Close the session and record the lesson as completed for everyone who came."""
    with database.connection_context(), database.atomic():
        for learner_id in attendees(session_id):
            _upsert_progress(learner_id, lesson_id, screens, screens, True)
        GroupSession.update(finished_at=utcnow(), position=screens).where(GroupSession.id == session_id).execute()


def merge_learners(keep_id: int, drop_id: int) -> None:
    """Make ``drop_id`` part of ``keep_id`` (the same person added twice): every answer, progress, outcome and
    attendance moves over, the furthest progress wins, then the duplicate is removed. One transaction."""
    with database.connection_context(), database.atomic():
        mine = {p.lesson_id: p for p in LessonProgress.select().where(LessonProgress.learner == keep_id)}
        for theirs in LessonProgress.select().where(LessonProgress.learner == drop_id):
            ours = mine.get(theirs.lesson_id)
            if ours is None:
                LessonProgress.update(learner=keep_id).where(LessonProgress.id == theirs.id).execute()
                continue
            fields = ("run", "screens", "position", "completed_at", "started_at", "updated_at")
            merged = merged_progress({f: getattr(ours, f) for f in fields}, {f: getattr(theirs, f) for f in fields})
            LessonProgress.update(**merged).where(LessonProgress.id == ours.id).execute()
            LessonProgress.delete().where(LessonProgress.id == theirs.id).execute()
        Attempt.update(learner=keep_id).where(Attempt.learner == drop_id).execute()
        Utterance.update(learner=keep_id).where(Utterance.learner == drop_id).execute()
        for kind in [o.kind for o in Outcome.select(Outcome.kind).where(Outcome.learner == drop_id)]:
            Outcome.insert(learner=keep_id, kind=kind, ticked_at=utcnow()).on_conflict_ignore().execute()
        came = Attendance.select(Attendance.session).where(Attendance.learner == drop_id)
        for session_id in [a.session_id for a in came]:
            Attendance.insert(session=session_id, learner=keep_id).on_conflict_ignore().execute()
        Learner.delete().where(Learner.id == drop_id).execute()
