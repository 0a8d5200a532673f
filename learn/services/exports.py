"""The dashboard's tables for spreadsheets: the village and resident tables as CSV (UTF-8 with a byte-order mark,
so Vietnamese Excel reads it) and one Excel workbook, every text cell safe from formula injection."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import xlsxwriter

from learn.lessons.model import CORE_TOPICS
from learn.services import indicators
from learn.services.reports import Dashboard, VillageReport, local_time
from learn.strings_vi import t
from progress_db.reports import LearnerRow

VILLAGE_COLUMNS = ["village", "learners", "lessons_completed", *[f"finished_{t}" for t in CORE_TOPICS],
                   *[f"indicator_{k}" for k in indicators.KEYS], "households", "sessions", "last_activity"]


LEARNER_COLUMNS = ["village", "name", "birth_year", "household", "lessons_completed",
                   *[f"finished_{t}" for t in CORE_TOPICS], "indicator_basic_skills",
                   *[f"outcome_{k}" for k in indicators.KEYS if k not in ("basic_skills", "skilled_household")],
                   "last_activity"]


def _when(value: datetime | None) -> str:
    return local_time(value).strftime("%Y-%m-%d %H:%M") if value else ""


def as_records(reports: list[VillageReport]) -> list[dict[str, object]]:
    """Plain rows (shares rounded to 3 places) for JSON, CSV, Excel and the table."""
    return [{"village": r.row.village, "learners": r.row.learners, "lessons_completed": r.row.lessons_completed,
             **{f"finished_{x}": round(r.share(x), 3) for x in CORE_TOPICS},
             **{f"indicator_{k}": round(r.indicator(k), 3) for k in indicators.KEYS},
             "households": r.row.households, "sessions": r.row.sessions,
             "last_activity": _when(r.row.last_activity)} for r in reports]


def learner_records(rows: list[LearnerRow], village_names: dict[int, str]) -> list[dict[str, object]]:
    """One plain row per resident (yes/no as 1/0)."""
    return [{"village": village_names.get(r.village_id, ""), "name": r.name, "birth_year": r.birth_year or "",
             "household": r.household or "", "lessons_completed": r.lessons_completed,
             **{f"finished_{x}": int(r.finished.get(x, False)) for x in CORE_TOPICS},
             "indicator_basic_skills": int(r.skilled),
             **{f"outcome_{k}": int(r.outcomes.get(k, False)) for k in indicators.KEYS
                if k not in ("basic_skills", "skilled_household")},
             "last_activity": _when(r.last_activity)} for r in rows]


def is_share(column: str, records: list[dict[str, object]]) -> bool:
    """Whether a column holds shares (0..1) rather than counts or yes/no."""
    return column.startswith(("finished_", "indicator_")) and any(isinstance(r.get(column), float) for r in records)


def header(column: str, *, percent: bool = False) -> str:
    """A column's Vietnamese header (``percent``: the column is shown in %)."""
    for prefix, key in (("finished_", "topic"), ("indicator_", "indicator"), ("outcome_", "indicator")):
        if column.startswith(prefix):
            return t(f"{key}.{column[len(prefix):]}") + (" (%)" if percent else "")
    return t(f"report.col.{column}")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula (a name like "=HYPERLINK(...)" stays text)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(records: list[dict[str, object]], columns: list[str], *, people: bool = False) -> str:
    """Rows as CSV, safe to open in a spreadsheet; ``people``: Vietnamese headers instead of keys."""
    out = io.StringIO()
    writer = csv.writer(out)
    # for people, shares become whole percents: no decimal mark for a Vietnamese spreadsheet to misread
    shares = {c for c in columns if people and is_share(c, records)}
    writer.writerow([header(c, percent=c in shares) for c in columns] if people else columns)
    for record in records:
        writer.writerow([round(100 * float(record[c])) if c in shares and record.get(c) != "" else  # type: ignore[arg-type]
                         spreadsheet_safe(record.get(c, "")) for c in columns])
    # a byte-order mark so Excel on Windows reads Vietnamese as UTF-8
    return ("\ufeff" if people else "") + out.getvalue()


def as_xlsx(sheets: list[tuple[str, list[str], list[dict[str, object]]]]) -> bytes:
    """An Excel workbook, one sheet per (title, columns, records). Text is always stored as text (never as a
    formula, a link or a number), so a name that starts with "=" shows as written and never runs."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF6", "border": 1, "text_wrap": True})
    share = book.add_format({"num_format": "0%"})
    for title, columns, records in sheets:
        sheet = book.add_worksheet(title[:31])
        sheet.freeze_panes(1, 1)
        for i, column in enumerate(columns):
            sheet.set_column(i, i, max(10, min(28, len(header(column)) + 2)),
                             share if is_share(column, records) else None)
        sheet.write_row(0, 0, [header(c) for c in columns], bold)
        for number, record in enumerate(records, start=1):
            sheet.write_row(number, 0, [record.get(c, "") for c in columns])
        sheet.autofilter(0, 0, len(records), len(columns) - 1)
    book.close()
    return out.getvalue()


def exports(dash: Dashboard, learners: list[LearnerRow]) -> bytes:
    """The dashboard's village table and the residents' progress as one Excel workbook."""
    names = {v.row.village_id: v.row.village for v in dash.villages}
    return as_xlsx([(t("report.sheet_villages"), VILLAGE_COLUMNS, as_records([*dash.villages, dash.total])),
                    (t("report.sheet_learners"), LEARNER_COLUMNS, learner_records(learners, names))])
