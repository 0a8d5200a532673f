"""Commune staff's view of their villages: the dashboard, the village table (also for the CLI) and exports.

Numbers come from ``progress_db.reports`` (SQL aggregation, a fixed number of queries); this module adds the
shares, targets, lesson titles and the formats people take away (CSV, Excel, a printable monthly report).
"""

from __future__ import annotations

import csv
import html
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import xlsxwriter

from learn.errors import InvalidInput
from learn.lessons.catalog import Catalog
from learn.lessons.model import CORE_TOPICS, Question
from learn.services import indicators, people
from learn.services.accounts import require
from learn.strings_vi import t
from learn.text import fold
from progress_db import community
from progress_db import reports as sql
from progress_db.records import AccountInfo, VillageInfo
from progress_db.reports import LearnerRow, Measures, QuestionRow, Scope, VillageRow

#: Vietnam keeps one time zone all year; dates people pick and months on charts are in it.
UTC_OFFSET_HOURS = 7
try:
    VIETNAM: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
except ZoneInfoNotFoundError:  # no time-zone database (Windows without tzdata): Vietnam has kept UTC+7 since 1975
    VIETNAM = timezone(timedelta(hours=UTC_OFFSET_HOURS), "ICT")
HARDEST_MIN_ANSWERS = 5
HARDEST_LIMIT = 10


@dataclass(frozen=True)
class Filters:
    """What the staff member picked: some villages (None: all), one topic (None: all), a period of local dates
    (both ends included; None: open)."""

    village_ids: tuple[int, ...] | None = None
    topic: str | None = None
    since: date | None = None
    until: date | None = None


def local_time(moment: datetime) -> datetime:
    """``moment`` on Vietnam's clock, for anything a person reads. The database stores naive UTC times (a naive
    ``moment`` is taken as UTC); every date or time shown on a page or in an export goes through here."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VIETNAM)


def local_today() -> date:
    """Today in Vietnam, whatever time zone the server keeps."""
    return local_time(datetime.now(UTC)).date()


#: The periods staff pick from, by name (the strings catalog has ``dashboard.period.<name>``); "custom" is theirs.
PERIODS = ("all", "this_month", "last_month", "three_months", "year")


def period(name: str, today: date | None = None) -> tuple[date | None, date | None]:
    """The first and last local dates of a named period, as of ``today`` (Vietnam's); "all": no bounds."""
    today = today or local_today()
    first = today.replace(day=1)
    spans: dict[str, tuple[date | None, date | None]] = {
        "all": (None, None),
        "this_month": (first, today),
        "last_month": ((first - timedelta(days=1)).replace(day=1), first - timedelta(days=1)),
        "three_months": (today - timedelta(days=91), today),
        "year": (today - timedelta(days=365), today),
    }
    if name not in spans:
        raise InvalidInput(f"no period {name!r}", key="dashboard.bad_period")
    return spans[name]


def villages_to_filter(who: AccountInfo, commune_id: int) -> list[VillageInfo]:
    """The villages the dashboard's filter offers: the commune's (for an admin, of the commune picked)."""
    require(who, "staff", commune_id=commune_id)
    return [v for v in people.villages() if v.commune_id == commune_id]


def _utc(day: date) -> datetime:
    """Local midnight at the start of ``day``, as the naive UTC time the database stores."""
    return datetime(day.year, day.month, day.day, tzinfo=VIETNAM).astimezone(UTC).replace(tzinfo=None)


def scope_for(catalog: Catalog, commune_id: int, filters: Filters) -> Scope:
    """The SQL scope for the filters."""
    if filters.since and filters.until and filters.since > filters.until:
        raise InvalidInput("period ends before it starts", key="dashboard.bad_period")
    lessons = None
    if filters.topic is not None:
        lessons = tuple(x.id for topic, group in catalog.by_topic() if topic == filters.topic for x in group)
    return Scope(commune_id, filters.village_ids, lessons,
                 _utc(filters.since) if filters.since else None,
                 _utc(filters.until + timedelta(days=1)) if filters.until else None)


def measures(catalog: Catalog) -> Measures:
    """Core topics' lessons, basic-skills topics and the outcomes trainers tick."""
    from learn.services.trainers import OUTCOMES

    topics = {topic: tuple(x.id for x in group) for topic, group in catalog.by_topic() if topic in CORE_TOPICS}
    return Measures(topics, tuple(x for x in indicators.BASIC_TOPICS if x in topics), OUTCOMES)


@dataclass(frozen=True)
class VillageReport:
    """A village (or the whole commune) with the shares a report shows (0..1)."""

    row: VillageRow

    def share(self, topic: str) -> float:
        """Share of the residents who finished every lesson of ``topic``."""
        return self.row.topic_finishers.get(topic, 0) / self.row.learners if self.row.learners else 0.0

    def counts(self, key: str) -> tuple[int, int]:
        """(numerator, denominator) of an indicator."""
        if key == "basic_skills":
            return self.row.skilled, self.row.learners
        if key == "skilled_household":
            return self.row.skilled_households, self.row.households
        return self.row.outcomes.get(key, 0), self.row.learners

    def indicator(self, key: str) -> float:
        """The indicator's value as a share (0 when there is nobody to count)."""
        part, whole = self.counts(key)
        return part / whole if whole else 0.0


def total(rows: list[VillageReport], name: str) -> VillageReport:
    """The commune as one row: every count summed (households belong to one village each)."""
    def add(key: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in rows:
            for k, v in getattr(r.row, key).items():
                out[k] = out.get(k, 0) + v
        return out
    last = max((r.row.last_activity for r in rows if r.row.last_activity), default=None)
    return VillageReport(VillageRow(
        0, name, sum(r.row.learners for r in rows), sum(r.row.lessons_completed for r in rows),
        add("topic_finishers"), sum(r.row.sessions for r in rows), last, sum(r.row.skilled for r in rows),
        add("outcomes"), sum(r.row.households for r in rows), sum(r.row.skilled_households for r in rows)))


@dataclass(frozen=True)
class HardQuestion:
    """A question many got wrong, with its text and the wrong option chosen most."""

    lesson_title: str
    question: Question | None
    row: QuestionRow

    @property
    def common_wrong(self) -> str:
        if self.question is None or self.row.common_wrong_option is None:
            return ""
        options = self.question.options
        return options[self.row.common_wrong_option].text if self.row.common_wrong_option < len(options) else ""


@dataclass(frozen=True)
class Dashboard:
    """Everything the staff dashboard shows, for one commune and one set of filters."""

    commune_id: int
    commune: str
    filters: Filters
    villages: list[VillageReport]
    total: VillageReport
    targets: dict[str, float]
    lessons: list[tuple[str, str]]  # (lesson id, title), in curriculum order
    matrix: dict[tuple[int, str], int]
    monthly: list[tuple[str, str, int]]  # (village name, YYYY-MM, lessons completed)
    hardest: list[HardQuestion]
    made_at: datetime  # when the numbers were computed, on Vietnam's clock

    def matrix_share(self, village: VillageReport, lesson_id: str) -> float:
        done = self.matrix.get((village.row.village_id, lesson_id), 0)
        return done / village.row.learners if village.row.learners else 0.0


def _commune_name(commune_id: int) -> str:
    name = community.commune_name(commune_id)
    if name is None:
        raise InvalidInput(f"no commune {commune_id}", key="report.no_commune")
    return name


def _sorted(rows: list[VillageRow]) -> list[VillageReport]:
    return [VillageReport(r) for r in sorted(rows, key=lambda r: (fold(r.village), r.village))]


def communes(who: AccountInfo) -> dict[int, str]:
    """The communes ``who`` may open on the dashboard, id to name: every commune for an admin, one's own for
    staff."""
    require(who, "staff")
    return {cid: name for cid, name in sorted(community.list_communes(), key=lambda c: (fold(c[1]), c[1]))
            if who.role == "admin" or cid == who.commune_id}


def dashboard(who: AccountInfo, catalog: Catalog, commune_id: int, filters: Filters = Filters()) -> Dashboard:
    """The dashboard for staff of the commune (or an admin). Eight queries, whatever the data size."""
    require(who, "staff", commune_id=commune_id)
    commune = _commune_name(commune_id)
    scope = scope_for(catalog, commune_id, filters)
    # The four aggregations run side by side: each is one SQL statement on its own pooled connection, and the
    # database works without holding Python's lock, so on two cores the page waits for the slowest, not the sum.
    with ThreadPoolExecutor(max_workers=4) as pool:
        table = pool.submit(sql.village_table, scope, measures(catalog))
        hard = pool.submit(sql.hardest_questions, scope, HARDEST_MIN_ANSWERS, HARDEST_LIMIT)
        months = pool.submit(sql.monthly_completions, scope, UTC_OFFSET_HOURS)
        matrix = pool.submit(sql.lesson_matrix, scope)
        villages = _sorted(table.result())
        hardest_rows, monthly_rows, matrix_counts = hard.result(), months.result(), matrix.result()
    names = {v.row.village_id: v.row.village for v in villages}
    lessons = [(x.id, x.title) for topic, group in catalog.by_topic() for x in group
               if filters.topic is None or topic == filters.topic]
    hardest = []
    for row in hardest_rows:
        lesson = catalog.lessons.get(row.lesson_id)
        question = next((q for q in lesson.questions if q.id == row.question_id), None) if lesson else None
        hardest.append(HardQuestion(lesson.title if lesson else row.lesson_id, question, row))
    monthly = [(names.get(v, ""), month, n) for v, month, n in monthly_rows]
    name = commune if filters.village_ids is None else t("report.selected_villages", commune=commune)
    return Dashboard(commune_id, commune, filters, villages, total(villages, name),
                     indicators.targets(who, commune_id), lessons, matrix_counts, monthly, hardest,
                     local_time(datetime.now(UTC)))


def villages_report(catalog: Catalog, commune: str) -> list[VillageReport]:
    """Every village of the commune named ``commune``, in Vietnamese alphabetical order (for the CLI)."""
    commune_id = community.find_commune(commune)
    if commune_id is None:
        raise InvalidInput(f"no commune named {commune!r}", key="report.no_commune")
    return _sorted(sql.village_table(Scope(commune_id), measures(catalog)))


def learners_report(who: AccountInfo, catalog: Catalog, commune_id: int,
                    filters: Filters = Filters()) -> list[LearnerRow]:
    """Every resident of the commune (or the filtered villages) with their standing; for the progress export."""
    require(who, "staff", commune_id=commune_id)
    return sql.learner_table(scope_for(catalog, commune_id, filters), measures(catalog))


# --- tables people take away: one set of columns, English keys for machines, Vietnamese headers for people ---

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


# --- the printable monthly report ---

def month_filters(month: date, village_ids: tuple[int, ...] | None = None) -> Filters:
    """Filters for the calendar month containing ``month``."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Filters(village_ids, None, first, last)


REPORT_STYLE = """
@page { size: A4; margin: 10mm 12mm; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 9pt; line-height: 1.25; color: #111;
       max-width: 186mm; margin: 0 auto; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
.meta { color: #333; margin: 0 0 3mm; }
h2 { font-size: 11pt; margin: 3mm 0 1mm; border-bottom: 2px solid #0b5cad; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 0.4mm 1.5mm; text-align: right; }
th:first-child, td:first-child { text-align: left; white-space: nowrap; }
th { background: #e8eef6; }
tr.total td { font-weight: bold; background: #f3f3f3; }
.met { color: #1b7f3b; font-weight: bold; }
.short { color: #b00020; font-weight: bold; }
ol { margin: 0; padding-left: 6mm; }
.note { color: #444; font-size: 8.5pt; margin: 1mm 0 0; }
.place { text-align: right; font-style: italic; margin: 4mm 0 1mm; }
.sign { display: flex; justify-content: space-between; }
.sign div { width: 45%; text-align: center; font-weight: bold; }
.sign small { display: block; font-weight: normal; font-style: italic; }
.print { font-size: 12pt; padding: 2mm 6mm; margin-bottom: 4mm; }
@media print { .print { display: none; } }
"""


def _pct(value: float) -> str:
    return f"{round(100 * value)}%"


def monthly_report(dash: Dashboard, made_on: date) -> str:
    """One printable A4 page: indicators against targets, each village's month, the hardest questions."""
    e = html.escape
    f = dash.filters
    assert f.since is not None
    rows = []
    for key in indicators.KEYS:
        part, whole = dash.total.counts(key)
        value, target = dash.total.indicator(key), dash.targets[key]
        mark = (f'<span class="met">{e(t("report.met"))}</span>' if value >= target
                else f'<span class="short">{e(t("report.short_of", points=round(100 * (target - value))))}</span>')
        rows.append(f"<tr><td>{e(t(f'indicator.{key}'))}</td><td>{part}/{whole}</td><td>{_pct(value)}</td>"
                    f"<td>{_pct(target)}</td><td>{mark}</td></tr>")
    village_rows = []
    for v in [*dash.villages, dash.total]:
        cls = ' class="total"' if v is dash.total else ""
        village_rows.append(
            f"<tr{cls}><td>{e(v.row.village)}</td><td>{v.row.learners}</td><td>{v.row.lessons_completed}</td>"
            f"<td>{v.row.sessions}</td><td>{_pct(v.indicator('basic_skills'))}</td>"
            f"<td>{_pct(v.indicator('vneid_level2'))}</td><td>{_pct(v.indicator('cashless_bill'))}</td></tr>")
    hard = "".join(f"<li>{e(h.question.prompt if h.question else h.row.question_id)} "
                   f"({e(h.lesson_title)}): {e(t('report.wrong_of', wrong=h.row.wrong, answers=h.row.answers))}</li>"
                   for h in dash.hardest[:5]) or f"<li>{e(t('report.no_answers'))}</li>"
    month = f"{f.since.month:02d}/{f.since.year}"
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{e(t("report.monthly_title", month=month))}</title>
<style>{REPORT_STYLE}</style></head><body>
<button class="print" onclick="window.print()">{e(t("handout.print"))}</button>
<h1>{e(t("report.monthly_title", month=month))}</h1>
<p class="meta">{e(dash.commune)} · {e(t("report.monthly_meta", since=f.since.strftime("%d/%m/%Y"),
                                            until=min(f.until or made_on, made_on).strftime("%d/%m/%Y"),
                                            made=made_on.strftime("%d/%m/%Y")))}</p>
<h2>{e(t("report.indicators_heading"))}</h2>
<table><tr><th>{e(t("report.col.indicator"))}</th><th>{e(t("report.col.count"))}</th>
<th>{e(t("report.col.value"))}</th><th>{e(t("report.col.target"))}</th><th></th></tr>{"".join(rows)}</table>
<p class="note">{e(t("report.targets_note"))}</p>
<h2>{e(t("report.villages_heading"))}</h2>
<table><tr><th>{e(t("report.col.village"))}</th><th>{e(t("report.col.learners"))}</th>
<th>{e(t("report.col.completed_in_month"))}</th><th>{e(t("report.col.sessions"))}</th>
<th>{e(t("indicator.basic_skills"))}</th><th>{e(t("indicator.vneid_level2"))}</th>
<th>{e(t("indicator.cashless_bill"))}</th></tr>{"".join(village_rows)}</table>
<h2>{e(t("report.hardest_heading"))}</h2><ol>{hard}</ol>
<p class="place">{e(t("report.place_date"))}</p>
<div class="sign"><div>{e(t("report.sign_made"))}<small>{e(t("report.sign_hint"))}</small></div>
<div>{e(t("report.sign_head"))}<small>{e(t("report.sign_hint"))}</small></div></div>
</body></html>
"""

