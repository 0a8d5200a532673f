"""Commune staff's view of their villages: the dashboard, the village table (also for the CLI) and exports.

Numbers come from ``progress_db.reports`` (SQL aggregation, a fixed number of queries); this module adds the
shares, targets, lesson titles and the formats people take away (CSV, Excel, a printable monthly report).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from learn.errors import InvalidInput
from learn.lessons.catalog import Catalog
from learn.lessons.model import CORE_TOPICS, Question
from learn.services import indicators, people
from learn.services import practice as practices
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
    #: a pretend-phone screen of a practice (issue 18): how it is named, with the help it needed most often
    practice: str | None = None

    @property
    def prompt(self) -> str:
        """What the item asked: the question's prompt, or the practice and its screen."""
        return self.question.prompt if self.question else self.practice or self.row.question_id

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
        practice = practices.item_label(lesson, row.question_id, row.common_wrong_option) if lesson else None
        hardest.append(HardQuestion(lesson.title if lesson else row.lesson_id, question, row, practice))
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


# --- the printable monthly report ---


