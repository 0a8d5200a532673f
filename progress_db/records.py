"""The plain records the database hands out (frozen dataclasses): what pages may import from progress_db."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

#: What an account may do: a village tech-team trainer, commune staff, or an admin of every commune.
Role = Literal["trainer", "staff", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


def as_role(text: str) -> Role:
    """``text`` as a Role (the role column holds nothing else); ValueError for any other text."""
    for role in ROLES:
        if text == role:
            return role
    raise ValueError(f"not a role: {text!r}")


@dataclass(frozen=True)
class VillageInfo:
    """A village as the learner's first screen shows it."""

    id: int
    name: str
    commune: str
    learners: int
    commune_id: int = 0
    #: the drawing on its button (None until one is given)
    picture: str | None = None


@dataclass(frozen=True)
class LearnerInfo:
    """A learner as the app shows them; the PIN hash never leaves ``learner_pin_hash``."""

    id: int
    village_id: int
    name: str
    birth_year: int | None
    has_pin: bool
    uid: str
    household: str | None = None
    #: None for a resident; "moved" (moved away) or "removed" (deleted on request) for one who left
    left: str | None = None
    #: the drawing beside her name (None until one is given), whether she signs in with a picture password,
    #: and whether a trainer cleared her PIN or picture password so that she may choose a new one herself
    picture: str | None = None
    has_pictures: bool = False
    reset_pending: bool = False


@dataclass(frozen=True)
class ProgressInfo:
    """A learner's place in one lesson."""

    lesson_id: str
    position: int
    screens: int
    completed: bool
    updated_at: datetime
    completed_at: datetime | None = None
    #: past the last screen: which question asked again (its first answer was wrong) she is on; else None
    retry: int | None = None


@dataclass(frozen=True)
class AnswerInfo:
    """An answer a learner gave to one question (``retry``: when it was asked again at the end of the lesson)."""

    question_id: str
    option_index: int
    correct: bool
    mode: str
    transcript: str | None = None
    confidence: float | None = None
    retry: bool = False


@dataclass(frozen=True)
class PinState:
    """A learner's PIN hash (None: no PIN)."""

    pin_hash: str | None
    #: a picture password's hash instead of a PIN (None: none)
    picture_password_hash: str | None = None


@dataclass(frozen=True)
class JoinState:
    """A village's join code."""

    code: str


@dataclass(frozen=True)
class UtteranceInfo:
    """Something a learner said and what came of it."""

    lesson_id: str
    question_id: str | None
    position: int
    transcript: str
    confidence: float | None
    outcome: str
    seconds: float


@dataclass(frozen=True)
class AccountInfo:
    """A signed-in person of a tech team or the commune office; never carries the password hash."""

    id: int
    username: str
    name: str
    role: Role
    commune_id: int | None
    commune: str | None
    active: bool = True


@dataclass(frozen=True)
class Credentials:
    """What checking a password needs."""

    account: AccountInfo
    password_hash: str


@dataclass(frozen=True)
class GroupSessionInfo:
    """A group session: where, which lesson, the screen on the projector, and whether it is over."""

    id: int
    village_id: int
    lesson_id: str
    position: int
    account_id: int | None
    started_at: datetime
    finished: bool
