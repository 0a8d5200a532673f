"""Commune staff's dashboard, village table and exports, against values counted by hand on a small commune (the
``commune`` fixture: tests/support/commune.py says who did what, and when)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playhouse.test_utils import count_queries

from learn import services
from learn.cli import cli
from learn.errors import InvalidInput
from learn.services import accounts, exports, indicators, monthly, reports, trainers
from learn.services.accounts import Forbidden
from learn.strings_vi import t
from progress_db import community, records
from progress_db import reports as sql
from progress_db.models import Learner
from tests.conftest import CONTENT, ROOT
from tests.support.cli import runner
from tests.support.commune import LATE, LateClock

pytestmark = pytest.mark.both_engines
OCTOBER = reports.Filters(since=date(2026, 10, 1), until=date(2026, 10, 31))


def _rows(dash: reports.Dashboard) -> dict[str, reports.VillageReport]:
    return {v.row.village: v for v in dash.villages}


def test_every_number_matches_the_hand_count(staff, catalog, commune) -> None:
    dash = reports.dashboard(staff, catalog, commune["commune"])
    rows = _rows(dash)
    assert list(rows) == ["Bản Hai", "Thôn Một"]  # Vietnamese order, other commune left out
    one, two, whole = rows["Thôn Một"], rows["Bản Hai"], dash.total
    assert (one.row.learners, one.row.lessons_completed, one.row.sessions, one.row.households) == (4, 3, 1, 3)
    assert (one.share("smartphone"), one.share("scams"), one.share("payments")) == (2 / 4, 1 / 4, 0.0)
    assert {k: one.indicator(k) for k in indicators.KEYS} == {
        "basic_skills": 1 / 4, "smartphone": 2 / 4, "vneid_level2": 1 / 4, "payment_account": 0.0,
        "cashless_bill": 0.0, "skilled_household": 1 / 3}
    assert (two.row.learners, two.row.lessons_completed, two.row.sessions, two.row.households) == (1, 2, 1, 1)
    assert {k: two.indicator(k) for k in indicators.KEYS} == {
        "basic_skills": 1.0, "smartphone": 0.0, "vneid_level2": 0.0, "payment_account": 1.0, "cashless_bill": 1.0,
        "skilled_household": 1.0}
    assert (whole.row.learners, whole.row.lessons_completed, whole.row.sessions) == (5, 5, 2)
    assert {k: whole.counts(k) for k in indicators.KEYS} == {
        "basic_skills": (2, 5), "smartphone": (2, 5), "vneid_level2": (1, 5), "payment_account": (1, 5),
        "cashless_bill": (1, 5), "skilled_household": (2, 4)}
    assert one.row.last_activity == datetime(2026, 10, 5, 9) and two.row.last_activity == datetime(2026, 11, 2, 9)


def test_a_period_counts_what_happened_in_it_and_standings_at_its_end(staff, catalog, commune) -> None:
    rows = _rows(reports.dashboard(staff, catalog, commune["commune"], OCTOBER))
    one, two = rows["Thôn Một"], rows["Bản Hai"]
    # B's lesson finished at 03:00 on 1 October in Vietnam (still 30 September in UTC): it is October's
    assert (one.row.learners, one.row.lessons_completed, one.row.sessions) == (3, 2, 1)  # Cô Năm joined later
    assert (one.share("smartphone"), one.share("scams")) == (2 / 3, 1 / 3)
    assert (one.indicator("basic_skills"), one.indicator("skilled_household"), one.indicator("vneid_level2")) == (
        1 / 3, 1 / 2, 1 / 3)
    assert (two.row.lessons_completed, two.row.sessions, two.share("smartphone"), two.share("scams")) == (
        1, 0, 0.0, 1.0)
    assert (two.indicator("basic_skills"), two.indicator("payment_account")) == (0.0, 0.0)  # both came in November
    september = _rows(reports.dashboard(staff, catalog, commune["commune"],
                                        monthly.month_filters(date(2026, 9, 15))))
    assert september["Thôn Một"].row.lessons_completed == 1 and september["Thôn Một"].share("smartphone") == 1 / 3


def test_filters_by_topic_and_village(staff, catalog, commune) -> None:
    scams = reports.dashboard(staff, catalog, commune["commune"], reports.Filters(topic="scams"))
    assert [(v.row.village, v.row.lessons_completed) for v in scams.villages] == [("Bản Hai", 1), ("Thôn Một", 1)]
    assert [lesson for lesson, _ in scams.lessons] == ["test-sms"]
    assert set(scams.matrix) == {(commune["thon_mot"], "test-sms"), (commune["ban_hai"], "test-sms")}
    assert {h.row.question_id for h in scams.hardest} <= {"otp", "ask-family"}
    only = reports.dashboard(staff, catalog, commune["commune"], reports.Filters(village_ids=(commune["ban_hai"],)))
    assert [v.row.village for v in only.villages] == ["Bản Hai"] and only.total.row.learners == 1
    with pytest.raises(InvalidInput):
        reports.dashboard(staff, catalog, commune["commune"],
                          reports.Filters(since=date(2026, 10, 2), until=date(2026, 10, 1)))


def test_lesson_matrix_and_months(staff, catalog, commune) -> None:
    dash = reports.dashboard(staff, catalog, commune["commune"])
    one, two = _rows(dash)["Thôn Một"], _rows(dash)["Bản Hai"]
    assert dash.matrix == {(commune["thon_mot"], "test-unlock"): 2, (commune["thon_mot"], "test-sms"): 1,
                           (commune["ban_hai"], "test-sms"): 1, (commune["ban_hai"], "test-unlock"): 1}
    assert (dash.matrix_share(one, "test-unlock"), dash.matrix_share(two, "test-unlock")) == (0.5, 1.0)
    assert sorted(dash.monthly) == [("Bản Hai", "2026-10", 1), ("Bản Hai", "2026-11", 1),
                                    ("Thôn Một", "2026-09", 1), ("Thôn Một", "2026-10", 2)]
    october = reports.dashboard(staff, catalog, commune["commune"], OCTOBER)
    assert (commune["ban_hai"], "test-unlock") not in october.matrix  # done in November


def test_hardest_questions_across_the_commune(staff, catalog, commune) -> None:
    scope = sql.Scope(commune["commune"])
    found = sql.hardest_questions(scope, min_answers=2, limit=10)
    assert [(q.question_id, q.answers, q.wrong, q.common_wrong_option) for q in found] == [
        ("swipe", 5, 3, 0), ("screen-off", 3, 1, 0)]  # "otp": nobody got it wrong
    assert [q.question_id for q in sql.hardest_questions(scope, min_answers=4, limit=10)] == ["swipe"]
    in_october = sql.hardest_questions(reports.scope_for(catalog, commune["commune"], OCTOBER), 2, 10)
    assert [(q.question_id, q.answers, q.wrong) for q in in_october] == [("swipe", 4, 3)]
    dash = reports.dashboard(staff, catalog, commune["commune"])  # at least 5 answers to be listed
    assert [(h.question.prompt if h.question else "", h.common_wrong) for h in dash.hardest] == [
        ("Vuốt lên có mở được màn hình không?", "Có")]


def test_targets_default_to_the_national_ones_and_staff_change_them(staff, catalog, commune) -> None:
    assert indicators.targets(staff, commune["commune"]) == {i.key: i.default for i in indicators.INDICATORS}
    indicators.set_targets(staff, commune["commune"], {"basic_skills": 0.25, "cashless_bill": 0.9})
    dash = reports.dashboard(staff, catalog, commune["commune"])
    assert dash.targets["basic_skills"] == 0.25 and dash.targets["smartphone"] == 0.8
    assert dash.total.indicator("basic_skills") >= dash.targets["basic_skills"]  # 2/5 meets 25%
    with pytest.raises(InvalidInput):  # all or nothing: the good value is not kept either
        indicators.set_targets(staff, commune["commune"], {"smartphone": 0.5, "vneid_level2": 1.5})
    assert indicators.targets(staff, commune["commune"])["smartphone"] == 0.8


def test_only_staff_of_the_commune_or_an_admin_see_it(staff, catalog, commune) -> None:
    accounts.create_account("totruong", "Tổ trưởng", "mat-khau-dai", "trainer", "Xã Thử")
    accounts.create_account("canbo-xa", "Cán bộ xã Xa", "mat-khau-dai", "staff", "Xã Xa")
    accounts.create_account("tinh", "Quản trị", "mat-khau-dai", "admin", None)
    trainer, other, admin = (accounts.login(u, "mat-khau-dai") for u in ("totruong", "canbo-xa", "tinh"))
    for outsider in (trainer, other):
        with pytest.raises(Forbidden):
            reports.dashboard(outsider, catalog, commune["commune"])
        with pytest.raises(Forbidden):
            reports.learners_report(outsider, catalog, commune["commune"])
        with pytest.raises(Forbidden):
            indicators.set_targets(outsider, commune["commune"], {"basic_skills": 0.1})
    with pytest.raises(Forbidden):
        trainers.add_village(trainer, commune["commune"], "Thôn Mới")
    assert reports.dashboard(admin, catalog, commune["commune"]).total.row.learners == 5
    assert reports.dashboard(other, catalog, community.find_commune("Xã Xa")).total.row.learners == 1


def test_the_dashboard_takes_the_same_queries_whatever_the_size(staff, catalog, commune) -> None:
    with count_queries() as small:
        reports.dashboard(staff, catalog, commune["commune"], OCTOBER)
    for i in range(40):
        person = services.add_learner(commune["ban_hai"], f"Người {i}")
        services.go_to(person.id, catalog.get("test-sms"), 99)
    with count_queries() as large:
        reports.dashboard(staff, catalog, commune["commune"], OCTOBER)
    assert 0 < large.count == small.count <= 12  # 0 would be a counter that saw nothing


def test_the_queries_use_indexes(staff, catalog, commune, backend) -> None:
    from progress_db.db import database

    if backend != "sqlite":
        pytest.skip("SQLite's plans; PostgreSQL rightly scans tables this small (the benchmark has large data)")

    with count_queries() as ran:
        reports.dashboard(staff, catalog, commune["commune"], OCTOBER)
        reports.learners_report(staff, catalog, commune["commune"], OCTOBER)
    seen = [record.msg for record in ran.get_queries()]  # peewee logs each statement as (sql, params)
    for statement, params in seen:
        if "lesson_progress" in statement or "attempt" in statement:
            plan = " | ".join(r[3] for r in database.execute_sql("EXPLAIN QUERY PLAN " + statement, params))
            assert not re.search(r"SCAN (lp|a|lesson_progress|attempt)\b(?! USING)", plan), plan


def test_learner_export_has_each_residents_standing(staff, catalog, commune) -> None:
    rows = {r.name: r for r in reports.learners_report(staff, catalog, commune["commune"])}
    assert set(rows) == {"Bà Một", "Ông Hai", "Chị Ba", "Cô Năm", "Anh Tư"}
    a, b, c = rows["Bà Một"], rows["Ông Hai"], rows["Chị Ba"]
    assert (a.lessons_completed, a.skilled, a.household, a.outcomes["vneid_level2"]) == (2, True, "Nhà 1", True)
    assert (b.lessons_completed, b.skilled, b.finished["smartphone"], b.outcomes["vneid_level2"]) == (
        1, False, True, False)
    assert (c.lessons_completed, c.finished["smartphone"], c.last_activity) == (0, False, datetime(2026, 10, 2, 10))


def test_csv_and_excel_are_safe_from_formula_injection(staff, catalog, commune) -> None:
    evil = '=HYPERLINK("http://x","Bấm")'
    community.get_or_create_village(commune["commune"], evil)
    person = services.add_learner(commune["thon_mot"], "Bà Bảy")
    Learner.update(display_name="@SUM(1+1)").where(Learner.id == person.id).execute()  # as if typed long ago
    dash = reports.dashboard(staff, catalog, commune["commune"])
    text = exports.as_csv(exports.as_records(dash.villages), exports.VILLAGE_COLUMNS, people=True)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and text.startswith("\ufeffThôn,")
    lines = {line.split(",")[0]: line.split(",") for line in text.splitlines()}
    heading = lines["\ufeffThôn"]
    # for people, shares are whole percents: nothing for a comma-decimal spreadsheet to misread
    assert lines["Thôn Một"][heading.index("Có kỹ năng số cơ bản (%)")] == "20"  # 1 of 5 with Bà Bảy
    book = exports.exports(dash, reports.learners_report(staff, catalog, commune["commune"]))
    with zipfile.ZipFile(io.BytesIO(book)) as zipped:
        sheets = [zipped.read(n).decode() for n in zipped.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in s or "<f " in s for s in sheets)  # no formula anywhere
    loaded = load_workbook(io.BytesIO(book))
    villages, learners = loaded.worksheets
    assert evil in [c.value for c in villages["A"]]  # shown exactly as written, as text
    assert "@SUM(1+1)" in [c.value for c in learners["B"]]
    assert [c.value for c in villages[1]][:3] == ["Thôn", "Người học", "Bài đã xong"]


def test_monthly_report_names_the_month_and_its_numbers(staff, catalog, commune) -> None:
    dash = reports.dashboard(staff, catalog, commune["commune"], monthly.month_filters(date(2026, 10, 9)))
    page = monthly.monthly_report(dash, date(2026, 11, 3))
    assert "Báo cáo tháng 10/2026" in page and "01/10/2026" in page and "31/10/2026" in page
    text = re.sub(r"<[^>]+>", " ", page)
    assert re.search(r"Thôn Một\s+3\s+2\s+1\s+33%", text)  # residents, lessons this month, sessions, basic skills
    assert re.search(r"Có kỹ năng số cơ bản\s+1/4\s+25%\s+70%\s+Còn thiếu 45 điểm phần trăm", text)


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's Chromium to print")
def test_monthly_report_prints_on_one_page_for_a_commune_of_twenty_villages(db: Path, catalog, tmp_path) -> None:
    from learn.services import demo

    demo.seed(catalog, ROOT / "content" / "vi" / "demo-names.yaml",
              villages=20, learners=400, seed=5, now=datetime(2026, 11, 20))
    admin = records.AccountInfo(0, "t", "t", "admin", None, None)
    commune_id = community.list_communes()[0][0]
    dash = reports.dashboard(admin, catalog, commune_id, monthly.month_filters(date(2026, 10, 1)))
    assert len(dash.villages) == 20 and dash.total.row.lessons_completed > 0
    source = tmp_path / "report.html"
    source.write_text(monthly.monthly_report(dash, date(2026, 11, 20)), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    source.as_uri()], check=True, capture_output=True, timeout=120)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) == 1


def test_report_commands(commune, db: Path, tmp_path: Path) -> None:
    env = {"LEARN_HOME": str(db.parent), "LEARN_CONTENT_DIR": str(CONTENT)}
    result = runner().invoke(cli, ["report", "villages", "--commune", "Xã Thử", "--format", "json"],
                             env=env)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["village"], r["learners"], r["finished_smartphone"], r["indicator_skilled_household"])
            for r in rows] == [("Bản Hai", 1, 1.0, 1.0), ("Thôn Một", 4, 0.5, 0.333)]
    table = runner().invoke(cli, ["report", "villages", "--commune", "Xã Thử"], env=env)
    assert table.output.splitlines()[0].split()[:3] == ["village", "learners", "lessons_completed"]
    missing = runner().invoke(cli, ["report", "villages", "--commune", "Xã Không Có"], env=env)
    assert missing.exit_code == 1 and t("report.no_commune") in missing.stderr
    several = runner().invoke(cli, ["report", "villages"], env=env)
    assert several.exit_code == 2 and "name the commune with --commune" in several.stderr
    out = tmp_path / "october.html"
    monthly = runner().invoke(cli, ["report", "monthly", "--commune", "Xã Thử", "--month", "2026-10",
                                               "-o", str(out)], env=env)
    assert monthly.exit_code == 0 and "Báo cáo tháng 10/2026" in out.read_text(encoding="utf-8")
    bad = runner().invoke(cli, ["report", "monthly", "--commune", "Xã Thử", "--month", "10/2026",
                                           "-o", str(out)], env=env)
    assert bad.exit_code == 2 and "YYYY-MM" in bad.stderr
    book = tmp_path / "hoc-so.xlsx"
    xlsx = runner().invoke(cli, ["report", "learners", "--commune", "Xã Thử", "--format", "xlsx",
                                            "-o", str(book)], env=env)
    assert xlsx.exit_code == 0 and load_workbook(book).worksheets[1].max_row == 6  # header + 5 residents
    csv_file = tmp_path / "learners.csv"
    runner().invoke(cli, ["report", "learners", "--commune", "Xã Thử", "-o", str(csv_file)], env=env)
    assert "Bà Một" in csv_file.read_text(encoding="utf-8") and "Bà Xa" not in csv_file.read_text(encoding="utf-8")



def test_staff_rename_villages_and_reset_trainers_passwords_in_their_commune_only(staff, commune) -> None:
    mai = accounts.create_account("mai", "Chị Mai", "mat-khau-dai", "trainer", "Xã Thử")
    lan = accounts.create_account("lan", "Chị Lan", "mat-khau-dai", "staff", "Xã Thử")
    far = accounts.create_account("canbo-xa", "Cán bộ xa", "mat-khau-dai", "staff", "Xã Xa")
    assert trainers.rename_village(staff, commune["ban_hai"], "  Bản   Hai Mới ") == "Bản Hai Mới"
    assert community.get_village(commune["ban_hai"]).name == "Bản Hai Mới"  # type: ignore[union-attr]
    assert community.list_learners(commune["ban_hai"])  # its residents stay
    with pytest.raises(InvalidInput):
        trainers.rename_village(staff, commune["ban_hai"], "Thôn Một")  # taken in this commune
    for outsider in (mai, far):
        with pytest.raises(Forbidden):
            trainers.rename_village(outsider, commune["thon_mot"], "Thôn Lạ")
    accounts.reset_password(staff, mai.id, "mat-khau-moi")
    assert accounts.login("mai", "mat-khau-moi").id == mai.id
    with pytest.raises(Forbidden):
        accounts.reset_password(staff, lan.id, "chiem-quyen-lan")  # not a fellow staff member's
    with pytest.raises(Forbidden):
        accounts.reset_password(far, mai.id, "chiem-quyen-mai")  # not another commune's trainer
    with pytest.raises(InvalidInput):
        accounts.reset_password(staff, mai.id, "ngan")


def test_local_time_is_vietnams_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = reports.local_time(LATE)  # naive: UTC, as stored
    assert (shown.replace(tzinfo=None), shown.utcoffset()) == (datetime(2026, 12, 1, 3, 0), timedelta(hours=7))
    assert reports.local_time(LATE.replace(tzinfo=UTC)) == shown
    assert reports.local_time(datetime(2026, 7, 1, 12)).hour == 19  # no summer time in Vietnam
    monkeypatch.setattr(reports, "datetime", LateClock)
    assert reports.local_today() == date(2026, 12, 1)


def test_every_export_dates_in_vietnam_time(staff, catalog, commune, late_night: int, db: Path,
                                           tmp_path: Path) -> None:
    dash = reports.dashboard(staff, catalog, commune["commune"])
    assert dash.made_at.strftime("%H:%M %d/%m/%Y") == "03:00 01/12/2026"
    khuya = next(v for v in dash.villages if v.row.village_id == late_night)
    assert khuya.row.last_activity == LATE  # stored in UTC ...
    assert exports.as_records([khuya])[0]["last_activity"] == "2026-12-01 03:00"  # ... read in Vietnam time
    learners = reports.learners_report(staff, catalog, commune["commune"])
    names = {v.row.village_id: v.row.village for v in dash.villages}
    late = [r for r in exports.learner_records(learners, names) if r["name"] == "Ông Khuya"]
    assert [r["last_activity"] for r in late] == ["2026-12-01 03:00"]
    villages_csv = exports.as_csv(exports.as_records(dash.villages), exports.VILLAGE_COLUMNS, people=True)
    assert "Thôn Khuya" in villages_csv and "2026-12-01 03:00" in villages_csv and "2026-11-30" not in villages_csv
    book = load_workbook(io.BytesIO(exports.exports(dash, learners)))
    cells = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert cells.count("2026-12-01 03:00") == 3  # the village, the commune row and the resident
    assert not [c for c in cells if c.startswith("2026-11-30")]
    # the monthly report for November, made now: the month ran to 30/11, and it is made on 1 December
    november = reports.dashboard(staff, catalog, commune["commune"], monthly.month_filters(date(2026, 11, 1)))
    page = monthly.monthly_report(november, reports.local_today())
    made = t("report.monthly_meta", since="01/11/2026", until="30/11/2026", made="01/12/2026")
    assert made in page
    out = tmp_path / "november.html"
    env = {"LEARN_HOME": str(db.parent), "LEARN_CONTENT_DIR": str(CONTENT)}
    result = runner().invoke(cli, ["report", "monthly", "--commune", "Xã Thử", "--month", "2026-11", "-o", str(out)],
                             env=env)
    assert result.exit_code == 0, result.output
    assert made in out.read_text(encoding="utf-8")
    rows = runner().invoke(cli, ["report", "villages", "--commune", "Xã Thử", "--format", "json"], env=env)
    assert {json.loads(line)["village"]: json.loads(line)["last_activity"] for line in rows.output.splitlines()}[
        "Thôn Khuya"] == "2026-12-01 03:00"


def test_the_dashboard_offers_staff_their_commune_and_an_admin_every_commune(staff, commune) -> None:
    admin = accounts.create_account("tinh", "Quản trị", "mat-khau-dai", "admin", None)
    trainer = accounts.create_account("totruong", "Tổ trưởng", "mat-khau-dai", "trainer", "Xã Thử")
    assert reports.communes(staff) == {commune["commune"]: "Xã Thử"}
    assert list(reports.communes(admin).values()) == ["Xã Thử", "Xã Xa"]
    with pytest.raises(Forbidden):
        reports.communes(trainer)
