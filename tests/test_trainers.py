"""Trainer accounts: creating, signing in (with a lock), roles and communes enforced in the services, the page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from learn.cli import cli
from learn.errors import InvalidInput
from learn.services import accounts, trainers
from learn.strings_vi import t
from progress_db import community, learning
from progress_db.models import utcnow
from tests.support.apptest import PASSWORD, button, texts

pytestmark = pytest.mark.both_engines


def test_creating_accounts_checks_every_field(village: int) -> None:
    for args, reason in [
        (("x", "X", PASSWORD, "trainer", "Xã Thử"), "username: 3 to 32 characters"),
        (("hung", "Hùng", "ngan", "trainer", "Xã Thử"), "password: at least 8 characters"),
        (("hung", "Hùng", PASSWORD, "boss", "Xã Thử"), "role must be one of trainer, staff, admin"),
        (("hung", "Hùng", PASSWORD, "trainer", None), "a trainer works for one commune"),
        (("hung", "Hùng", PASSWORD, "trainer", "Xã Khác"), "no commune named 'Xã Khác'"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            accounts.create_account(*args)
        assert reason in str(exc.value)
    accounts.create_account("hung", "Hùng", PASSWORD, "trainer", "Xã Thử")
    with pytest.raises(InvalidInput, match="already taken"):
        accounts.create_account("HUNG", "Hùng", PASSWORD, "trainer", "Xã Thử")


def test_login_with_a_lock_after_five_wrong_passwords(mai) -> None:
    assert accounts.login("Mai", PASSWORD).id == mai.id
    with pytest.raises(accounts.LoginFailed) as unknown:
        accounts.login("nobody", PASSWORD)
    with pytest.raises(accounts.LoginFailed) as wrong:
        accounts.login("mai", "sai-mat-khau")
    assert unknown.value.key == wrong.value.key == "account.login_failed"  # no hint which one was wrong
    for _ in range(accounts.MAX_LOGIN_TRIES - 2):
        with pytest.raises(accounts.LoginFailed):
            accounts.login("mai", "sai-mat-khau")
    with pytest.raises(accounts.LoginFailed) as locked:
        accounts.login("mai", "sai-mat-khau")
    assert locked.value.key == "account.locked" and locked.value.values == {"minutes": 15}
    with pytest.raises(accounts.LoginFailed):
        accounts.login("mai", PASSWORD)  # even the right password, for now
    assert accounts.login("mai", PASSWORD, now=utcnow() + timedelta(minutes=16)).id == mai.id


def test_a_trainer_works_only_in_their_own_commune(mai, village: int) -> None:
    other_commune = community.get_or_create_commune("Xã Bên Cạnh")
    other = community.get_or_create_village(other_commune, "Thôn Xa")
    assert [v.name for v in trainers.commune_villages(mai)] == ["Thôn Một"]
    with pytest.raises(accounts.Forbidden):
        trainers.roster(mai, other)
    with pytest.raises(accounts.Forbidden):
        trainers.add_residents(mai, other, "Bà Lạ")
    assert community.list_learners(other) == []


def test_quick_add_keeps_going_past_bad_lines(mai, village: int) -> None:
    added, problems = trainers.add_residents(mai, village, "Bà Lò Thị Xuân, 1956\n\nÔng <b>Tư</b>\n"
                                                           "Ông Vàng A Sử\nBà Lò Thị Xuân, 1956\nChị Hà, 56")
    assert [p.name for p in added] == ["Bà Lò Thị Xuân", "Ông Vàng A Sử"]
    assert [(p.line, p.error.key) for p in problems] == [
        (3, "learner.name_invalid"), (5, "learner.duplicate"), (6, "learner.year_invalid")]
    assert [p.name for p in trainers.roster(mai, village)] == ["Bà Lò Thị Xuân", "Ông Vàng A Sử"]


def test_users_add_cli(village: int, db: Path) -> None:
    env = {"LEARN_HOME": str(db.parent)}
    result = CliRunner().invoke(cli, ["users", "add", "lan", "--role", "staff", "--commune", "Xã Thử"],
                                input=f"{PASSWORD}\n{PASSWORD}\n", env=env)
    assert result.exit_code == 0 and t("cli.user_created_for", username="lan", role=t("dashboard.role.staff"),
                                       commune="Xã Thử") in result.output
    again = CliRunner().invoke(cli, ["users", "add", "lan", "--role", "staff", "--commune", "Xã Thử",
                                     "--password", PASSWORD], env=env)
    assert again.exit_code == 1 and t("account.username_taken") in again.output


def test_the_trainer_page_asks_to_sign_in_and_refuses_a_wrong_password(app, mai) -> None:
    at = app("trainer")
    assert t("trainer.login_heading") in texts(at)
    at.text_input(key="login_user").input("mai")
    at.text_input(key="login_password").input("sai-mat-khau")
    button(at, t("trainer.login")).click().run()
    assert [e.value for e in at.error] == [t("account.login_failed")]
    assert "account_id" not in at.session_state


def test_a_trainer_adds_residents_and_gets_handouts(app, mai, village: int) -> None:
    at = app("trainer")
    at.text_input(key="login_user").input("mai")
    at.text_input(key="login_password").input(PASSWORD)
    button(at, t("trainer.login")).click().run()
    assert t("trainer.heading", name="Chị Mai") in texts(at)
    assert at.selectbox(key="trainer_village").value.name == "Thôn Một"
    at.text_area(key="quick_add_lines").input("Bà Lò Thị Xuân, 1956\nÔng <b>Tư</b>")
    button(at, t("trainer.add")).click().run()
    assert [s.value for s in at.success] == [t("trainer.added", count=1)]
    assert [w.value for w in at.warning] == [
        t("trainer.line_problem", line=2, text=r"Ông \<b\>Tư\</b\>", problem=t("learner.name_invalid", char="<"))]
    assert [p.name for p in community.list_learners(village)] == ["Bà Lò Thị Xuân"]
    assert at.text_area(key="quick_add_lines").value == "Ông <b>Tư</b>"  # only what was not added stays
    assert t("trainer.roster_count", count=1) in texts(at)  # the roster already shows her
    assert {b.proto.label for b in at.get("download_button")} == {"Mở khóa máy", "Tin nhắn lạ", t("trainer.join_card")}


def test_the_first_page_leads_trainers_to_sign_in_even_without_villages(app, db: Path) -> None:
    at = app()
    assert t("village.none") in texts(at)
    at.button(key="to-trainer").click().run()
    assert t("trainer.login_heading") in texts(at)


def test_outcomes_are_ticked_per_resident_in_the_own_commune_only(mai, village: int) -> None:
    added, _ = trainers.add_residents(mai, village, "Bà Một\nÔng Hai")
    one, two = added
    trainers.save_outcomes(mai, one.id, {"smartphone", "vneid_level2"})
    trainers.save_outcomes(mai, two.id, {"cashless_bill"})
    trainers.save_outcomes(mai, one.id, {"smartphone", "payment_account"})  # a tick taken back, one added
    assert trainers.outcomes(mai, village) == {one.id: {"smartphone", "payment_account"}, two.id: {"cashless_bill"}}
    with pytest.raises(InvalidInput):
        trainers.save_outcomes(mai, one.id, {"owns_a_buffalo"})
    far = community.add_learner(community.get_or_create_village(community.get_or_create_commune("Xã Xa"), "Thôn Xa"),
                              "Bà Xa", "ba xa", None, None)
    with pytest.raises(accounts.Forbidden):
        trainers.save_outcomes(mai, far.id, {"smartphone"})


def test_the_trainer_page_ticks_outcomes(app, mai, village: int) -> None:
    trainers.add_residents(mai, village, "Bà Một")
    at = app("trainer", account=mai)
    person = community.list_learners(village)[0]
    at.checkbox(key=f"outcome-{person.id}-smartphone").check()
    at.checkbox(key=f"outcome-{person.id}-vneid_level2").check()
    button(at, t("trainer.outcomes_save")).click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [t("trainer.outcomes_saved", name="Bà Một")]
    assert community.village_outcomes(village) == {person.id: {"smartphone", "vneid_level2"}}
    assert at.checkbox(key=f"outcome-{person.id}-smartphone").value is True


def test_the_outcome_form_shows_what_is_saved_and_saves_only_what_was_changed(app, mai,
                                                                             village: int) -> None:
    """The same fault as the group grid (issue 13): a form drawn before a tick arrived from elsewhere (another
    laptop, a sync bundle) must show it once saved, and a later save must not undo it."""
    trainers.add_residents(mai, village, "Bà Một, Nhà 4")
    person = community.list_learners(village)[0]
    at = app("trainer", account=mai)
    trainers.save_outcomes(mai, person.id, {"cashless_bill"})  # ticked on another laptop meanwhile
    at.checkbox(key=f"outcome-{person.id}-smartphone").check()
    button(at, t("trainer.outcomes_save")).click().run()
    assert community.village_outcomes(village) == {person.id: {"smartphone", "cashless_bill"}}
    assert at.checkbox(key=f"outcome-{person.id}-cashless_bill").value is True  # now shown
    assert community.list_learners(village)[0].household == "Nhà 4"  # not touched, so not rewritten
    at.checkbox(key=f"outcome-{person.id}-smartphone").uncheck()
    at.text_input(key=f"household-{person.id}").input("Nhà 5")
    button(at, t("trainer.outcomes_save")).click().run()
    assert community.village_outcomes(village) == {person.id: {"cashless_bill"}}
    assert community.list_learners(village)[0].household == "Nhà 5"


def test_merging_a_resident_added_twice_keeps_everything(mai, village: int, catalog) -> None:
    from learn import services

    (keep, drop), _ = trainers.add_residents(mai, village, "Bà Lò Thị Xuân, 1956\nBà Xuân")
    lesson = catalog.get("test-unlock")
    services.go_to(keep.id, lesson, 2)
    services.go_to(drop.id, lesson, 5)
    services.answer(drop.id, lesson, 5, 1)
    services.go_to(drop.id, catalog.get("test-sms"), len(catalog.get("test-sms").screens))
    trainers.save_outcomes(mai, drop.id, {"smartphone"})
    kept = trainers.merge(mai, keep.id, drop.id)
    assert kept.id == keep.id and [p.name for p in trainers.roster(mai, village)] == ["Bà Lò Thị Xuân"]
    progress = learning.progress_for(keep.id)
    assert progress["test-unlock"].position == 5 and progress["test-sms"].completed
    assert learning.answer_count(keep.id) == 1 and trainers.outcomes(mai, village) == {keep.id: {"smartphone"}}
    with pytest.raises(InvalidInput):
        trainers.merge(mai, keep.id, keep.id)


def test_merging_keeps_the_duplicates_review_care_history_and_language(mai, village: int) -> None:
    """What the duplicate practised in review, who reset her PIN, and the language she listens in are not lost
    with her: a question in both reviews stays at the box less far along, so she practises it again."""
    from learn.services import care
    from progress_db import care as stored_care
    from progress_db import languages, review

    (keep, drop), _ = trainers.add_residents(mai, village, "Bà Lò Thị Xuân, 1956\nBà Xuân")
    now = utcnow()
    item = review.ReviewItemInfo("test-unlock", "q-power", "wrong", 2, now + timedelta(days=7), now)
    review.put(keep.id, [item], now)
    review.put(drop.id, [review.ReviewItemInfo("test-unlock", "q-power", "wrong", 0, now + timedelta(days=1), now),
                         review.ReviewItemInfo("test-sms", "q-link", "scam", 1, now + timedelta(days=3), now)], now)
    review.record(drop.id, review.ReviewAnswerInfo(drop.id, "test-sms", "q-link", 0, True, 0, "r1", now),
                  review.ReviewItemInfo("test-sms", "q-link", "scam", 1, now + timedelta(days=3), now))
    care.reset_pin(mai, drop.id, "4321")
    language, _ = languages.ensure(community.get_village(village).commune_id, "mtq", "Mường")
    languages.choose(drop.id, language.code)
    trainers.merge(mai, keep.id, drop.id)
    boxes = {(x.lesson_id, x.question_id): x.box for x in review.items(keep.id)}
    assert boxes == {("test-unlock", "q-power"): 0, ("test-sms", "q-link"): 1}
    assert [(a.question_id, a.correct) for a in review.answers(keep.id)] == [("q-link", True)]
    assert [entry.by for entry in stored_care.care_history(keep.id)] == [mai.name]
    assert languages.of_learner(keep.id) == language


def test_merging_on_the_trainer_page(app, mai, village: int) -> None:
    trainers.add_residents(mai, village, "Bà Xuân\nBà Lò Thị Xuân")
    at = app("trainer", account=mai)
    keep, drop = community.list_learners(village)  # ordered by name: "Bà Lò Thị Xuân", "Bà Xuân"
    at.selectbox(key="merge_keep").set_value(keep)
    at.selectbox(key="merge_drop").set_value(drop)
    button(at, t("trainer.merge")).click().run()
    assert not at.exception
    assert [p.name for p in community.list_learners(village)] == ["Bà Lò Thị Xuân"]
    assert t("trainer.merged", name="Bà Lò Thị Xuân") in [s.value for s in at.success]


def test_commune_staff_add_trainers_for_their_commune_only(app, mai, village: int) -> None:
    lan = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    with pytest.raises(accounts.Forbidden):
        accounts.create_trainer(mai, "tuan", "Tuấn", PASSWORD)  # a trainer cannot
    assert t("dashboard.open") not in [b.label for b in app("trainer", account=mai).button]
    at = app("trainer", account=lan)
    button(at, t("dashboard.open")).click().run()  # staff go on to the commune's dashboard
    assert t("dashboard.heading", commune="Xã Thử") in texts(at)
    at.switch_page("views/dashboard.py").run()  # AppTest would start the next run on the trainer page again
    button(at, t("admin.open")).click().run()  # accounts are managed on the commune's administration page
    at.switch_page("views/management.py").run()
    at.text_input(key="new_trainer_user").input("tuan")
    at.text_input(key="new_trainer_name").input("Anh Tuấn")
    at.text_input(key="new_trainer_password").input("ngan")
    button(at, t("account.create")).click().run()
    assert [e.value for e in at.error] == [t("account.password_short", minimum=8)]
    at.text_input(key="new_trainer_password").input(PASSWORD)
    button(at, t("account.create")).click().run()
    assert [s.value for s in at.success] == [t("account.created", username="tuan")]
    made = accounts.login("tuan", PASSWORD)
    assert (made.role, made.commune) == ("trainer", "Xã Thử")


def test_quick_add_takes_households_and_the_outcome_form_changes_them(mai, village: int) -> None:
    added, problems = trainers.add_residents(mai, village, "Bà Lò Thị Xuân, 1956, Nhà 12\nÔng Piếng, Nhà 12\n"
                                                          "Cháu Hoa, 2001\nÔng Sử")
    assert problems == []
    assert [(p.name, p.birth_year, p.household) for p in added] == [
        ("Bà Lò Thị Xuân", 1956, "Nhà 12"), ("Ông Piếng", None, "Nhà 12"), ("Cháu Hoa", 2001, None),
        ("Ông Sử", None, None)]
    trainers.set_household(mai, added[3].id, "  Nhà   12 ")
    trainers.set_household(mai, added[0].id, "")
    assert [(p.name, p.household) for p in trainers.roster(mai, village)][:2] == [
        ("Bà Lò Thị Xuân", None), ("Cháu Hoa", None)]
    assert {p.name: p.household for p in trainers.roster(mai, village)}["Ông Sử"] == "Nhà 12"


def test_the_roster_is_searched_with_or_without_diacritics(app, mai, village: int) -> None:
    trainers.add_residents(mai, village, "Bà Lò Thị Xuân\nÔng Đào Văn An\nChị Hà")
    at = app("trainer", account=mai)
    at.text_input(key="roster_search").input("dao van").run()
    [table] = at.dataframe
    assert list(table.value[t("trainer.col_name")]) == ["Ông Đào Văn An"]


def test_a_browser_stays_signed_in_until_idle_signed_out_or_the_password_changes(mai, village: int) -> None:
    lan = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    token = accounts.remember_browser(mai)
    assert accounts.browser_account(token).id == mai.id  # type: ignore[union-attr]  # a reload
    assert accounts.browser_account("forged-" + token) is None and accounts.browser_account(None) is None
    later = utcnow() + accounts.SESSION_IDLE + timedelta(minutes=1)
    assert accounts.browser_account(token, now=later) is None  # left unused too long
    again = accounts.remember_browser(mai)
    accounts.reset_password(lan, mai.id, "mat-khau-moi-hon")
    assert accounts.browser_account(again) is None  # a new password signs every browser out
    third = accounts.remember_browser(mai)
    accounts.forget_browser(third)
    assert accounts.browser_account(third) is None
