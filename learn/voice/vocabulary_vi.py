"""The Vietnamese a learner uses to answer: numbers, letters, yes and no, scam and real, commands, fillers.

Language data for ``learn.voice.answers`` (which holds only the rules), kept apart like the UI strings so a
reviewer can check it and another language can be added beside it.
"""

from __future__ import annotations

from learn.voice import Command

# Words a learner adds around an answer: politeness, fillers, "I choose", pointing words.
IGNORED = set(
    "dạ ạ à ờ ơ ừm hử nhé nhá nha ấy đấy đây đó này kia là thì thôi rồi mà đi với cho tôi em cháu con bác "
    "mình chọn cái ý câu số đáp án phương lựa thứ nút chắc lẽ".split()
) | {"[unk]"}
# Kept even though listed above when they carry the answer itself.
NUMBERS = {"một": 1, "nhất": 1, "hai": 2, "nhì": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "sáu": 6,
           "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6}
LETTERS = {"a": 1, "bê": 2, "bờ": 2, "b": 2, "xê": 3, "cờ": 3, "c": 3, "dê": 4, "đê": 4, "d": 4}
NEGATIONS = ("không phải", "chẳng phải", "không", "chẳng", "chả", "chưa")

TRUE, FALSE, SCAM, REAL = "true", "false", "scam", "real"
OPPOSITE = {TRUE: FALSE, FALSE: TRUE, SCAM: REAL, REAL: SCAM}
CONCEPTS = {  # phrase -> what it means as an answer; longer phrases are tried first
    "có": TRUE, "đúng": TRUE, "đúng rồi": TRUE, "phải": TRUE, "vâng": TRUE, "ừ": TRUE, "chính xác": TRUE,
    "sai": FALSE, "sai rồi": FALSE,
    "lừa đảo": SCAM, "lừa": SCAM, "giả": SCAM, "giả mạo": SCAM, "lừa gạt": SCAM,
    "thật": REAL, "thật sự": REAL, "an toàn": REAL, "tin thật": REAL,
}
COMMANDS: dict[str, Command] = {
    "nghe lại": "repeat", "đọc lại": "repeat", "nói lại": "repeat", "lặp lại": "repeat", "nhắc lại": "repeat",
    "tiếp": "next", "tiếp theo": "next", "tiếp tục": "next", "đi tiếp": "next", "bước tiếp": "next",
    "sang bước": "next",
}
#: Added to a question's grammar: how learners point at an option, and the usual short answers.
NUMBER_PREFIXES = ("câu", "số")
SHORT_ANSWERS = ("có", "không", "đúng", "sai", "không phải", "dạ")
