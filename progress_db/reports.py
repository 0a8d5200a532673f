"""Aggregates for commune staff, computed in SQL: a fixed number of queries whatever the commune's size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from progress_db.db import database


@dataclass(frozen=True)
class VillageRow:
    """One village's standing: residents, lessons completed, who finished each topic, sessions, last activity."""

    village_id: int
    village: str
    learners: int
    lessons_completed: int
    topic_finishers: dict[str, int]
    sessions: int
    last_activity: datetime | None


def village_table(commune_id: int, topics: dict[str, list[str]]) -> list[VillageRow]:
    """Every village of a commune; ``topics`` maps a topic to its lesson ids (a resident "finished" a topic
    when every one of its lessons is completed). Two queries."""
    p = database.param if hasattr(database, "param") else "?"
    names = sorted(topics)
    per_topic = ", ".join(
        f"SUM(CASE WHEN lp.completed_at IS NOT NULL AND lp.lesson_id IN ({', '.join([p] * len(topics[n]) or ['NULL'])})"
        f" THEN 1 ELSE 0 END) AS t{i}" for i, n in enumerate(names))
    finished = ", ".join(f"SUM(CASE WHEN per.t{i} >= {p} THEN 1 ELSE 0 END)" for i in range(len(names)))
    sql = f"""
        SELECT v.id, v.name, COUNT(per.learner_id), COALESCE(SUM(per.done), 0){', ' + finished if names else ''},
               MAX(per.last_at)
        FROM village v
        LEFT JOIN (
            SELECT l.id AS learner_id, l.village_id AS village_id,
                   SUM(CASE WHEN lp.completed_at IS NOT NULL THEN 1 ELSE 0 END) AS done,
                   MAX(lp.updated_at) AS last_at{', ' + per_topic if names else ''}
            FROM learner l LEFT JOIN lesson_progress lp ON lp.learner_id = l.id
            GROUP BY l.id, l.village_id
        ) per ON per.village_id = v.id
        WHERE v.commune_id = {p}
        GROUP BY v.id, v.name
        ORDER BY v.name"""
    # in the order the placeholders appear: the outer SELECT's counts, the subquery's lesson ids, the commune
    params: list[object] = [len(topics[n]) for n in names]
    params += [x for n in names for x in topics[n]] + [commune_id]
    sessions_sql = f"""SELECT s.village_id, COUNT(*) FROM group_session s JOIN village v ON v.id = s.village_id
                       WHERE v.commune_id = {p} GROUP BY s.village_id"""
    with database.connection_context():
        rows = database.execute_sql(sql, params).fetchall()
        held = dict(database.execute_sql(sessions_sql, [commune_id]).fetchall())
    result = []
    for row in rows:
        village_id, name, learners, done = row[0], row[1], row[2], row[3]
        finishers = {n: int(row[4 + i] or 0) for i, n in enumerate(names)}
        last = row[4 + len(names)]
        if isinstance(last, str):
            last = datetime.fromisoformat(last)
        result.append(VillageRow(village_id, name, int(learners), int(done or 0), finishers,
                                 int(held.get(village_id, 0)), last))
    return result
