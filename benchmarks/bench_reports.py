"""The staff dashboard and `learn report villages` at 1x, 10x and 100x a commune (up to about 1,000,000 answers):
time per call, growth ratio, and the SQLite query plans (every read of lesson_progress and attempt through an
index)."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from learn.lessons.catalog import Catalog
from learn.services import demo, exports, reports
from learn.settings import DEFAULT_CONTENT_DIR
from progress_db import community
from progress_db import reports as sql
from progress_db.db import database, open_db
from progress_db.records import AccountInfo

SIZES = {"1x": (2, 500), "10x": (20, 5_000), "100x": (200, 50_000)}
ADMIN = AccountInfo(0, "bench", "bench", "admin", None, None)
NOW = datetime(2026, 11, 20, 12)
OCTOBER = reports.Filters(since=date(2026, 10, 1), until=date(2026, 10, 31))


def _median_seconds(call, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _plans(call) -> tuple[int, list[str], list[str]]:
    """Run ``call`` capturing its statements; return how many there were, the plans of those that read
    lesson_progress or attempt without an index, and every plan."""
    real = database.obj.execute_sql
    seen: list[tuple[str, object]] = []

    def spy(sql, params=None, *args, **kwargs):
        seen.append((sql, params))
        return real(sql, params, *args, **kwargs)

    database.obj.execute_sql = spy
    try:
        call()
    finally:
        database.obj.execute_sql = real
    unindexed, plans = [], []
    for statement, params in seen:
        plan = " | ".join(row[3] for row in real("EXPLAIN QUERY PLAN " + statement, params))
        plans.append(plan)
        if re.search(r"SCAN (lp|a|lesson_progress|attempt)\b(?! USING)", plan):
            unindexed.append(plan)
    return len(seen), unindexed, plans


def _postgres_timings(catalog: Catalog) -> dict[str, object]:
    """The same dashboard on PostgreSQL (a throwaway cluster on loopback), at each size."""
    from tests.support import pg_cluster

    out: dict[str, object] = {}
    try:
        cluster = pg_cluster.start()
    except pg_cluster.Unavailable as exc:
        return {"reports_postgresql": f"skipped: {exc}"}
    try:
        for label, (villages, learners) in SIZES.items():
            name = f"bench_{label}"
            pg_cluster.create_database(cluster.url, name)
            db = open_db(pg_cluster.with_database(cluster.url, name))
            start = time.perf_counter()
            demo.seed(catalog, DEFAULT_CONTENT_DIR / "demo-names.yaml", villages, learners, seed=1, now=NOW)
            out[f"reports_pg_{label}_seed_s"] = round(time.perf_counter() - start, 1)
            db.execute_sql("ANALYZE")
            commune = community.list_communes()[0][0]
            out[f"reports_pg_{label}_dashboard_s"] = round(_median_seconds(
                lambda: reports.dashboard(ADMIN, catalog, commune)), 3)  # noqa: B023 - called at once
            db.close_all() if hasattr(db, "close_all") else db.close()
            database.initialize(None)
        out["reports_pg_dashboard_growth_100x_over_1x"] = round(
            float(out["reports_pg_100x_dashboard_s"]) / max(1e-9, float(out["reports_pg_1x_dashboard_s"])), 1)  # type: ignore[arg-type]
    finally:
        cluster.stop()
    return out


def _size(label: str, villages: int, learners: int, catalog: Catalog) -> dict[str, object]:
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'progress.sqlite3'}"
        db = open_db(url)
        start = time.perf_counter()
        made = demo.seed(catalog, DEFAULT_CONTENT_DIR / "demo-names.yaml", villages, learners, seed=1, now=NOW)
        out[f"reports_{label}_seed_s"] = round(time.perf_counter() - start, 1)
        out[f"reports_{label}_answers"] = made.answers
        commune, commune_name = community.list_communes()[0]
        out[f"reports_{label}_dashboard_s"] = round(_median_seconds(
            lambda: reports.dashboard(ADMIN, catalog, commune)), 3)
        scope = reports.scope_for(catalog, commune, reports.Filters())
        out[f"reports_{label}_hardest_questions_s"] = round(_median_seconds(
            lambda: sql.hardest_questions(scope, 5, 10)), 3)
        out[f"reports_{label}_dashboard_october_s"] = round(_median_seconds(
            lambda: reports.dashboard(ADMIN, catalog, commune, OCTOBER)), 3)
        out[f"reports_{label}_learner_export_s"] = round(_median_seconds(
            lambda: exports.exports(reports.dashboard(ADMIN, catalog, commune),
                                    reports.learners_report(ADMIN, catalog, commune)), repeat=1), 3)
        statements, unindexed, plans = _plans(lambda: (reports.dashboard(ADMIN, catalog, commune, OCTOBER),
                                                       reports.learners_report(ADMIN, catalog, commune)))
        out[f"reports_{label}_dashboard_queries"] = statements
        out[f"reports_{label}_unindexed_reads"] = len(unindexed)
        if label == "100x":
            (Path(__file__).parent / "results-query-plans.txt").write_text(
                "SQLite query plans of the dashboard and the residents' export, 100x data:\n\n"
                + "\n".join(f"{i + 1}. {p}" for i, p in enumerate(plans)) + "\n")
            start = time.perf_counter()
            subprocess.run([str(Path(sys.executable).parent / "learn"), "report", "villages", "--commune",
                            commune_name], check=True, capture_output=True,
                           env={"LEARN_DATABASE_URL": url, "LEARN_CONTENT_DIR": str(DEFAULT_CONTENT_DIR),
                                "PATH": "/usr/bin:/bin", "HOME": tmp})
            out["reports_100x_cli_report_villages_s"] = round(time.perf_counter() - start, 2)
        db.close_all() if hasattr(db, "close_all") else db.close()
        database.initialize(None)
    return out


def run() -> dict[str, object]:
    catalog = Catalog.load(DEFAULT_CONTENT_DIR)
    out: dict[str, object] = {}
    for label, (villages, learners) in SIZES.items():
        out.update(_size(label, villages, learners, catalog))
    out["reports_dashboard_growth_100x_over_1x"] = round(
        float(out["reports_100x_dashboard_s"]) / max(1e-9, float(out["reports_1x_dashboard_s"])), 1)  # type: ignore[arg-type]
    out.update(_postgres_timings(catalog))
    return out


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
