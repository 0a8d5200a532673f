"""Who is signed in, worked out in one place for every page: a resident on this browser session (with the idle
sign-out of a shared laptop), and a trainer, staff member or admin by the browser's sign-in cookie (one clock: the
stored token, ended by two hours unused, a sign-out, a new password or an account switched off)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st
import streamlit.components.v1 as components

from learn import services
from learn.app.navigation import go
from learn.errors import NotFound
from learn.services import accounts
from learn.strings_vi import t
from progress_db.records import AccountInfo, LearnerInfo


def _still_here(key: str, idle: timedelta) -> bool:
    """Whether this browser session was used within ``idle`` (and note that it is used now)."""
    now = datetime.now(UTC)
    seen = st.session_state.get(key)
    st.session_state[key] = now
    return seen is None or now - seen <= idle


def signed_in_learner() -> LearnerInfo:
    """The learner of this session, checked against the database; otherwise back to choosing one.

    On a shared laptop the next resident must not find the last one signed in: after a long pause the learner
    taps their name again (their progress is saved)."""
    learner_id = st.session_state.get("learner_id")
    if learner_id is not None and not _still_here("learner_seen", services.LEARNER_IDLE):
        for key in ("learner_id", "learner_uid"):
            st.session_state.pop(key, None)
        st.session_state["link_problem"] = t("learner.expired")
        learner_id = None
    if learner_id is None:
        go("learner" if "village_id" in st.session_state else "village")
    try:
        return services.learner(learner_id, st.session_state.get("learner_uid"))
    except NotFound:
        for key in ("learner_id", "learner_uid"):
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
    """Set or clear the sign-in cookie when asked (main.py calls this on every run; our own constant script,
    the token being URL-safe random text)."""
    token = st.session_state.pop("set_account_cookie", None)
    if token is None:
        return
    age = 0 if token == "" else int(accounts.SESSION_IDLE.total_seconds()) * 6
    components.html(f"""<script>
const secure = window.parent.location.protocol === "https:" ? "; Secure" : "";
window.parent.document.cookie = "{ACCOUNT_COOKIE}={token}; Path=/; Max-Age={age}; SameSite=Strict" + secure;
</script>""", height=0)
