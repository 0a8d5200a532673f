"""The printable one-page monthly report of a commune: indicators against targets, each village's month, the
hardest questions, a signature block."""

from __future__ import annotations

import html
from datetime import date, timedelta

from learn.services import indicators
from learn.services.reports import Dashboard, Filters
from learn.strings_vi import t


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
    hard = "".join(f"<li>{e(h.prompt)} "
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
