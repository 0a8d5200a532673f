"""The hand-counted commune of the reports' tests (tests/test_reports.py, tests/test_dashboard_page.py), its staff
member, and a clock late at night (a pytest plugin: tests/conftest.py lists it).

Xã Thử (times are UTC; Vietnam is UTC+7):
  Thôn Một  A "Bà Một"  household Nhà 1: unlock done 2026-09-10, sms done 2026-10-05; ticked smartphone 09-10,
                                          vneid_level2 10-20
            B "Ông Hai" household Nhà 1: unlock done 2026-09-30 20:00 UTC (= 1 Oct, 03:00 in Vietnam);
                                          ticked smartphone 10-15
            C "Chị Ba"  no household:    unlock started (not done), last 2026-10-02
            F "Cô Năm"  no household:    joined 2026-11-10, nothing yet
            one group session 2026-10-12
  Bản Hai   D "Anh Tư"  household Nhà 7: sms done 2026-10-20, unlock done 2026-11-02; ticked payment_account and
                                          cashless_bill 11-02
            one group session 2026-11-03
Xã Xa (another commune): E "Bà Xa" did everything and answered "swipe" wrong three times: it must never count.
Answers to "swipe" (right option 1): A wrong 10-01, A right 10-01, B wrong 10-14, C wrong 10-02, D right 11-02;
"screen-off": A right, B right, D wrong (11-02); "otp": A right, D right.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from learn import services
from learn.services import accounts, reports
from progress_db import community
from progress_db.models import Attempt, GroupSession, Learner, LessonProgress, Outcome

#: the staff member's password (the reports' tests give the other accounts they make the same one)
STAFF_PASSWORD = "mat-khau-dai"
LATE = datetime(2026, 11, 30, 20, 0)  # UTC, as the database stores it: 03:00 on 1 December in Vietnam


class LateClock(datetime):
    """A clock standing at LATE (UTC)."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return LATE.replace(tzinfo=UTC).astimezone(tz) if tz else LATE


@pytest.fixture
def late_night(monkeypatch: pytest.MonkeyPatch, commune) -> int:
    """The reports' clock at LATE, and a resident of a new village of Xã Thử who finished a lesson then;
    returns the village."""
    monkeypatch.setattr(reports, "datetime", LateClock)
    khuya = community.get_or_create_village(commune["commune"], "Thôn Khuya")
    person = services.add_learner(khuya, "Ông Khuya").id
    LessonProgress.create(learner=person, lesson_id="test-unlock", position=5, screens=5, started_at=LATE,
                          updated_at=LATE, completed_at=LATE)
    return khuya


def _done(learner: int, lesson: str, when: str | None, last: str | None = None) -> None:
    at = datetime.fromisoformat(when) if when else None
    LessonProgress.create(learner=learner, lesson_id=lesson, position=5 if at else 2, screens=5,
                          started_at=at or datetime.fromisoformat(last or "2026-10-01"),
                          updated_at=at or datetime.fromisoformat(last or "2026-10-01"), completed_at=at)


def _answer(learner: int, lesson: str, question: str, option: int, when: str) -> None:
    Attempt.create(learner=learner, lesson_id=lesson, question_id=question, option_index=option,
                   correct=option == 1, answered_at=datetime.fromisoformat(when))


@pytest.fixture
def commune(village: int):
    """The commune above; returns the learners by letter and the village ids."""
    xa_thu = community.find_commune("Xã Thử")
    ban_hai = community.get_or_create_village(xa_thu, "Bản Hai")
    thon_xa = community.get_or_create_village(community.get_or_create_commune("Xã Xa"), "Thôn Xa")
    people = {}
    for letter, home, name, house, joined in (("A", village, "Bà Một", "Nhà 1", "2026-09-01"),
                                              ("B", village, "Ông Hai", "Nhà 1", "2026-09-01"),
                                              ("C", village, "Chị Ba", None, "2026-09-01"),
                                              ("F", village, "Cô Năm", None, "2026-11-10"),
                                              ("D", ban_hai, "Anh Tư", "Nhà 7", "2026-09-01"),
                                              ("E", thon_xa, "Bà Xa", None, "2026-09-01")):
        person = services.add_learner(home, name).id
        Learner.update(household=house, created_at=datetime.fromisoformat(joined)).where(
            Learner.id == person).execute()
        people[letter] = person
    a, b, c, d, e = (people[x] for x in "ABCDE")
    _done(a, "test-unlock", "2026-09-10 09:00")
    _done(a, "test-sms", "2026-10-05 09:00")
    _done(b, "test-unlock", "2026-09-30 20:00")
    _done(c, "test-unlock", None, last="2026-10-02 10:00")
    _done(d, "test-sms", "2026-10-20 09:00")
    _done(d, "test-unlock", "2026-11-02 09:00")
    _done(e, "test-unlock", "2026-10-01 09:00")
    _done(e, "test-sms", "2026-10-01 10:00")
    for who, kind, when in ((a, "smartphone", "2026-09-10"), (a, "vneid_level2", "2026-10-20"),
                            (b, "smartphone", "2026-10-15"), (d, "payment_account", "2026-11-02"),
                            (d, "cashless_bill", "2026-11-02"), (e, "smartphone", "2026-10-01"),
                            (e, "vneid_level2", "2026-10-01")):
        Outcome.create(learner=who, kind=kind, ticked_at=datetime.fromisoformat(when))
    GroupSession.create(uid="s1", village=village, lesson_id="test-unlock",
                        started_at=datetime.fromisoformat("2026-10-12 08:00"))
    GroupSession.create(uid="s2", village=ban_hai, lesson_id="test-sms",
                        started_at=datetime.fromisoformat("2026-11-03 08:00"))
    for who, question, option, when in ((a, "swipe", 0, "2026-10-01 09:00"), (a, "swipe", 1, "2026-10-01 09:05"),
                                        (b, "swipe", 0, "2026-10-14 09:00"), (c, "swipe", 0, "2026-10-02 09:00"),
                                        (d, "swipe", 1, "2026-11-02 09:00"), (a, "screen-off", 1, "2026-09-10"),
                                        (b, "screen-off", 1, "2026-10-14"), (d, "screen-off", 0, "2026-11-02"),
                                        (e, "swipe", 0, "2026-10-01"), (e, "swipe", 0, "2026-10-01"),
                                        (e, "swipe", 0, "2026-10-01")):
        _answer(who, "test-unlock", question, option, when)
    _answer(a, "test-sms", "otp", 1, "2026-10-05")
    _answer(d, "test-sms", "otp", 1, "2026-10-20")
    return {"people": people, "thon_mot": village, "ban_hai": ban_hai, "commune": xa_thu}


@pytest.fixture
def staff(commune):
    """Cán bộ, the commune office's staff member of Xã Thử (username "canbo", password STAFF_PASSWORD)."""
    accounts.create_account("canbo", "Cán bộ", STAFF_PASSWORD, "staff", "Xã Thử")
    return accounts.login("canbo", STAFF_PASSWORD)
