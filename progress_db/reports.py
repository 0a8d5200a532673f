"""Aggregates for commune staff, computed in SQL: a fixed number of queries whatever the commune's size.

Every function takes a ``Scope``: the commune, optionally some of its villages, the lessons that count (a topic)
and a period. Counts of what happened ("lessons completed", sessions, answers) are taken within the period;
standings (who has finished a topic, outcomes, the lesson matrix) are taken as they were at the period's end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from progress_db.db import database
from progress_db.sql import Params, as_datetime, month_of


@dataclass(frozen=True)
class Scope:
    """What a report covers. ``until`` is exclusive; times are UTC like the stored ones."""

    commune_id: int
    village_ids: tuple[int, ...] | None = None
    lesson_ids: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Measures:
    """What the per-learner query computes: lesson ids of each topic, the topics that make "basic digital
    skills" (all their lessons completed) and the outcomes trainers tick."""

    topics: dict[str, tuple[str, ...]]
    basic_topics: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VillageRow:
    """One village's standing."""

    village_id: int
    village: str
    learners: int
    lessons_completed: int
    topic_finishers: dict[str, int]
    sessions: int
    last_activity: datetime | None
    skilled: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    households: int = 0
    skilled_households: int = 0


@dataclass(frozen=True)
class LearnerRow:
    """One resident's standing, for the progress export."""

    learner_id: int
    village_id: int
    name: str
    birth_year: int | None
    household: str | None
    lessons_completed: int
    finished: dict[str, bool]
    skilled: bool
    outcomes: dict[str, bool]
    last_activity: datetime | None


def _completed(q: Params, scope: Scope, column: str, *, within: bool) -> str:
    """A condition: completed before the period's end (and, ``within``, not before its start)."""
    parts = [f"{column} IS NOT NULL"]
    if scope.until is not None:
        parts.append(f"{column} < {q(scope.until)}")
    if within and scope.since is not None:
        parts.append(f"{column} >= {q(scope.since)}")
    return " AND ".join(parts)


def _villages(q: Params, scope: Scope, column: str) -> str:
    """A condition keeping the scope's villages."""
    return f" AND {column} IN ({q.many(scope.village_ids)})" if scope.village_ids is not None else ""


def _still_here(q: Params, scope: Scope, learner: str) -> str:
    """A condition keeping residents who had not left (moved away, deleted on request) by the period's end."""
    if scope.until is None:
        return f" AND {learner}.left_at IS NULL"
    return f" AND ({learner}.left_at IS NULL OR {learner}.left_at >= {q(scope.until)})"


def _per_learner(q: Params, scope: Scope, measures: Measures) -> str:
    """One row per learner of the scope, counted from their lesson progress and outcomes."""
    lessons = (f" AND lp.lesson_id IN ({q.many(scope.lesson_ids)})" if scope.lesson_ids is not None else "")
    names = sorted(measures.topics)
    topic_cols = "".join(
        f", SUM(CASE WHEN {_completed(q, scope, 'lp.completed_at', within=False)}"
        f" AND lp.lesson_id IN ({q.many(measures.topics[n])}) THEN 1 ELSE 0 END) AS t{i}"
        for i, n in enumerate(names))
    ticked = f" AND o.ticked_at < {q(scope.until)}" if scope.until is not None else ""
    # outcomes are looked up once per learner, outside the aggregation over their lesson rows
    outcome_cols = "".join(
        f", CASE WHEN EXISTS (SELECT 1 FROM outcome o WHERE o.learner_id = agg.learner_id AND o.kind = {q(k)}"
        f"{ticked}) THEN 1 ELSE 0 END AS o{j}" for j, k in enumerate(measures.outcomes))
    last = (f"MAX(CASE WHEN lp.updated_at < {q(scope.until)} THEN lp.updated_at END)" if scope.until is not None
            else "MAX(lp.updated_at)")
    enrolled = f" AND l.created_at < {q(scope.until)}" if scope.until is not None else ""
    enrolled += _still_here(q, scope, "l")
    return f"""
        SELECT agg.*{outcome_cols} FROM (
            SELECT l.id AS learner_id, l.village_id AS village_id, l.display_name AS name,
                   l.birth_year AS birth_year, l.household AS household,
                   COALESCE(NULLIF(l.household, ''), 'learner:' || CAST(l.id AS VARCHAR(20))) AS household_key,
                   SUM(CASE WHEN {_completed(q, scope, 'lp.completed_at', within=True)}{lessons} THEN 1 ELSE 0 END)
                       AS done,
                   {last} AS last_at{topic_cols}
            FROM learner l
            JOIN village v ON v.id = l.village_id
            LEFT JOIN lesson_progress lp ON lp.learner_id = l.id
            WHERE v.commune_id = {q(scope.commune_id)}{_villages(q, scope, 'l.village_id')}{enrolled}
            GROUP BY l.id, l.village_id, l.display_name, l.birth_year, l.household
        ) agg"""


def _skilled(measures: Measures, prefix: str) -> str:
    """A SQL condition on a per-learner row: every basic topic finished. Counts are literals from the catalog."""
    names = sorted(measures.topics)
    parts = [f"{prefix}t{names.index(n)} >= {int(len(measures.topics[n]))}" for n in measures.basic_topics]
    return " AND ".join(parts) if parts else "1 = 0"


def village_table(scope: Scope, measures: Measures) -> list[VillageRow]:
    """Every village of the scope, by name. Two queries."""
    q = Params()
    names = sorted(measures.topics)
    finished = "".join(
        f", SUM(CASE WHEN per.t{i} >= {int(len(measures.topics[n]))} THEN 1 ELSE 0 END)"
        for i, n in enumerate(names))
    outcomes = "".join(f", SUM(per.o{j})" for j in range(len(measures.outcomes)))
    skilled = _skilled(measures, "per.")
    sql = f"""
        SELECT v.id, v.name, COUNT(per.learner_id), COALESCE(SUM(per.done), 0), MAX(per.last_at),
               SUM(CASE WHEN {skilled} THEN 1 ELSE 0 END), COUNT(DISTINCT per.household_key),
               COUNT(DISTINCT CASE WHEN {skilled} THEN per.household_key END){finished}{outcomes}
        FROM village v
        LEFT JOIN ({_per_learner(q, scope, measures)}) per ON per.village_id = v.id
        WHERE v.commune_id = {q(scope.commune_id)}{_villages(q, scope, 'v.id')}
        GROUP BY v.id, v.name
        ORDER BY v.name"""
    s = Params()
    held_sql = f"""SELECT gs.village_id, COUNT(*) FROM group_session gs JOIN village v ON v.id = gs.village_id
                   WHERE v.commune_id = {s(scope.commune_id)}{_villages(s, scope, 'v.id')}
                   {f"AND gs.started_at >= {s(scope.since)}" if scope.since else ""}
                   {f"AND gs.started_at < {s(scope.until)}" if scope.until else ""}
                   GROUP BY gs.village_id"""
    with database.connection_context():
        rows = database.execute_sql(sql, q.values).fetchall()
        held = dict(database.execute_sql(held_sql, s.values).fetchall())
    result = []
    k = len(names)
    for row in rows:
        result.append(VillageRow(
            village_id=row[0], village=row[1], learners=int(row[2]), lessons_completed=int(row[3] or 0),
            last_activity=as_datetime(row[4]), skilled=int(row[5] or 0), households=int(row[6] or 0),
            skilled_households=int(row[7] or 0),
            topic_finishers={n: int(row[8 + i] or 0) for i, n in enumerate(names)},
            outcomes={o: int(row[8 + k + j] or 0) for j, o in enumerate(measures.outcomes)},
            sessions=int(held.get(row[0], 0))))
    return result


def learner_table(scope: Scope, measures: Measures) -> list[LearnerRow]:
    """Every learner of the scope with their standing, by village then name. One query."""
    q = Params()
    names = sorted(measures.topics)
    sql = (f"SELECT per.*, CASE WHEN {_skilled(measures, 'per.')} THEN 1 ELSE 0 END AS skilled "
           f"FROM ({_per_learner(q, scope, measures)}) per ORDER BY per.village_id, per.name, per.learner_id")
    with database.connection_context():
        cursor = database.execute_sql(sql, q.values)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return [LearnerRow(
        learner_id=r["learner_id"], village_id=r["village_id"], name=r["name"], birth_year=r["birth_year"],
        household=r["household"], lessons_completed=int(r["done"] or 0),
        finished={n: int(r[f"t{i}"] or 0) >= len(measures.topics[n]) for i, n in enumerate(names)},
        skilled=bool(r["skilled"]),
        outcomes={o: bool(r[f"o{j}"]) for j, o in enumerate(measures.outcomes)},
        last_activity=as_datetime(r["last_at"])) for r in rows]


def lesson_matrix(scope: Scope) -> dict[tuple[int, str], int]:
    """How many residents of each village had completed each lesson by the period's end. One query."""
    q = Params()
    lessons = f" AND lp.lesson_id IN ({q.many(scope.lesson_ids)})" if scope.lesson_ids is not None else ""
    sql = f"""
        SELECT l.village_id, lp.lesson_id, COUNT(*)
        FROM lesson_progress lp JOIN learner l ON l.id = lp.learner_id JOIN village v ON v.id = l.village_id
        WHERE v.commune_id = {q(scope.commune_id)}{_villages(q, scope, 'l.village_id')}{_still_here(q, scope, 'l')}
          AND {_completed(q, scope, 'lp.completed_at', within=False)}{lessons}
        GROUP BY l.village_id, lp.lesson_id"""
    with database.connection_context():
        return {(v, lesson): int(n) for v, lesson, n in database.execute_sql(sql, q.values).fetchall()}


def monthly_completions(scope: Scope, utc_offset_hours: int) -> list[tuple[int, str, int]]:
    """(village id, ``YYYY-MM`` in local time, lessons completed that month) within the period. One query."""
    q = Params()
    lessons = f" AND lp.lesson_id IN ({q.many(scope.lesson_ids)})" if scope.lesson_ids is not None else ""
    month = month_of("lp.completed_at", utc_offset_hours)
    sql = f"""
        SELECT l.village_id, {month} AS month, COUNT(*)
        FROM lesson_progress lp JOIN learner l ON l.id = lp.learner_id JOIN village v ON v.id = l.village_id
        WHERE v.commune_id = {q(scope.commune_id)}{_villages(q, scope, 'l.village_id')}
          AND {_completed(q, scope, 'lp.completed_at', within=True)}{lessons}
        GROUP BY l.village_id, {month}
        ORDER BY 2, 1"""
    with database.connection_context():
        return [(v, m, int(n)) for v, m, n in database.execute_sql(sql, q.values).fetchall()]


@dataclass(frozen=True)
class QuestionRow:
    """A question's answers across the scope, and the wrong option chosen most."""

    lesson_id: str
    question_id: str
    answers: int
    wrong: int
    common_wrong_option: int | None

    @property
    def wrong_share(self) -> float:
        return self.wrong / self.answers if self.answers else 0.0


def hardest_questions(scope: Scope, min_answers: int, limit: int) -> list[QuestionRow]:
    """The questions answered wrong most often (as a share, then by count), with at least ``min_answers``
    answers in the period and at least one wrong. First answers only: a question asked again at the end of the
    lesson (its first answer was wrong) is not counted twice. One query."""
    def where(q: Params) -> str:
        parts = [f"v.commune_id = {q(scope.commune_id)}{_villages(q, scope, 'l.village_id')}", "NOT a.retry"]
        if scope.lesson_ids is not None:
            parts.append(f"a.lesson_id IN ({q.many(scope.lesson_ids)})")
        if scope.since is not None:
            parts.append(f"a.answered_at >= {q(scope.since)}")
        if scope.until is not None:
            parts.append(f"a.answered_at < {q(scope.until)}")
        return " AND ".join(parts)

    q = Params()
    # one pass over the answers: counts per (question, option, right or wrong); ranking a few dozen questions
    # is then done here
    sql = f"""
        SELECT a.lesson_id, a.question_id, a.option_index, CASE WHEN a.correct THEN 1 ELSE 0 END, COUNT(*)
        FROM attempt a JOIN learner l ON l.id = a.learner_id JOIN village v ON v.id = l.village_id
        WHERE {where(q)}
        GROUP BY a.lesson_id, a.question_id, a.option_index, CASE WHEN a.correct THEN 1 ELSE 0 END"""
    with database.connection_context():
        counts = database.execute_sql(sql, q.values).fetchall()
    answers: dict[tuple[str, str], int] = {}
    wrong: dict[tuple[str, str], int] = {}
    chosen: dict[tuple[str, str], dict[int, int]] = {}
    for lesson, question, option, right, n in counts:
        key = (lesson, question)
        answers[key] = answers.get(key, 0) + int(n)
        if not right:
            wrong[key] = wrong.get(key, 0) + int(n)
            chosen.setdefault(key, {})[option] = chosen.get(key, {}).get(option, 0) + int(n)
    # a question nobody got wrong is not "hard", however often it was answered
    ranked = sorted((k for k, n in answers.items() if n >= min_answers and wrong.get(k, 0) > 0),
                    key=lambda k: (-wrong.get(k, 0) / answers[k], -answers[k], k))
    return [QuestionRow(k[0], k[1], answers[k], wrong.get(k, 0),
                        min(chosen[k], key=lambda o: (-chosen[k][o], o)) if k in chosen else None)
            for k in ranked[:limit]]
