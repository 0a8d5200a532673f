"""The village table for commune staff, against values computed by hand on a small commune."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from learn import services
from learn.cli import cli
from learn.services import reports
from progress_db import queries
from tests.conftest import CONTENT


@pytest.fixture
def commune(village: int, catalog):
    """Thôn Một: Bà Một finished both lessons, Ông Hai the smartphone one, Chị Ba nothing; one session.
    Bản Hai: Anh Tư finished the scams lesson. Another commune's village must not count."""
    other = queries.get_or_create_village(queries.find_commune("Xã Thử"), "Bản Hai")
    unlock, sms = catalog.get("test-unlock"), catalog.get("test-sms")
    one, two, _three = (services.add_learner(village, n) for n in ("Bà Một", "Ông Hai", "Chị Ba"))
    four = services.add_learner(other, "Anh Tư")
    for person, lessons in ((one, (unlock, sms)), (two, (unlock,)), (four, (sms,))):
        for lesson in lessons:
            services.go_to(person.id, lesson, len(lesson.screens))
    services.go_to(_three.id, unlock, 2)  # started, not completed
    queries.start_session(None, village, "test-unlock")  # type: ignore[arg-type]
    far = queries.get_or_create_village(queries.get_or_create_commune("Xã Xa"), "Thôn Xa")
    services.go_to(services.add_learner(far, "Bà Xa").id, unlock, len(unlock.screens))
    return village, other


def test_every_number_matches_the_hand_count(commune, catalog) -> None:
    rows = {r.row.village: r for r in reports.villages_report(catalog, "Xã Thử")}
    assert list(rows) == ["Bản Hai", "Thôn Một"]
    a, b = rows["Thôn Một"], rows["Bản Hai"]
    assert (a.row.learners, a.row.lessons_completed, a.row.sessions) == (3, 3, 1)
    assert (a.share("smartphone"), a.share("scams"), a.share("payments")) == (2 / 3, 1 / 3, 0.0)
    assert (b.row.learners, b.row.lessons_completed, b.row.sessions) == (1, 1, 0)
    assert (b.share("smartphone"), b.share("scams")) == (0.0, 1.0)
    assert a.row.last_activity is not None and b.row.last_activity is not None


def test_the_table_takes_two_queries_whatever_the_size(commune, catalog, monkeypatch) -> None:
    from progress_db.db import database

    real = database.obj.execute_sql
    calls = []
    monkeypatch.setattr(database.obj, "execute_sql", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    reports.villages_report(catalog, "Xã Thử")
    small = len(calls)
    for i in range(30):
        services.add_learner(commune[0], f"Người {i}")
    calls.clear()
    reports.villages_report(catalog, "Xã Thử")
    assert len(calls) == small <= 4


def test_csv_is_safe_from_formula_injection(commune, catalog) -> None:
    queries.get_or_create_village(queries.find_commune("Xã Thử"), "=HYPERLINK(\"http://x\")")
    text = reports.as_csv(reports.villages_report(catalog, "Xã Thử"))
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


def test_report_villages_cli(commune, db: Path) -> None:
    env = {"LEARN_HOME": str(db.parent), "LEARN_CONTENT_DIR": str(CONTENT)}
    result = CliRunner().invoke(cli, ["report", "villages", "--commune", "Xã Thử", "--format", "json"], env=env)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["village"], r["learners"], r["finished_smartphone"]) for r in rows] == [
        ("Bản Hai", 1, 0.0), ("Thôn Một", 3, 0.667)]
    table = CliRunner().invoke(cli, ["report", "villages", "--commune", "Xã Thử"], env=env)
    assert table.output.splitlines()[0].split()[:3] == ["village", "learners", "lessons_completed"]
    missing = CliRunner().invoke(cli, ["report", "villages", "--commune", "Xã Không Có"], env=env)
    assert missing.exit_code == 1 and "no commune named" in missing.output
    several = CliRunner().invoke(cli, ["report", "villages"], env=env)
    assert several.exit_code == 2 and "name the commune with --commune" in several.output
