"""Commune staff's view of their villages: the village table, for the dashboard, the CLI and exports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from learn.errors import InvalidInput
from learn.lessons.catalog import Catalog
from learn.lessons.model import CORE_TOPICS
from learn.text import fold
from progress_db import queries
from progress_db.reports import VillageRow, village_table


@dataclass(frozen=True)
class VillageReport:
    """A village table row with the shares a report shows (0..1)."""

    row: VillageRow

    def share(self, topic: str) -> float:
        """Share of the village's residents who finished every lesson of ``topic``."""
        return self.row.topic_finishers.get(topic, 0) / self.row.learners if self.row.learners else 0.0


def villages_report(catalog: Catalog, commune: str) -> list[VillageReport]:
    """Every village of the commune named ``commune``, in Vietnamese alphabetical order."""
    commune_id = queries.find_commune(commune)
    if commune_id is None:
        raise InvalidInput(f"no commune named {commune!r}", key="report.no_commune")
    topics = {topic: [x.id for x in lessons] for topic, lessons in catalog.by_topic() if topic in CORE_TOPICS}
    rows = village_table(commune_id, topics)
    return [VillageReport(r) for r in sorted(rows, key=lambda r: (fold(r.village), r.village))]


COLUMNS = ["village", "learners", "lessons_completed", *[f"finished_{t}" for t in CORE_TOPICS], "sessions",
           "last_activity"]


def as_records(reports: list[VillageReport]) -> list[dict[str, object]]:
    """Plain rows (for JSON, CSV and the table)."""
    return [{"village": r.row.village, "learners": r.row.learners, "lessons_completed": r.row.lessons_completed,
             **{f"finished_{t}": round(r.share(t), 3) for t in CORE_TOPICS}, "sessions": r.row.sessions,
             "last_activity": r.row.last_activity.isoformat(sep=" ", timespec="minutes") if r.row.last_activity
             else ""} for r in reports]


def spreadsheet_safe(value: object) -> object:
    """A cell a spreadsheet will not run as a formula (a name like "=HYPERLINK(...)" stays text)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(reports: list[VillageReport]) -> str:
    """The table as CSV, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for record in as_records(reports):
        writer.writerow({k: spreadsheet_safe(v) for k, v in record.items()})
    return out.getvalue()
