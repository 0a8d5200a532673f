"""Who is signed in, worked out in one place for every page: a resident on this browser session, brought back
by her phone's device cookie after a reload or a restart of the server (on a shared laptop: no cookie, and the
idle sign-out), and a trainer, staff member or admin by the browser's sign-in cookie (one clock: the
stored token, ended by two hours unused, a sign-out, a new password or an account switched off)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st
import streamlit.components.v1 as components

from learn import services
from learn.app import resources
from learn.app.navigation import go
from learn.errors import NotFound
from learn.services import accounts, devices
from learn.strings_vi import t
from progress_db.records import AccountInfo, LearnerInfo


def _still_here(key: str, idle: timedelta) -> bool:
    """Whether this browser session was used within ``idle`` (and note that it is used now)."""
    now = datetime.now(UTC)
    seen = st.session_state.get(key)
    st.session_state[key] = now
    return seen is None or now - seen <= idle


#: the cookie that keeps a resident signed in on her own phone (a random token; only its hash is stored)
DEVICE_COOKIE = "hocso_device"
_RESIDENT_KEYS = ("learner_id", "learner_uid", "learner_device")


def _browser_cookie(name: str) -> str | None:
    """The value of one of this browser's cookies, as it sent them when this session connected (anything: a
    visitor writes their own cookies)."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) else None


def shared_browser() -> bool:
    """Whether several residents share this browser (LEARN_SHARED_DEVICES), so that nobody stays signed in."""
    return devices.shared(resources.settings().shared_devices, client_address())


def resident_signed_in() -> bool:
    """Whether a resident is signed in on this session: when the session is new (a reload, a restart of the
    server), her phone's device cookie brings her back, with her village. Looked up once per session."""
    if st.session_state.get("learner_id") is not None:
        return True
    if st.session_state.get("device_looked"):
        return False
    st.session_state["device_looked"] = True
    token = _browser_cookie(DEVICE_COOKIE)
    if token is None:
        return False
    found = None if shared_browser() else devices.resident(token)
    if found is None:  # junk, stale, revoked, or a browser now shared: it is cleared
        _write_device_cookie("")
        return False
    st.session_state.update(village_id=found.village_id, learner_id=found.id, learner_uid=found.uid,
                            learner_device=token)
    st.session_state.pop("learner_seen", None)
    _write_device_cookie(token)  # written again: 180 more days
    return True


def _write_device_cookie(token: str) -> None:
    """Set (or with "" clear) the device cookie in this run, for a page that stays, and again at the next run,
    for a page that moves on at once (a switch of page drops what this run drew)."""
    st.session_state["set_device_cookie"] = token
    write_account_cookie()
    st.session_state["set_device_cookie"] = token


def returning_resident() -> bool:
    """Whether this is a resident's own phone that has brought her back (the village screen then opens her
    lessons at once: someone who cannot read need not find her village and name again)."""
    return resident_signed_in() and st.session_state.get("learner_device") is not None


def remember_resident(person: LearnerInfo) -> None:
    """``person`` has just signed in on this session: her own phone keeps her signed in (a new device cookie),
    a shared browser does not."""
    forget = st.session_state.pop("learner_device", None) or _browser_cookie(DEVICE_COOKIE)
    if forget is not None:  # whoever this phone remembered before: a new token replaces it
        devices.forget(forget)
    token = None if shared_browser() else devices.remember(person)
    if token is not None:
        st.session_state["learner_device"] = st.session_state["set_device_cookie"] = token
    elif forget is not None:
        st.session_state["set_device_cookie"] = ""


def sign_out_resident() -> None:
    """The resident leaves this session, and this phone forgets her (the cookie cleared, its token deleted)."""
    token = st.session_state.get("learner_device") or _browser_cookie(DEVICE_COOKIE)
    devices.forget(token)
    if token is not None:
        st.session_state["set_device_cookie"] = ""
    for key in (*_RESIDENT_KEYS, "learner_seen"):
        st.session_state.pop(key, None)
    st.session_state["device_looked"] = True  # the cookie this session connected with is no longer hers


def known_device(learner_id: int) -> bool:
    """Whether this browser holds a valid device token of that learner: her own phone, where she signed in
    before (looked at without counting as a use)."""
    token = st.session_state.get("learner_device") or _browser_cookie(DEVICE_COOKIE)
    found = devices.resident(token, touch=False)
    return found is not None and found.id == learner_id


def signed_in_learner() -> LearnerInfo:
    """The learner of this session (or of this phone, see ``resident_signed_in``), checked against the
    database; otherwise back to choosing one.

    On a shared laptop the next resident must not find the last one signed in: after a long pause the learner
    taps their name again (their progress is saved). Her own phone keeps her, however long the pause."""
    if not resident_signed_in():
        go("learner" if "village_id" in st.session_state else "village")
    learner_id = st.session_state["learner_id"]
    device = st.session_state.get("learner_device")
    holder = None
    if device is not None:  # her phone may have been signed out since (a reset of her secret, a lost phone)
        holder = devices.resident(device, touch=False)
        if holder is None or holder.id != learner_id:
            for key in _RESIDENT_KEYS:
                st.session_state.pop(key, None)
            _write_device_cookie("")
            go("learner" if "village_id" in st.session_state else "village")
    if device is None and not _still_here("learner_seen", services.LEARNER_IDLE):
        for key in _RESIDENT_KEYS:
            st.session_state.pop(key, None)
        st.session_state["link_problem"] = t("learner.expired")
        go("learner" if "village_id" in st.session_state else "village")
    uid = st.session_state.get("learner_uid")
    if holder is not None and (uid is None or holder.uid == uid):  # just read, still here (not a second look)
        return holder
    try:
        return services.learner(learner_id, uid)
    except NotFound:
        if device is not None:
            devices.forget(device)
            st.session_state["set_device_cookie"] = ""
        for key in _RESIDENT_KEYS:
            st.session_state.pop(key, None)
        go("learner" if "village_id" in st.session_state else "village")


#: the cookie that keeps a trainer or staff member signed in across a reload of the page
ACCOUNT_COOKIE = "hocso_account"


def signed_in_account() -> AccountInfo | None:
    """The trainer, staff or admin account signed in on this session (or, after a reload, in this browser),
    if it still exists and has not been left unused too long."""
    account_id = st.session_state.get("account_id")
    if account_id is None:
        token = st.context.cookies.get(ACCOUNT_COOKIE)
        found = accounts.browser_account(token) if isinstance(token, str) and token else None
        if found is None:
            return None
        st.session_state["account_id"], st.session_state["account_token"] = found.id, token
        st.session_state.pop("account_seen", None)
        return found
    if not _still_here("account_seen", accounts.SESSION_IDLE):
        sign_out_account()
        st.session_state["account_note"] = t("account.expired")
        return None
    token = st.session_state.get("account_token")
    if token is not None:  # also keeps the browser's sign-in fresh; a new password has ended it
        found = accounts.browser_account(token)
        if found is None or found.id != account_id:
            sign_out_account()
            st.session_state["account_note"] = t("account.expired")
            return None
        return found
    try:
        return accounts.account(account_id)
    except NotFound:
        st.session_state.pop("account_id", None)
        return None


def account_or_sign_in() -> AccountInfo:
    """The trainer, staff member or admin signed in here; otherwise the sign-in page (this page stops)."""
    who = signed_in_account()
    if who is None:
        go("trainer")
    return who


def client_address() -> str | None:
    """The network address this browser session connects from (what lock-outs count per phone); None when
    unknown (the laptop itself, or a test)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def still_signed_in() -> bool:
    """Whether this browser's sign-in still holds, looked at without counting as a use (for a page that
    refreshes by itself, like the projector: it must not keep the laptop signed in for ever)."""
    token = st.session_state.get("account_token")
    if token is None:  # signed in on this session only (no browser cookie): nothing else to end it
        return st.session_state.get("account_id") is not None
    return accounts.browser_account(token, touch=False) is not None


def sign_in_account(who: AccountInfo) -> None:
    """Sign ``who`` in on this session, and in this browser so that a reload keeps them signed in."""
    st.session_state["account_id"] = who.id
    st.session_state["account_token"] = st.session_state["set_account_cookie"] = accounts.remember_browser(who)
    st.session_state.pop("account_seen", None)


def sign_out_account() -> None:
    """Sign out of this session and this browser."""
    accounts.forget_browser(st.session_state.pop("account_token", None))
    st.session_state.pop("account_id", None)
    st.session_state["set_account_cookie"] = ""


def write_account_cookie() -> None:
    """Set or clear the sign-in cookie and the resident's device cookie when asked (main.py calls this on every
    run; our own constant script, the tokens being URL-safe random text)."""
    lines = []
    token = st.session_state.pop("set_account_cookie", None)
    if token is not None:
        age = 0 if token == "" else int(accounts.SESSION_IDLE.total_seconds()) * 6
        lines.append(f"{ACCOUNT_COOKIE}={token}; Path=/; Max-Age={age}; SameSite=Strict")
    token = st.session_state.pop("set_device_cookie", None)
    if token is not None and (token == "" or devices.well_formed(token)):
        age = 0 if token == "" else int(devices.DEVICE_LIFETIME.total_seconds())
        lines.append(f"{DEVICE_COOKIE}={token}; Path=/; Max-Age={age}; SameSite=Strict")
    if not lines:
        return
    writes = "".join(f'window.parent.document.cookie = "{line}" + secure;\n' for line in lines)
    components.html(f"""<script>
const secure = window.parent.location.protocol === "https:" ? "; Secure" : "";
{writes}</script>""", height=0)
