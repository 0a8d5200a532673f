"""The pretend phone (issue 18): an inline ``st.components.v2`` component that draws a practice's screen from
data (a title bar with "BÀI TẬP", big labelled parts in a list or a grid, a keypad where a code is asked, the hint
after a wrong tap, the right place outlined once it is shown) and reports which part was tapped.

Its HTML, CSS and JavaScript are our own constants. Every lesson text reaches it as data and is put in with
``textContent``, never as HTML; the drawings are our own simple shapes (never an app's or a bank's logo). Nothing
leaves the page but the tap itself: which pretend screen, which part, the digits typed."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

_ID = re.compile(r"^[a-z0-9-]{1,60}$")
_DIGITS = re.compile(r"^[0-9]{0,12}$")


@dataclass(frozen=True)
class Tap:
    """A tap the component reported: the pretend screen it was on, the part, and the digits typed so far."""

    screen: str
    part: str
    typed: str | None = None


def tap_event(value: object) -> Tap | None:
    """The tap in the component's state (``st.session_state[key]``), or None when there is none or it is not
    one we would send (the browser is not trusted: ids and digits are checked here)."""
    tap = value.get("tap") if isinstance(value, Mapping) else getattr(value, "tap", None)
    if not isinstance(tap, Mapping):
        return None
    screen, part, typed = tap.get("screen"), tap.get("part"), tap.get("typed")
    if not (isinstance(screen, str) and _ID.match(screen) and isinstance(part, str) and _ID.match(part)):
        return None
    if typed is not None and not (isinstance(typed, str) and _DIGITS.match(typed)):
        return None
    return Tap(screen, part, typed or None)


HTML = '<div class="hs-phone" data-testid="pretend-phone"></div>'

CSS = """
.hs-phone { font-family: "Source Sans", "Source Sans Pro", sans-serif; max-width: 380px; margin: 0 auto;
  border: 10px solid #26303b; border-radius: 28px; background: #f4f6f8; overflow: hidden; color: #111;
  box-shadow: 0 4px 14px rgba(0,0,0,.25); user-select: none; -webkit-user-select: none; }
.hs-bar { display: flex; align-items: center; gap: 8px; background: #1f5d99; color: #fff; padding: 10px 12px;
  min-height: 30px; }
.hs-title { flex: 1; font-size: 21px; font-weight: 700; line-height: 1.2; }
.hs-badge { background: #ffd23f; color: #3a2b00; font-weight: 800; font-size: 15px; padding: 4px 8px;
  border-radius: 8px; letter-spacing: .04em; white-space: nowrap; }
.hs-body { padding: 10px; display: flex; flex-direction: column; gap: 9px; }
.hs-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 9px; }
.hs-list { display: flex; flex-direction: column; gap: 9px; }
.hs-part { font: inherit; color: inherit; border: 2px solid #c6d0da; background: #fff; border-radius: 14px;
  font-size: 21px; line-height: 1.2; padding: 12px; min-height: 60px; display: flex; align-items: center;
  gap: 12px; text-align: left; cursor: pointer; width: 100%; box-sizing: border-box; }
.hs-part.hs-button { justify-content: center; text-align: center; background: #e8f0fa; border-color: #7aa3cf;
  font-weight: 700; }
.hs-part.hs-tile { flex-direction: column; justify-content: center; text-align: center; min-height: 104px;
  font-weight: 700; }
.hs-part:active { background: #dce8f5; }
.hs-text { font-size: 20px; line-height: 1.3; padding: 4px 6px; }
.hs-detail { display: block; font-size: 16px; color: #4a5561; font-weight: 400; }
.hs-icon { width: 34px; height: 34px; flex: none; }
.hs-tile .hs-icon { width: 44px; height: 44px; }
.hs-hint { background: #fff4c2; border: 2px solid #e0b400; border-radius: 12px; padding: 9px 11px;
  font-size: 19px; line-height: 1.35; }
.hs-shown { outline: 6px solid #ffb300; outline-offset: 2px; animation: hs-pulse 1s ease-in-out infinite; }
@keyframes hs-pulse { 50% { outline-color: #ff6f00; } }
.hs-field { background: #fff; border: 2px solid #7aa3cf; border-radius: 12px; padding: 8px 12px;
  font-size: 26px; letter-spacing: .12em; min-height: 36px; font-weight: 700; }
.hs-field small { display: block; font-size: 15px; letter-spacing: 0; font-weight: 400; color: #4a5561; }
.hs-keys { display: grid; grid-template-columns: repeat(3, 1fr); gap: 7px; }
.hs-key { font: inherit; font-size: 26px; font-weight: 700; min-height: 54px; border-radius: 12px;
  border: 2px solid #c6d0da; background: #fff; color: #111; cursor: pointer; }
.hs-key.hs-ok { background: #1b7f3b; border-color: #1b7f3b; color: #fff; font-size: 21px; }
.hs-key.hs-erase { font-size: 19px; }
.hs-done { text-align: center; padding: 26px 14px; font-size: 22px; line-height: 1.4; }
.hs-done .hs-icon { width: 72px; height: 72px; margin: 0 auto 8px; display: block; }
.hs-step { text-align: center; font-size: 14px; color: #4a5561; padding: 0 0 6px; }
"""

# Simple shapes on a 24 x 24 grid, our own (no app's or bank's logo): an outline drawn in the current colour.
JS = r"""
const ICONS = {
  pay: "M5 3h14v18l-3-2-2 2-2-2-2 2-2-2-3 2z M8 8h8 M8 12h8 M8 16h5",
  send: "M3 12l18-8-6 18-3-7z M12 15l9-11",
  history: "M12 4a8 8 0 1 1-8 8 M4 5v5h5 M12 8v5l3 2",
  qr: "M4 4h6v6H4z M14 4h6v6h-6z M4 14h6v6H4z M14 14h2v2h-2z M18 18h2v2h-2z M14 18h2 M18 14h2",
  bolt: "M13 2L5 14h6l-1 8 8-12h-6z",
  water: "M12 3c4 5 6 8 6 11a6 6 0 0 1-12 0c0-3 2-6 6-11z",
  phone: "M7 2h10v20H7z M11 18h2",
  video: "M3 7h12v10H3z M15 11l6-4v10l-6-4",
  hangup: "M3 14c5-5 13-5 18 0l-3 3-3-2v-3c-2-1-4-1-6 0v3l-3 2z",
  message: "M3 5h18v11H9l-5 4v-4H3z",
  trash: "M4 6h16 M9 6V3h6v3 M6 6l1 15h10l1-15",
  card: "M3 6h18v12H3z M3 10h18",
  id: "M3 5h18v14H3z M6 9h5v6H6z M13 10h5 M13 14h4",
  camera: "M3 7h4l2-3h6l2 3h4v12H3z M12 10a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7",
  photo: "M3 5h18v14H3z M3 16l5-5 4 4 3-3 6 5 M16 8h1",
  group: "M8 11a3 3 0 1 0 0-6a3 3 0 1 0 0 6 M16 11a3 3 0 1 0 0-6a3 3 0 1 0 0 6 M2 20c0-4 3-6 6-6s6 2 6 6"
    + " M12 16c1-1 2-2 4-2 3 0 6 2 6 6",
  settings: "M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8 M12 2v3 M12 19v3 M2 12h3 M19 12h3 M5 5l2 2 M17 17l2 2"
    + " M5 19l2-2 M17 7l2-2",
  text: "M4 20L10 4h1l6 16 M6 14h9 M17 20l2-6 2 6",
  face: "M12 3a8 9 0 1 0 0.1 0 M9 10h.5 M14.5 10h.5 M9 15c2 2 4 2 6 0 M2 7V3h4 M18 3h4v4 M2 17v4h4 M22 17v4h-4",
  home: "M3 11l9-8 9 8 M5 10v10h14V10",
  back: "M15 4l-8 8 8 8",
  check: "M4 12l5 5L20 6",
  cancel: "M5 5l14 14 M19 5L5 19",
  lock: "M6 10h12v11H6z M8 10V7a4 4 0 0 1 8 0v3",
  person: "M12 12a4 4 0 1 0 0-8a4 4 0 1 0 0 8 M4 21c0-5 4-7 8-7s8 2 8 7",
  shield: "M12 2l8 3v6c0 5-3 9-8 11-5-2-8-6-8-11V5z",
  wifi: "M2 9c6-5 14-5 20 0 M5 13c4-3 10-3 14 0 M9 17c2-1 4-1 6 0 M12 20h.1",
  link: "M10 14a4 4 0 0 0 6 0l3-3a4 4 0 0 0-6-6l-1 1 M14 10a4 4 0 0 0-6 0l-3 3a4 4 0 0 0 6 6l1-1",
};
const SVG = "http://www.w3.org/2000/svg";

function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "hs-icon");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name] || "");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.8");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.appendChild(path);
  return svg;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const phone = parentElement.querySelector(".hs-phone");
  if (!phone || !data) return;
  const labels = data.labels || {};
  phone.replaceChildren();
  const bar = el("div", "hs-bar");
  bar.appendChild(el("div", "hs-title", data.done ? labels.done : data.title));
  bar.appendChild(el("div", "hs-badge", labels.badge));
  phone.appendChild(bar);
  const body = el("div", "hs-body");
  phone.appendChild(body);
  if (data.done) {
    const done = el("div", "hs-done");
    done.appendChild(icon("check"));
    done.appendChild(el("div", "", data.done_text));
    body.appendChild(done);
    if (data.fit) phone.style.zoom = "1.6";
    return;
  }
  // the digits typed stay while the same pretend screen is redrawn (a Listen tap reruns the page)
  const memory = parentElement.__hocSoTyped || {};
  let typed = memory.turn === data.turn ? memory.typed : "";
  const remember = () => { parentElement.__hocSoTyped = { turn: data.turn, typed: typed }; };
  remember();
  const send = (part) => setTriggerValue("tap", {
    screen: data.screen, part: part, typed: data.keypad ? typed : null, at: Date.now() });
  if (data.hint) body.appendChild(el("div", "hs-hint", data.hint));
  const holder = el("div", data.layout === "grid" ? "hs-grid" : "hs-list");
  body.appendChild(holder);
  for (const part of data.parts || []) {
    if (part.kind === "text") {
      const line = el("div", "hs-text", part.text);
      if (part.detail) line.appendChild(el("span", "hs-detail", part.detail));
      holder.appendChild(line);
      continue;
    }
    const button = el("button", "hs-part hs-" + part.kind);
    button.type = "button";
    button.dataset.part = part.id;
    if (part.icon) button.appendChild(icon(part.icon));
    const words = el("span", "", part.text);
    if (part.detail) words.appendChild(el("span", "hs-detail", part.detail));
    button.appendChild(words);
    if (data.target === part.id) button.classList.add("hs-shown");
    button.addEventListener("click", () => send(part.id));
    holder.appendChild(button);
  }
  if (data.keypad) {
    const field = el("div", "hs-field");
    field.appendChild(el("small", "", labels.typed));
    const digits = el("span", "", typed);
    field.appendChild(digits);
    body.appendChild(field);
    const keys = el("div", "hs-keys");
    body.appendChild(keys);
    const buttons = {};
    const mark = () => {
      digits.textContent = typed;
      for (const b of Object.values(buttons)) b.classList.remove("hs-shown");
      if (!data.code) return;
      // shown the way: the next digit to tap, or "OK" once the code is complete (or Erase when it went wrong)
      const next = !data.code.startsWith(typed) ? "erase"
        : typed.length < data.code.length ? data.code[typed.length] : "ok";
      if (buttons[next]) buttons[next].classList.add("hs-shown");
    };
    const key = (name, label, cls, press) => {
      const b = el("button", "hs-key" + (cls ? " " + cls : ""), label);
      b.type = "button";
      b.dataset.key = name;
      b.addEventListener("click", press);
      buttons[name] = b;
      keys.appendChild(b);
    };
    for (const d of ["1", "2", "3", "4", "5", "6", "7", "8", "9"]) {
      key(d, d, "", () => { if (typed.length < 12) typed += d; remember(); mark(); });
    }
    key("erase", labels.erase, "hs-erase", () => { typed = typed.slice(0, -1); remember(); mark(); });
    key("0", "0", "", () => { if (typed.length < 12) typed += "0"; remember(); mark(); });
    key("ok", labels.ok, "hs-ok", () => send("ok"));
    mark();
  }
  body.appendChild(el("div", "hs-step", labels.step));
  if (data.fit) {
    // on the projector: as large as the window allows, so the back row sees where to tap
    phone.style.zoom = "1";
    const room = window.innerHeight * 0.8;
    phone.style.zoom = String(Math.max(1, Math.min(2.2, room / Math.max(phone.offsetHeight, 1))));
  }
}
"""

_component = st.components.v2.component("hocso_pretend_phone", html=HTML, css=CSS, js=JS)


def pretend_phone(data: dict[str, Any], *, key: str, on_tap: Callable[[Tap], None]) -> None:
    """Draw the pretend phone from ``data`` (``learn.services.practice.PracticeView.data``); a tap on it calls
    ``on_tap`` before the page runs again (a tap costs one run of the page, like a button)."""
    def tapped() -> None:
        tap = tap_event(st.session_state.get(key))
        if tap is not None:
            on_tap(tap)

    _component(key=key, data=data, on_tap_change=tapped, height="content")
