"""Matching spoken answers, table-driven on realistic transcripts (as Vosk writes them: lower case, no commas)."""

from __future__ import annotations

import pytest

from learn.voice.answers import interpret, match_answer, match_command

YES_NO = ["Có", "Không"]
TRUE_FALSE = ["Đúng", "Sai"]
SCAM_REAL = ["Lừa đảo", "Thật"]
BUTTONS = ["Nút nguồn", "Nút âm lượng"]
FOUR = ["Mã khách hàng", "Số điện thoại", "Tên ngân hàng", "Địa chỉ nhà"]
OTP = ["Đọc mã cho người gọi", "Không cho ai biết mã", "Gửi mã qua Zalo"]

CASES = [
    # numbers, ordinals, letters
    ("hai", BUTTONS, 1), ("một", BUTTONS, 0), ("số hai", BUTTONS, 1), ("câu hai", BUTTONS, 1),
    ("đáp án hai", BUTTONS, 1), ("thứ hai", BUTTONS, 1), ("thứ nhất", BUTTONS, 0), ("câu thứ nhất", BUTTONS, 0),
    ("phương án một", BUTTONS, 0), ("tôi chọn hai", BUTTONS, 1), ("cháu chọn số một", BUTTONS, 0),
    ("dạ hai ạ", BUTTONS, 1), ("ờ hai", BUTTONS, 1), ("[unk] hai", BUTTONS, 1), ("hai [unk] [unk]", BUTTONS, 1),
    ("2", BUTTONS, 1), ("bốn", FOUR, 3), ("thứ tư", FOUR, 3), ("ba", FOUR, 2), ("đáp án ba", FOUR, 2),
    ("a", FOUR, 0), ("bê", FOUR, 1), ("xê", FOUR, 2), ("dê", FOUR, 3), ("câu bê", FOUR, 1),
    ("hai hai", BUTTONS, 1),
    # the options' own words
    ("nút nguồn", BUTTONS, 0), ("nguồn", BUTTONS, 0), ("âm lượng", BUTTONS, 1), ("nút âm lượng ạ", BUTTONS, 1),
    ("mã khách hàng", FOUR, 0), ("khách hàng", FOUR, 0), ("số điện thoại", FOUR, 1), ("điện thoại", FOUR, 1),
    ("tên ngân hàng", FOUR, 2), ("địa chỉ", FOUR, 3), ("không cho ai biết mã", OTP, 1),
    ("không cho ai biết", OTP, 1), ("gửi qua zalo", OTP, 2), ("đọc mã cho người gọi", OTP, 0),
    # yes / no with negation and politeness
    ("có", YES_NO, 0), ("dạ có", YES_NO, 0), ("có ạ", YES_NO, 0), ("vâng", YES_NO, 0), ("dạ vâng ạ", YES_NO, 0),
    ("không", YES_NO, 1), ("dạ không", YES_NO, 1), ("không có", YES_NO, 1), ("không ạ", YES_NO, 1),
    ("phải", YES_NO, 0), ("không phải", YES_NO, 1),
    # true / false
    ("đúng", TRUE_FALSE, 0), ("đúng rồi", TRUE_FALSE, 0), ("sai", TRUE_FALSE, 1), ("sai rồi", TRUE_FALSE, 1),
    ("không đúng", TRUE_FALSE, 1), ("không sai", TRUE_FALSE, 0), ("chính xác", TRUE_FALSE, 0),
    ("câu này sai", TRUE_FALSE, 1), ("một", TRUE_FALSE, 0),
    # scam or real
    ("lừa đảo", SCAM_REAL, 0), ("đây là lừa đảo", SCAM_REAL, 0), ("lừa đảo đấy", SCAM_REAL, 0),
    ("giả mạo", SCAM_REAL, 0), ("thật", SCAM_REAL, 1), ("tin thật", SCAM_REAL, 1),
    ("không phải lừa đảo", SCAM_REAL, 1), ("không phải là lừa đảo", SCAM_REAL, 1), ("không lừa đảo", SCAM_REAL, 1),
    ("không phải thật", SCAM_REAL, 0), ("chắc là lừa đảo", SCAM_REAL, 0), ("hai", SCAM_REAL, 1),
    # not sure: None, so the learner is asked to tap
    ("", BUTTONS, None), ("[unk]", BUTTONS, None), ("[unk] [unk]", BUTTONS, None), ("ờ", BUTTONS, None),
    ("dạ", YES_NO, None), ("nút", BUTTONS, None), ("một hai", BUTTONS, None), ("hai à không một", BUTTONS, None),
    ("ba", BUTTONS, None), ("năm", FOUR, None), ("không phải câu hai", BUTTONS, None),
    ("nguồn hay âm lượng", BUTTONS, None), ("có không", YES_NO, None), ("đúng không", TRUE_FALSE, None),
    ("đúng", SCAM_REAL, None), ("không phải", SCAM_REAL, None), ("lừa đảo hay thật", SCAM_REAL, None),
    ("hôm nay trời đẹp", FOUR, None), ("nghe lại", BUTTONS, None), ("tiếp", YES_NO, None),
]


@pytest.mark.parametrize(("transcript", "choices", "expected"), CASES)
def test_match_answer(transcript: str, choices: list[str], expected: int | None) -> None:
    assert match_answer(transcript, choices) == expected


def test_there_are_enough_realistic_cases() -> None:
    assert len(CASES) >= 60


def test_authored_spoken_forms_only_add_to_the_option_texts() -> None:
    choices = ["Gọi 156", "Gọi người lạ"]
    forms = [["một năm sáu", "báo cáo"], ["người lạ"]]
    assert match_answer("một năm sáu", choices, forms) == 0
    assert match_answer("báo cáo", choices, forms) == 0
    assert match_answer("báo cáo", choices) is None  # without the authored form nobody could know
    assert match_answer("người lạ", choices, forms) == 1 and match_answer("người lạ", choices) == 1


def test_text_with_combining_marks_or_capitals_matches() -> None:
    assert match_answer("Lu\u031b\u0300a đa\u0309o", SCAM_REAL) == 0
    assert match_answer("HAI", BUTTONS) == 1


@pytest.mark.parametrize(("transcript", "command"), [
    ("nghe lại", "repeat"), ("nghe lại đi", "repeat"), ("đọc lại", "repeat"), ("dạ nói lại ạ", "repeat"),
    ("lặp lại", "repeat"), ("tiếp", "next"), ("tiếp theo", "next"), ("tiếp tục", "next"), ("đi tiếp", "next"),
    ("[unk] tiếp", "next"), ("hai", None), ("", None), ("có", None),
])
def test_voice_commands_work_on_every_screen(transcript: str, command: str | None) -> None:
    assert match_command(transcript) == command


def test_an_answer_wins_over_a_command_only_when_it_is_clear() -> None:
    assert interpret("nghe lại", BUTTONS).action == "repeat"
    assert interpret("tiếp", BUTTONS).action == "next"
    assert interpret("hai tiếp", BUTTONS) == interpret("hai", BUTTONS)
    assert interpret("hai", BUTTONS).index == 1
