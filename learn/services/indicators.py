"""The digital-transformation indicators a commune reports upward, and its targets for them.

Defaults follow the national targets for 2025 (see ``content/vi/SOURCES.md``, section "Chỉ tiêu"); a commune
sets its own in the app. Each indicator is a share of residents, or of households for ``skilled_household``.
"""

from __future__ import annotations

from dataclasses import dataclass

from learn.errors import InvalidInput
from learn.services.accounts import require
from progress_db import community
from progress_db.records import AccountInfo

#: Topics whose every lesson a resident must complete to count as "trained in basic digital skills".
BASIC_TOPICS = ("smartphone", "scams")


@dataclass(frozen=True)
class Indicator:
    """An indicator: where its value comes from and its default target (a share, 0..1)."""

    key: str
    default: float
    source: str  # "lessons", "outcome" (ticked by trainers) or "households"


INDICATORS = (
    Indicator("basic_skills", 0.70, "lessons"),
    Indicator("smartphone", 0.80, "outcome"),
    Indicator("vneid_level2", 0.80, "outcome"),
    Indicator("payment_account", 0.80, "outcome"),
    Indicator("cashless_bill", 0.50, "outcome"),
    Indicator("skilled_household", 0.80, "households"),
)
KEYS = tuple(i.key for i in INDICATORS)


def targets(who: AccountInfo, commune_id: int) -> dict[str, float]:
    """Every indicator's target for the commune: its own where set, the national default otherwise."""
    require(who, "trainer", "staff", commune_id=commune_id)
    own = community.commune_targets(commune_id)
    return {i.key: own.get(i.key, i.default) for i in INDICATORS}


def set_targets(who: AccountInfo, commune_id: int, values: dict[str, float]) -> dict[str, float]:
    """Set the commune's targets (shares 0..1); staff of the commune or an admin only. All or nothing."""
    require(who, "staff", commune_id=commune_id)
    for key, value in values.items():
        if key not in KEYS:
            raise InvalidInput(f"unknown indicator {key!r}")
        if not 0.0 <= value <= 1.0:
            raise InvalidInput(f"target {value} out of 0..1", key="targets.out_of_range")
    community.set_commune_targets(commune_id, values)
    return targets(who, commune_id)
