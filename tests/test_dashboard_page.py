"""The commune staff's dashboard page (AppTest), on the hand-counted commune of tests/support/commune.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from learn.services import accounts, indicators
from learn.strings_vi import t
from progress_db import community
from progress_db.models import GroupSession
from progress_db.records import AccountInfo
from tests.support.apptest import button, texts
from tests.support.commune import LATE, STAFF_PASSWORD


@pytest.fixture
def page(app: Callable[..., AppTest]) -> Callable[..., AppTest]:
    """``page(account=None)``: the dashboard, signed in as ``account`` (every account here has STAFF_PASSWORD)."""

    def dashboard(account: AccountInfo | None = None) -> AppTest:
        return app("dashboard", account=account, password=STAFF_PASSWORD, timeout=30)

    return dashboard


@pytest.fixture
def admin_page(app: Callable[..., AppTest]) -> Callable[..., AppTest]:
    """``admin_page(account)``: the commune's administration page, signed in as ``account``."""

    def administration(account: AccountInfo | None = None) -> AppTest:
        return app("management", account=account, password=STAFF_PASSWORD, timeout=30)

    return administration


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_staff_see_their_commune_at_a_glance(page, staff, commune) -> None:
    at = page(staff)
    assert not at.exception
    assert t("dashboard.heading", commune="Xã Thử") in texts(at)
    assert metrics(at) == {t("dashboard.residents"): "5", t("dashboard.completed"): "5",
                           t("dashboard.sessions"): "2", t("indicator.basic_skills"): "40%"}
    table = at.dataframe[0].value  # indicators in whole percents: the commune first, then each village
    assert list(table[t("report.col.village")]) == [t("dashboard.commune_row"), "Bản Hai", "Thôn Một"]
    assert list(table[t("indicator.short.skilled_household")]) == [50, 100, 33]
    assert list(table[t("indicator.short.basic_skills")]) == [40, 100, 25]
    villages = at.dataframe[1].value
    assert list(villages[t("report.col.learners")]) == [5, 1, 4]
    assert list(villages[t("topic.scams")]) == [40, 100, 25]
    hardest = [m.value for m in at.markdown if "Vuốt lên" in m.value]
    assert hardest and "3/5" in hardest[0] and "“Có”" in hardest[0]
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == [t("dashboard.csv_villages"), t("dashboard.csv_learners"), t("dashboard.xlsx"),
                      t("dashboard.monthly")]


def test_a_custom_period_and_a_topic_change_the_numbers(page, staff, commune) -> None:
    at = page(staff)
    at.selectbox(key="dash_period").set_value("custom").run()
    at.date_input(key="dash_dates").set_value((date(2026, 10, 1), date(2026, 10, 31))).run()
    assert metrics(at)[t("dashboard.residents")] == "4"  # Cô Năm joined in November
    assert metrics(at)[t("dashboard.completed")] == "3"
    assert metrics(at)[t("dashboard.sessions")] == "1"
    at.selectbox(key="dash_topic").set_value("scams").run()
    assert metrics(at)[t("dashboard.completed")] == "2"
    at.multiselect(key="dash_villages").select(
        next(v for v in at.multiselect(key="dash_villages").options if v == "Bản Hai")).run()
    assert metrics(at)[t("dashboard.residents")] == "1"
    assert at.dataframe[0].value[t("report.col.village")][0] == t("dashboard.selected_row")


def test_staff_set_targets_and_add_a_village(admin_page, staff, commune) -> None:
    at = admin_page(staff)
    key = f"target-{commune['commune']}-"
    at.number_input(key=key + "basic_skills").set_value(30)
    button(at, t("dashboard.targets_save")).click().run()
    assert t("dashboard.targets_saved") in [s.value for s in at.success]
    assert indicators.targets(staff, commune["commune"])["basic_skills"] == 0.3
    # a typo outside 0..100 is refused with a message, not clamped or dropped; nothing else moves
    at.number_input(key=key + "smartphone").set_value(150)
    button(at, t("dashboard.targets_save")).click().run()
    assert [e.value for e in at.error] == [t("targets.out_of_range")]
    assert at.number_input(key=key + "smartphone").value == 150  # still there to be corrected
    assert indicators.targets(staff, commune["commune"])["smartphone"] == 0.8
    assert indicators.targets(staff, commune["commune"])["basic_skills"] == 0.3
    at.text_input(key="new_village").input("Bản Mới")
    button(at, t("dashboard.add_village")).click().run()
    assert "Bản Mới" in [v.name for v in community.list_villages()]
    at.text_input(key="new_village").input("Bản Mới")
    button(at, t("dashboard.add_village")).click().run()
    assert [e.value for e in at.error] == [t("dashboard.village_exists")]


def test_trainers_and_strangers_do_not_see_it(page, admin_page, staff, commune) -> None:
    trainer = accounts.create_account("totruong", "Tổ trưởng", STAFF_PASSWORD, "trainer", "Xã Thử")
    at = page(trainer)
    assert [e.value for e in at.error] == [t("dashboard.staff_only")]
    assert not at.metric and not at.dataframe
    nobody = page()
    assert t("trainer.login_heading") in texts(nobody) and not nobody.metric
    at = admin_page(trainer)  # nor the administration: no form, no account list
    assert [e.value for e in at.error] == [t("dashboard.staff_only")]
    assert not at.number_input and not at.dataframe and not at.text_input
    assert t("trainer.login_heading") in texts(admin_page())


def test_a_village_added_on_the_administration_page_shows_on_the_dashboard_at_once(page, staff, commune) -> None:
    at = page(staff)  # the dashboard's numbers are now kept for five minutes
    assert list(at.dataframe[0].value[t("report.col.village")]) == [t("dashboard.commune_row"), "Bản Hai", "Thôn Một"]
    button(at, t("admin.open")).click().run()
    at.switch_page("views/management.py").run()  # AppTest does not follow a page's own switch_page
    assert [h.value for h in at.header] == [t("admin.heading", commune="Xã Thử")]
    at.text_input(key="new_village").input("Bản Mới")
    button(at, t("dashboard.add_village")).click().run()
    button(at, t("admin.back")).click().run()
    at.switch_page("views/dashboard.py").run()
    # but a change made on the administration page counts again at once
    assert list(at.dataframe[0].value[t("report.col.village")]) == [t("dashboard.commune_row"), "Bản Hai", "Bản Mới",
                                                                    "Thôn Một"]


def test_an_admin_picks_the_commune(page, commune) -> None:
    admin = accounts.create_account("tinh", "Quản trị", STAFF_PASSWORD, "admin", None)
    at = page(admin)
    at.selectbox(key="dash_commune").set_value(community.find_commune("Xã Xa")).run()
    assert metrics(at)[t("dashboard.residents")] == "1"
    # the page's title, above the commune box, names the commune chosen
    assert [h.value for h in at.header] == [t("dashboard.heading", commune="Xã Xa")]
    top = [getattr(e, "value", None) for e in at.main if e.type in ("header", "selectbox")]
    assert top[:2] == [t("dashboard.heading", commune="Xã Xa"), community.find_commune("Xã Xa")]
    at.selectbox(key="dash_commune").set_value(community.find_commune("Xã Thử")).run()
    assert metrics(at)[t("dashboard.residents")] == "5"
    assert [h.value for h in at.header] == [t("dashboard.heading", commune="Xã Thử")]


def test_an_admins_home_says_what_they_oversee(app, staff, commune) -> None:
    admin = accounts.create_account("tinh", "Quản trị", STAFF_PASSWORD, "admin", None)
    at = app("trainer", account=admin, password=STAFF_PASSWORD)
    assert not at.exception
    # two communes: Thôn Một and Bản Hai in Xã Thử, Thôn Xa in Xã Xa
    assert [c.value for c in at.caption][0] == t("trainer.admin_scope", communes=2, villages=3)
    home = app("trainer", account=staff, password=STAFF_PASSWORD)
    assert [c.value for c in home.caption][0] == t("trainer.commune", commune="Xã Thử", villages=2)


def test_a_commune_of_forty_villages_shows_every_row_without_scrolling(page, staff, commune,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(38):  # with Thôn Một and Bản Hai: 40
        community.get_or_create_village(commune["commune"], f"Thôn {i + 1:02d}")
    shown: list[tuple[int, object]] = []
    real = st.dataframe

    def spy(data: object, *args: object, **kwargs: object) -> object:
        shown.append((len(data), kwargs.get("height")))  # type: ignore[arg-type]
        return real(data, *args, **kwargs)  # type: ignore[arg-type]

    at = page(staff)
    monkeypatch.setattr(st, "dataframe", spy)  # once signed in: the trainer page has a table too
    at.run()
    assert not at.exception
    indicators_table, villages_table = at.dataframe[0].value, at.dataframe[1].value
    assert len(indicators_table) == len(villages_table) == 41  # the commune, then each village
    # "content": the table is as tall as its rows (Streamlit's own row size: 42 px at the app's 19 px type, up to
    # 10,000 px), so nothing scrolls inside it; a fixed number of pixels cut rows off
    assert shown[:2] == [(41, "content"), (41, "content")]
    assert all(height == "content" for _, height in shown)


def test_dates_on_the_dashboard_are_in_vietnam_time(page, staff, commune, late_night: int) -> None:
    at = page(staff)  # at 20:00 UTC on 30 November: 03:00 on 1 December in Vietnam
    assert not at.exception
    assert t("dashboard.made_at", time="03:00 01/12/2026") in texts(at)
    villages = at.dataframe[1].value
    last = dict(zip(villages[t("report.col.village")], villages[t("report.col.last_activity")], strict=True))
    assert last["Thôn Khuya"] == "01/12/2026"
    assert last["Thôn Một"] == "05/10/2026"
    assert at.selectbox(key="dash_month").options[0] == "12/2026"  # the month it is in Vietnam comes first
    at.selectbox(key="dash_period").set_value("this_month").run()
    assert metrics(at)[t("dashboard.completed")] == "0"  # December: Ông Khuya finished his in November


def test_the_trainer_pages_session_history_is_in_vietnam_time(app, staff, commune, catalog) -> None:
    GroupSession.create(uid="late", village=commune["thon_mot"], lesson_id="test-unlock", started_at=LATE)
    at = app("trainer", account=staff, password=STAFF_PASSWORD)
    assert not at.exception
    title = catalog.get("test-unlock").title
    late = t("session.item", date="01/12", village="Thôn Một", lesson=title)
    assert f"{t('session.resume')}: {late}" in [b.label for b in at.button]
    earlier = t("session.item", date="12/10", village="Thôn Một", lesson=title)  # 08:00 UTC: the same day
    assert any(b.label.endswith(earlier) for b in at.button)


def test_numbers_are_kept_a_while_and_refresh_recounts(page, staff, commune) -> None:
    at = page(staff)
    assert metrics(at)[t("dashboard.residents")] == "5"
    community.add_learner(commune["ban_hai"], "Người Mới", "nguoi moi", None, None)
    at.run()
    assert metrics(at)[t("dashboard.residents")] == "5"  # the same numbers for five minutes
    button(at, t("dashboard.refresh")).click().run()
    assert metrics(at)[t("dashboard.residents")] == "6"


def test_staff_rename_a_village_and_reset_a_password_on_the_page(admin_page, staff, commune) -> None:
    mai = accounts.create_account("mai", "Chị Mai", STAFF_PASSWORD, "trainer", "Xã Thử")
    at = admin_page(staff)
    at.selectbox(key="rename_which").set_value(
        next(v for v in at.selectbox(key="rename_which").options if v == "Bản Hai"))
    at.text_input(key="rename_to").input("Bản Hai Mới")
    button(at, t("dashboard.rename")).click().run()
    assert t("dashboard.renamed", name="Bản Hai Mới") in [s.value for s in at.success]
    assert "Bản Hai Mới" in [v.name for v in community.list_villages()]
    at.text_input(key="reset_password_value").input("mat-khau-moi")
    button(at, t("dashboard.reset")).click().run()
    assert t("dashboard.reset_done", username="mai") in [s.value for s in at.success]
    assert accounts.login("mai", "mat-khau-moi").id == mai.id
