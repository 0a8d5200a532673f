"""The dashboard's period presets and village filter, now decided in the reports service (issue 15)."""

from __future__ import annotations

from datetime import date

import pytest

from learn.errors import Forbidden, InvalidInput
from learn.services import accounts, reports
from progress_db import community


@pytest.mark.parametrize(("name", "today", "expected"), [
    ("all", date(2026, 3, 15), (None, None)),
    ("this_month", date(2026, 3, 15), (date(2026, 3, 1), date(2026, 3, 15))),
    ("last_month", date(2026, 3, 15), (date(2026, 2, 1), date(2026, 2, 28))),
    ("last_month", date(2026, 1, 1), (date(2025, 12, 1), date(2025, 12, 31))),  # over the new year
    ("three_months", date(2026, 3, 15), (date(2025, 12, 14), date(2026, 3, 15))),
    ("year", date(2024, 3, 1), (date(2023, 3, 2), date(2024, 3, 1))),  # a leap year
])
def test_each_preset_period(name: str, today: date, expected: tuple[date | None, date | None]) -> None:
    assert reports.period(name, today) == expected


def test_an_unknown_period_is_refused_with_a_message() -> None:
    with pytest.raises(InvalidInput) as refused:
        reports.period("forever", date(2026, 3, 15))
    assert refused.value.key == "dashboard.bad_period"


def test_the_village_filter_offers_the_communes_own_villages(village: int) -> None:
    far = community.get_or_create_village(community.get_or_create_commune("Xã Xa"), "Thôn Xa")
    ours = community.get_village(village).commune_id  # type: ignore[union-attr]
    staff = accounts.create_account("lan", "Chị Lan", "mat-khau-tot", "staff", "Xã Thử")
    admin = accounts.create_account("tinh", "Cán bộ tỉnh", "mat-khau-tot", "admin", None)
    assert [v.id for v in reports.villages_to_filter(staff, ours)] == [village]
    assert [v.id for v in reports.villages_to_filter(admin, community.get_village(far).commune_id)] == [far]  # type: ignore[union-attr]
    with pytest.raises(Forbidden):
        reports.villages_to_filter(staff, community.get_village(far).commune_id)  # type: ignore[union-attr]
