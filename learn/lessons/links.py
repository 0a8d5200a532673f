"""Lesson text never becomes a link: the rule ``content check`` applies, and the escaping the app renders with.

A resident taps whatever looks tappable, and a course about scams must not hand out a link. Markdown makes
links in many ways: ``[text](address)``; ``[text][name]``, ``[text][]`` and ``[name]`` with a definition
``[name]: address`` anywhere in the text; ``<scheme:…>`` and ``<name@host>``; and GitHub's ``www.…``,
``http://…`` and ``name@host.vn`` with no marks at all. The validator refuses every one (with any square bracket,
which is what the reference forms are made of); ``inert`` is the second fence, for text that got past it.
"""

from __future__ import annotations

import re

LINK = ("no links or web addresses in lesson text: a resident could tap one "
        "(write the address in words, or quote it in a question)")
DEFINITION = ("no link definitions ('[name]: address') in lesson text: they make a link a resident could tap "
              "of '[name]' anywhere in the lesson")
REFERENCE = "no reference links ('[text][name]', '[text][]') in lesson text: a resident could tap one"
BRACKETS = ("no square brackets in lesson text: Markdown makes links of them ('[name]'); write a button's name "
            "in bold (**…**) or in quotes")
AUTOLINK = "no autolinks ('<http://…>', '<name@host>') in lesson text: a resident could tap one"

# Each pattern is linear in the line's length (a hostile line may be long).
_RULES = (
    (re.compile(r"\]:"), DEFINITION),
    (re.compile(r"\]\s*\("), LINK),
    (re.compile(r"\]\s*\["), REFERENCE),
    (re.compile(r"[\[\]]"), BRACKETS),
    (re.compile(r"<[^<>\s]*[:@][^<>\s]*>"), AUTOLINK),
    # '//' covers every 'scheme://' and the bare '//host' a browser opens as a web address
    (re.compile(r"//|\bwww\.|\b(?:mailto|xmpp):|[\w.+-]@[\w-]+\.\w", re.I), LINK),
)


def link_problem(line: str) -> str | None:
    """Why this line of lesson text could become a link (the first reason found), or None."""
    for pattern, message in _RULES:
        if pattern.search(line):
            return message
    return None


# A bracket, '<' or '$' (math, which can hold a link too) not already escaped: one preceded by an even number
# of backslashes (none counts).
_MARK = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]<$])")
# What GitHub-flavoured Markdown links with no marks around it: a zero-width space breaks the word.
_BARE = re.compile(r"(?<=htt)(?=ps?:)|(?<=ww)(?=w\.)|(?<=@)(?!\u200b)|(?<=mailt)(?=o:)|(?<=xmp)(?=p:)", re.I)


def inert(markdown: str) -> str:
    """Lesson Markdown that renders the same, except that nothing in it can become a link or an image.

    Square brackets, '<' and '$' are backslash-escaped (CommonMark shows an escaped one as itself), so no link,
    reference, definition, image, autolink or formula can form; web addresses and e-mail addresses, which GitHub's
    Markdown links by themselves, get a zero-width space. Text the validator accepts looks unchanged: an escaped
    '<' or '$' shows as itself and the space is invisible.
    """
    return _BARE.sub("\u200b", _MARK.sub(lambda m: f"{m[1]}\\{m[2]}", markdown))
