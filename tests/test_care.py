"""Caring for the roster and the coach's view (issue 13): who has learned what, a resident's record kept right,
moved-away and deleted residents, trainer accounts switched off; every action checked for role and commune."""

from __future__ import annotations

import pytest

from learn import services
from learn.errors import Forbidden, InvalidInput, LoginFailed, NotFound, PinLocked, WrongPin
from learn.services import accounts, care, reports, trainers
from learn.strings_vi import t
from progress_db import community, logins
from tests.conftest import CONTENT
from tests.support.apptest import PASSWORD, button, texts
from tests.support.lessons import finish_lesson

pytestmark = pytest.mark.both_engines


@pytest.fixture
def people(mai, village: int):
    added, _ = trainers.add_residents(mai, village, "Bà Một, 1950, Nhà 1\nÔng Hai\nChị Ba")
    return added


@pytest.fixture
def stranger(village: int):
    community.get_or_create_commune("Xã Khác")
    return accounts.create_account("hung", "Anh Hùng", PASSWORD, "trainer", "Xã Khác")


def _learn(person, catalog) -> None:
    """Bà Một finishes the unlock lesson with one wrong answer and starts the SMS lesson."""
    unlock = catalog.get("test-unlock")
    for position in range(len(unlock.screens)):
        services.go_to(person.id, unlock, position)
        screen = unlock.screens[position]
        if screen.question is not None:
            wrong = 1 - screen.question.answer if screen.question.id == "swipe" else screen.question.answer
            services.answer(person.id, unlock, position, wrong)
    finish_lesson(person.id, unlock)  # the wrong one comes back at the end: right this time
    services.go_to(person.id, catalog.get("test-sms"), 2)


def test_a_residents_lessons_wrong_answers_and_outcomes(mai, people, catalog) -> None:
    one = people[0]
    _learn(one, catalog)
    trainers.save_outcomes(mai, one.id, {"smartphone"})
    seen = care.report(mai, catalog, one.id)
    by_lesson = {x.lesson_id: x for x in seen.lessons}
    assert (by_lesson["test-unlock"].standing, by_lesson["test-unlock"].right, by_lesson["test-unlock"].answered) \
        == ("done", 2, 3)
    assert (by_lesson["test-sms"].standing, by_lesson["test-sms"].position) == ("going", 2)
    assert [(w.prompt, w.chosen, w.right) for w in seen.wrong] == \
        [(catalog.get("test-unlock").question("swipe").prompt, "Không", "Có")]
    assert seen.outcomes == {"smartphone"}


def test_the_village_grid_and_recent_activity(mai, people, village: int, catalog) -> None:
    one, two, _ = people
    _learn(one, catalog)
    services.go_to(two.id, catalog.get("test-unlock"), 1)
    grid = care.village_grid(mai, catalog, village)
    assert [p.name for p in grid.residents] == ["Bà Một", "Chị Ba", "Ông Hai"]
    assert (grid.standing(one.id, "test-unlock"), grid.standing(one.id, "test-sms"),
            grid.standing(two.id, "test-unlock"), grid.standing(two.id, "test-sms")) == \
        ("done", "going", "going", "new")
    assert grid.done == {one.id: 1, two.id: 0, people[2].id: 0}
    lines = care.village_activity(mai, catalog, village)
    assert {(x.name, x.kind, x.subject) for x in lines} >= {("Bà Một", "lesson_done", "Mở khóa máy"),
                                                           ("Ông Hai", "lesson_going", "Mở khóa máy")}


def test_details_change_only_what_differs_and_each_change_is_logged(mai, people) -> None:
    one = people[0]
    after = care.change_details(mai, one.id, name="Bà Lò Thị Một", birth_year="1950", household="Nhà 1")
    assert (after.name, after.birth_year, after.household) == ("Bà Lò Thị Một", 1950, "Nhà 1")
    history = care.report(mai, Catalog_empty(), one.id).history
    assert [(e.action, e.by, e.detail) for e in history] == [("renamed", "Chị Mai", "Bà Một → Bà Lò Thị Một")]
    with pytest.raises(InvalidInput):  # a wrong year: nothing saved, not even the good new name
        care.change_details(mai, one.id, name="Bà Một Khác", birth_year="19")
    assert community.get_learner(one.id).name == "Bà Lò Thị Một"  # type: ignore[union-attr]
    assert [p.name for p in services.learners(one.village_id)][0] == "Bà Lò Thị Một"  # search finds the new name


def test_a_forgotten_pin_is_reset_and_the_lock_lifted(mai, village: int) -> None:
    person = services.add_learner(village, "Bà Năm", pin="1234")
    for _ in range(4):
        with pytest.raises(WrongPin):
            services.sign_in_resident(person.id, "0000")
    with pytest.raises(PinLocked):
        services.sign_in_resident(person.id, "0000")
    care.reset_pin(mai, person.id, "4321")
    assert services.sign_in_resident(person.id, "4321").id == person.id
    with pytest.raises(InvalidInput):
        care.reset_pin(mai, person.id, "12")
    care.reset_pin(mai, person.id, None)  # no PIN at all now
    assert not community.get_learner(person.id).has_pin  # type: ignore[union-attr]
    assert [e.action for e in care.report(mai, Catalog_empty(), person.id).history] == ["pin_reset", "pin_reset"]


def test_moved_away_leaves_lists_and_indicators_and_can_come_back(mai, people, village: int, catalog) -> None:
    one = people[0]
    _learn(one, catalog)
    staff = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    commune = community.get_village(village).commune_id  # type: ignore[union-attr]
    before = reports.dashboard(staff, catalog, commune).total.row
    care.move_away(mai, one.id)
    assert one.id not in [p.id for p in services.learners(village)]
    assert [p.id for p in care.moved_away(mai, village)] == [one.id]
    assert community.get_village(village).learners == 2  # type: ignore[union-attr]
    after = reports.dashboard(staff, catalog, commune).total.row
    assert (before.learners, after.learners) == (3, 2)
    assert care.report(mai, catalog, one.id).lessons  # her history is kept
    with pytest.raises(NotFound):  # she cannot sign in on the village screen
        services.sign_in_resident(one.id)
    care.move_away(mai, one.id, back=True)
    assert one.id in [p.id for p in services.learners(village)]
    assert [e.action for e in care.report(mai, catalog, one.id).history] == ["came_back", "moved_away"]


def test_deleted_on_request_leaves_no_name_but_the_counts(mai, people, village: int, catalog) -> None:
    one = people[0]
    _learn(one, catalog)
    care.change_details(mai, one.id, household="Nhà 9")
    with pytest.raises(InvalidInput):
        care.delete_on_request(mai, one.id, "Ông Hai")  # not her name: nothing happens
    care.delete_on_request(mai, one.id, "ba mot")  # typed without diacritics: still her name
    row = community.get_learner(one.id)
    assert row is not None and (row.name, row.birth_year, row.household, row.has_pin, row.left) == \
        ("", None, None, False, "removed")
    assert one.id not in [p.id for p in services.learners(village)]
    with pytest.raises(NotFound):
        care.report(mai, catalog, one.id)
    assert all(e.detail == "" for e in queries_care_history(one.id))  # no trace of "Nhà 9" in the log
    # her finished lesson still counts, anonymously, in the commune's lessons per month
    staff = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    commune = community.get_village(village).commune_id  # type: ignore[union-attr]
    dash = reports.dashboard(staff, catalog, commune)
    assert sum(done for _, _, done in dash.monthly) == 1
    assert dash.total.row.learners == 2


def test_staff_switch_a_trainer_off_and_on(mai, village: int) -> None:
    staff = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    token = accounts.remember_browser(mai)
    care.set_trainer_active(staff, mai.id, False)
    assert accounts.browser_account(token) is None  # signed out everywhere
    with pytest.raises(LoginFailed) as refused:
        accounts.login("mai", PASSWORD)
    assert refused.value.key == "account.switched_off"
    with pytest.raises(LoginFailed) as wrong:  # a wrong password says nothing about the account
        accounts.login("mai", "sai-mat-khau")
    assert wrong.value.key == "account.login_failed"
    off = logins.get_account(mai.id)
    with pytest.raises(Forbidden):  # a page drawn before the switch cannot act any more
        trainers.roster(off, village)  # type: ignore[arg-type]
    care.set_trainer_active(staff, mai.id, True)
    assert accounts.login("mai", PASSWORD).id == mai.id
    assert [e.action for e in care.account_history(staff, mai.id)] == ["account_on", "account_off"]
    with pytest.raises(Forbidden):  # a trainer cannot switch anyone off
        care.set_trainer_active(mai, staff.id, False)
    with pytest.raises(Forbidden):  # nor staff another staff member
        care.set_trainer_active(staff, accounts.create_account("hanh", "Hạnh", PASSWORD, "staff", "Xã Thử").id, False)


def test_another_communes_trainer_can_do_none_of_it(mai, people, stranger, village: int, catalog) -> None:
    one = people[0]
    for attempt in (lambda: care.report(stranger, catalog, one.id),
                    lambda: care.village_grid(stranger, catalog, village),
                    lambda: care.village_activity(stranger, catalog, village),
                    lambda: care.moved_away(stranger, village),
                    lambda: care.change_details(stranger, one.id, name="Bị Đổi"),
                    lambda: care.reset_pin(stranger, one.id, "1111"),
                    lambda: care.move_away(stranger, one.id),
                    lambda: care.delete_on_request(stranger, one.id, "Bà Một"),
                    lambda: care.set_trainer_active(stranger, mai.id, False)):
        with pytest.raises(Forbidden):
            attempt()
    assert community.get_learner(one.id).name == "Bà Một"  # type: ignore[union-attr]
    far_staff = accounts.create_account("canbo", "Cán bộ xa", PASSWORD, "staff", "Xã Khác")
    with pytest.raises(Forbidden):
        care.set_trainer_active(far_staff, mai.id, False)


def Catalog_empty():  # noqa: N802  # a catalog with no lessons, where only the record matters
    from learn.lessons.catalog import Catalog
    return Catalog({}, CONTENT)


def queries_care_history(learner_id: int):
    from progress_db import care as records
    return records.care_history(learner_id)


# --- the pages ----------------------------------------------------------------------------------------------


def test_from_the_trainer_page_to_a_residents_page(app, mai, people, village: int, catalog) -> None:
    _learn(people[0], catalog)
    at = app("trainer", account=mai)
    at.button(key="coach-open").click().run()
    assert t("coach.heading", village="Thôn Một") in texts(at)
    grid = next(d.value for d in at.dataframe)
    assert list(grid[t("coach.col_name")]) == ["Bà Một", "Chị Ba", "Ông Hai"]
    assert list(grid["Mở khóa máy"]) == ["✓", "", ""]
    # (AppTest reruns the page it opened, so open the next one)
    at = app("coach", {"village": str(village)}, account=mai)
    at.button(key="coach-person").click().run()  # the first resident is picked
    assert [h.value for h in at.header] == [":material/person: Bà Một"]
    assert any("Không" in m.value and "Có" in m.value for m in at.markdown)  # her wrong answer


def test_a_resident_is_renamed_reset_moved_and_deleted_on_her_page(app, mai, people, village: int) -> None:
    one = people[0]
    at = app("resident", {"learner": str(one.id)}, account=mai)
    at.text_input(key=f"rname-{one.id}").input("Bà Lò Thị Một")
    button(at, t("resident.save")).click().run()
    assert [s.value for s in at.success] == [t("resident.saved", name="Bà Lò Thị Một")]
    assert community.get_learner(one.id).name == "Bà Lò Thị Một"  # type: ignore[union-attr]
    assert community.get_learner(one.id).birth_year == 1950  # type: ignore[union-attr]  # untouched field kept
    at.text_input(key=f"ryear-{one.id}").input("12")
    button(at, t("resident.save")).click().run()
    assert [e.value for e in at.error] == [t("learner.year_invalid", last=reports.local_today().year)]
    at.text_input(key=f"rpin-{one.id}").input("2468")
    button(at, t("resident.pin_save")).click().run()
    assert services.sign_in_resident(one.id, "2468").id == one.id
    at.button(key=f"rmove-{one.id}").click().run()
    assert t("resident.moved_note") in [w.value for w in at.warning]
    at.button(key=f"rback-{one.id}").click().run()
    at.text_input(key=f"rdel-{one.id}").input("Ông Hai")
    button(at, t("resident.delete")).click().run()
    assert [e.value for e in at.error] == [t("care.delete_confirm")]
    at.text_input(key=f"rdel-{one.id}").input("Bà Lò Thị Một")
    button(at, t("resident.delete")).click().run()
    assert t("coach.heading", village="Thôn Một") in texts(at)
    assert [s.value for s in at.success] == [t("resident.deleted")]
    assert community.get_learner(one.id).left == "removed"  # type: ignore[union-attr]


def test_another_communes_resident_page_is_refused(app, people, stranger) -> None:
    at = app("resident", {"learner": str(people[0].id)}, account=stranger)
    assert [e.value for e in at.error] == [t("account.forbidden")]
    at = app("coach", {"village": str(people[0].village_id)}, account=stranger)
    assert [e.value for e in at.error] == [t("account.forbidden")]


def test_staff_switch_a_trainer_off_on_the_dashboard(app, mai, village: int) -> None:
    staff = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    at = app("management", account=staff)
    assert at.selectbox(key="switch_who").value.username == "mai"
    button(at, t("dashboard.account_off")).click().run()
    assert [s.value for s in at.success] == [t("dashboard.account_off_done", username="mai")]
    assert not logins.get_account(mai.id).active  # type: ignore[union-attr]
    button(at, t("dashboard.account_on")).click().run()
    assert logins.get_account(mai.id).active  # type: ignore[union-attr]
    trainer_page = app("management", account=mai)  # a trainer has no such control at all
    assert not [b for b in trainer_page.button if b.label == t("dashboard.account_off")]
