"""Every kind of link the attack run of issue 14 (item 8) put in a lesson's text: the lesson checker must refuse
each (tests/test_lesson_links.py) and no renderer may make a link of it (tests/test_browser_links.py)."""

from __future__ import annotations

from learn.lessons import links

#: (what it is, the step's text, [(line within the text, problem)]): every kind of link the attack run used
ATTACKS = [
    ("full reference", "Bấm [vào đây][a] nhé.\n\n[a]: //evil.example",
     [(0, links.REFERENCE), (2, links.DEFINITION)]),
    ("reference to javascript", "Bấm [vào đây][a] nhé.\n\n[a]: javascript:alert(1)",
     [(0, links.REFERENCE), (2, links.DEFINITION)]),
    ("collapsed reference", "Bấm [đây][] nhé.\n\n[đây]: //evil.example", [(0, links.REFERENCE), (2, links.DEFINITION)]),
    ("shortcut reference", "Xem [đây] nhé.\n\n[đây]: //evil.example", [(0, links.BRACKETS), (2, links.DEFINITION)]),
    ("reference with a space", "Bấm [vào đây] [a] nhé.", [(0, links.REFERENCE)]),
    ("definition with a title", "Xem [b].\n\n[b]: <javascript:alert(1)> \"Mở\"", [(0, links.BRACKETS),
                                                                              (2, links.DEFINITION)]),
    ("definition in a list", "- [a]: //evil.example\n\nXem [b][a].", [(0, links.DEFINITION), (2, links.REFERENCE)]),
    ("definition split over lines", "Xem [b].\n\n[b\nc]: //evil.example", [(0, links.BRACKETS), (2, links.BRACKETS),
                                                                          (3, links.DEFINITION)]),
    ("reference image", "Ảnh ![x][c] đây.\n\n[c]: //evil.example/x.png", [(0, links.REFERENCE),
                                                                          (2, links.DEFINITION)]),
    ("inline link", "Bấm [đây](//evil.example) nhé.", [(0, links.LINK)]),
    ("escaped backslash before a link", "Bấm \\\\[đây](//evil.example) nhé.", [(0, links.LINK)]),
    ("autolink", "Mở <http://evil.example> nhé.", [(0, links.AUTOLINK)]),
    ("mail autolink", "Gửi <x@evil.example> nhé.", [(0, links.AUTOLINK)]),
    ("mailto autolink", "Gửi <mailto:x@evil.example> nhé.", [(0, links.AUTOLINK)]),
    ("bare //host", "Mở //evil.example nhé.", [(0, links.LINK)]),
    ("bare http", "Mở HTTPS://evil.example nhé.", [(0, links.LINK)]),
    ("bare www", "Mở www.evil.example nhé.", [(0, links.LINK)]),
    ("bare e-mail address", "Gửi x@evil.example nhé.", [(0, links.LINK)]),
    ("bare mailto", "Gửi mailto:x nhé.", [(0, links.LINK)]),
    # a code block ends at '````' for Markdown but not for the parser: what follows must still be checked
    ("inside a code block", "```text\n````\n[x][a]\n\n[a]: //evil.example\n```", [(2, links.REFERENCE),
                                                                                  (4, links.DEFINITION)]),
]
