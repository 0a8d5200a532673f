"""Password sign-in under attack (issue 14, items 3 and 7): tries counted per username and per client address,
atomically and before the password is checked; unknown usernames answer like real ones; one client's lock does
not lock the trainer out; a ceiling for all clients together; a hundred concurrent guesses."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from learn.errors import LoginFailed
from learn.secrets import secret_matches
from learn.services import accounts, lockout
from progress_db.models import LoginAttempt, utcnow

pytestmark = pytest.mark.both_engines
PASSWORD = "mat-khau-tot"
WRONG = "sai-mat-khau"
PHONE, ATTACKER, OTHER = "192.168.1.23", "192.168.1.66", "192.168.1.40"


@pytest.fixture
def mai(village: int):
    return accounts.create_account("mai", "Chị Mai", PASSWORD, "trainer", "Xã Thử")


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password that reached the hash check (which still runs: the real scrypt)."""
    seen: list[str] = []

    def counted(secret: str, stored: str) -> bool:
        seen.append(secret)
        return secret_matches(secret, stored)

    monkeypatch.setattr(accounts, "secret_matches", counted)
    return seen


def answer(username: str, password: str, client: str | None = None, **kw: object) -> tuple[str, dict]:
    """What the sign-in says: the message key and its values ("ok" when it lets the person in)."""
    try:
        accounts.login(username, password, client=client, **kw)  # type: ignore[arg-type]
    except LoginFailed as exc:
        return exc.key, exc.values
    return "ok", {}


FAILED = ("account.login_failed", {})
LOCKED = ("account.locked", {"minutes": 15})


def test_unknown_and_real_usernames_answer_alike(mai, checks: list[str]) -> None:
    real = [answer("mai", WRONG, ATTACKER) for _ in range(7)]
    assert len(checks) == 5  # five checked; the 6th and 7th were refused before any hash
    unknown = [answer("khong-co-ai", WRONG, ATTACKER) for _ in range(7)]
    assert real == unknown == [FAILED] * 4 + [LOCKED] * 3
    assert len(checks) == 10  # the unknown name cost the same five hashes as the real one
    assert answer("mai", PASSWORD, ATTACKER) == LOCKED  # even the right password, from that address, for now
    assert len(checks) == 10
    assert answer("MAI ", PASSWORD, ATTACKER, now=utcnow() + timedelta(minutes=16)) == ("ok", {})


def test_one_client_locked_out_does_not_lock_the_trainer_out(mai) -> None:
    for _ in range(5):
        answer("mai", WRONG, ATTACKER)
    assert answer("mai", PASSWORD, ATTACKER) == LOCKED
    assert answer("mai", PASSWORD, PHONE) == ("ok", {})  # her phone
    assert answer("mai", PASSWORD, None) == ("ok", {})  # the commune laptop itself (no address)
    # a right password clears that client's count: four more wrong ones are not a lock
    for _ in range(4):
        answer("mai", WRONG, OTHER)
    assert answer("mai", PASSWORD, OTHER) == ("ok", {})
    assert [answer("mai", WRONG, OTHER) for _ in range(5)] == [FAILED] * 4 + [LOCKED]


def test_the_ceiling_for_all_clients_together(mai, checks: list[str]) -> None:
    policy = lockout.PASSWORDS
    assert (policy.per_client, policy.per_subject, policy.period) == (5, 50, timedelta(minutes=15))
    assert answer("mai", PASSWORD, PHONE) == ("ok", {})  # her phone knows the password
    # one address alone never reaches the ceiling: only tries within its own limit count there
    for _ in range(30):
        lockout.begin(policy, "mai", ATTACKER)
    assert lockout.tries(policy, "mai")["*"] == 5
    # nine more addresses, five wrong tries each (what login counts before checking): 50 in all
    turns = [lockout.begin(policy, "mai", f"10.0.0.{n}") for n in range(1, 10) for _ in range(5)]
    assert all(turn.allowed for turn in turns)
    assert turns[-1] == lockout.Turn(True, last=True, minutes=15)
    before = len(checks)
    assert answer("mai", PASSWORD, "10.0.0.99") == LOCKED  # a new address: refused, the password not checked
    assert answer("mai", PASSWORD, None) == LOCKED
    assert answer("khong", PASSWORD, "10.0.0.99") == FAILED  # other usernames are not affected
    assert len(checks) == before + 1
    assert answer("mai", PASSWORD, PHONE) == ("ok", {})  # her own phone still gets in
    assert answer("mai", WRONG, PHONE) == FAILED  # ...and keeps its own five tries
    later = utcnow() + timedelta(minutes=16)
    assert answer("mai", PASSWORD, "10.0.0.99", now=later) == ("ok", {})  # the ceiling lasts one window


def test_a_new_password_lifts_every_lock(mai) -> None:
    staff = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    for n in range(11):
        for _ in range(5):
            lockout.begin(lockout.PASSWORDS, "mai", f"10.0.0.{n}")
    assert answer("mai", PASSWORD, "10.0.0.0") == LOCKED
    accounts.reset_password(staff, mai.id, "mat-khau-moi")
    assert lockout.tries(lockout.PASSWORDS, "mai") == {}
    assert answer("mai", "mat-khau-moi", "10.0.0.0") == ("ok", {})


def test_typed_names_are_not_kept(mai) -> None:
    answer("mat-khau-tot-nham-o", WRONG, ATTACKER)  # a password typed into the username box
    assert lockout.tries(lockout.PASSWORDS, "mat-khau-tot-nham-o") == {ATTACKER: 1, "*": 1}
    subjects = [row.subject for row in LoginAttempt.select()]
    assert subjects and all(len(s) == 64 and "mat" not in s for s in subjects)  # only hashes
    answer("mai", PASSWORD, PHONE, now=utcnow() + timedelta(minutes=16))  # any later try clears old counters
    assert lockout.tries(lockout.PASSWORDS, "mat-khau-tot-nham-o") == {}
    assert lockout.tries(lockout.PASSWORDS, "mai") == {PHONE: 0, "*": 0}  # kept: her phone is trusted


def test_a_hundred_concurrent_guesses(mai, checks: list[str]) -> None:
    """100 wrong guesses at once from four addresses, each on its own thread and pooled connection, as the
    app's sessions are; meanwhile the right password from an address already locked, and from another one."""
    clients = ["10.9.0.1", "10.9.0.2", "10.9.0.3", "10.9.0.4"]
    start = threading.Barrier(100 + 2)
    results: dict[str, list] = {c: [] for c in clients + ["right-locked", "right-other"]}

    def guess(client: str) -> None:
        start.wait()
        results[client].append(answer("mai", f"sai-{client}", client))

    def right_from_locked() -> None:
        start.wait()
        deadline = time.monotonic() + 20
        while lockout.tries(lockout.PASSWORDS, "mai").get(clients[0], 0) < 5 and time.monotonic() < deadline:
            time.sleep(0.002)  # until that address has used its five tries
        results["right-locked"].append(answer("mai", PASSWORD, clients[0]))

    def right_from_other() -> None:
        start.wait()
        results["right-other"].append(answer("mai", PASSWORD, PHONE))

    threads = [threading.Thread(target=guess, args=(c,)) for c in clients for _ in range(25)]
    threads += [threading.Thread(target=right_from_locked), threading.Thread(target=right_from_other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    counted = lockout.tries(lockout.PASSWORDS, "mai")
    assert {c: counted[c] for c in clients} == {clients[0]: 26, clients[1]: 25, clients[2]: 25, clients[3]: 25}
    assert counted["*"] == 20  # only checked tries count for all clients together
    assert sum(counted[c] for c in clients) - 1 == 100  # every guess counted (the one more is the right password)
    # exactly five checks per address, and the right password only from the address that was not locked
    assert Counter(checks) == {**{f"sai-{c}": 5 for c in clients}, PASSWORD: 1}
    for client in clients:
        assert Counter(key for key, _ in results[client]) == {"account.login_failed": 4, "account.locked": 21}
    assert results["right-locked"] == [LOCKED]
    assert results["right-other"] == [("ok", {})]
