"""Names that only look Vietnamese are refused, naming the character (issue 14, item 9); real names still pass.

Residents', villages' and communes' names all go through ``clean_name``. A name that looks like another one but
is spelled with other code points (a Cyrillic letter, an invisible filler) would show two "Bà Lan" on the list,
or a name with nothing visible in it.
"""

from __future__ import annotations

import pytest

from learn.errors import InvalidInput
from learn.services import clean_name
from learn.strings_vi import t

#: (kind, name as typed, the character as the message shows it, message key): 15 kinds from the attack run
LOOKALIKES = [
    ("Cyrillic capital letter", "Вà Lan", "В (U+0412)", "learner.name_invalid"),
    ("Cyrillic small letter", "Bà Lаn", "а (U+0430)", "learner.name_invalid"),
    ("Greek letter", "Hοa", "ο (U+03BF)", "learner.name_invalid"),
    ("Icelandic eth for Đ", "Ðinh Y Nhi", "Ð (U+00D0)", "learner.name_invalid"),
    ("Hangul filler alone", "\u3164", "U+3164", "learner.name_hidden"),
    ("Hangul choseong filler", "Lan\u115f", "U+115F", "learner.name_hidden"),
    ("Hangul jungseong filler", "La\u1160n", "U+1160", "learner.name_hidden"),
    ("halfwidth Hangul filler", "\uffa0Lan", "U+FFA0", "learner.name_hidden"),
    ("blank Braille pattern", "Bà\u2800Lan", "U+2800", "learner.name_hidden"),
    ("lone combining mark", "\u0301Lan", "U+0301", "learner.name_hidden"),
    ("second tone mark on a vowel", "Ha\u0300\u0301", "U+0301", "learner.name_hidden"),
    ("fullwidth letters", "Ｌａｎ", "Ｌ (U+FF2C)", "learner.name_invalid"),
    ("mathematical letters", "𝐋𝐚𝐧", "𝐋 (U+1D40B)", "learner.name_invalid"),
    ("zero-width space", "La\u200bn", "U+200B", "learner.name_hidden"),
    ("right-to-left override", "\u202eLan", "U+202E", "learner.name_hidden"),
]


@pytest.mark.parametrize(("kind", "name", "shown", "key"), LOOKALIKES, ids=[x[0] for x in LOOKALIKES])
def test_a_lookalike_name_is_refused_naming_the_character(kind: str, name: str, shown: str, key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        clean_name(name)
    assert (exc.value.key, exc.value.values) == (key, {"char": shown})
    assert shown in t(exc.value.key, **exc.value.values)  # the Vietnamese message names it


@pytest.mark.parametrize("ch", ["\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u2066", "\u061c",
                                "\u180e", "\u17b4", "\u0000", "\u001b"])
def test_other_invisible_characters_are_shown_by_their_code(ch: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        clean_name(f"Bà{ch} Lan")
    assert (exc.value.key, exc.value.values) == ("learner.name_hidden", {"char": f"U+{ord(ch):04X}"})


@pytest.mark.parametrize(("name", "shown"), [("Thôn ５", "５ (U+FF15)"), ("Thôn ٥", "٥ (U+0665)"),
                                             ("Bà Lan, Thôn Một", ","), ("François", "ç (U+00E7)"),
                                             ("Niño", "ñ (U+00F1)"), ("Bà Lan!", "!")])
def test_other_scripts_digits_and_marks_are_refused(name: str, shown: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        clean_name(name)
    assert exc.value.values == {"char": shown}


REAL_NAMES = ["Bà Lò Thị Xuân", "Ông Vàng A Sử", "Giàng A Pó", "Hà Thị Nguyệt", "Đinh Y Nhi", "H'Hen Niê",
              "Ksor H'Luân", "Nguyễn Văn A", "Thôn 5", "Bản Nà Hẩu", "Y Jút Hwing", "Xã Ea Wer", "Bản Phìn Hồ",
              "Zơ Râm Thị Quý", "Thôn Đông (cũ)", "Tổ dân phố 3", "Hoàng Thị Hương-Giang", "Bà Út. Nhà bên",
              "ĐOÀN THỊ ỨNG", "Ông Ưng Ỷ Ơn"]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_vietnamese_and_minority_names_pass(name: str) -> None:
    assert clean_name(name) == name


#: Every vowel with each tone (level, grave, acute, hook, tilde, dot below), written out by hand, and đ.
ALPHABET = ("aàáảãạ ăằắẳẵặ âầấẩẫậ eèéẻẽẹ êềếểễệ iìíỉĩị oòóỏõọ ôồốổỗộ ơờớởỡợ uùúủũụ ưừứửữự yỳýỷỹỵ "
            "bcdđfghjklmnpqrstvwxz")


@pytest.mark.parametrize("word", ALPHABET.split())
def test_every_letter_of_the_vietnamese_alphabet_passes_small_and_capital(word: str) -> None:
    assert clean_name(word) == word and clean_name(word.upper()) == word.upper()


@pytest.mark.parametrize(("typed", "stored"), [
    ("H\u2019Hen Ni\u00ea", "H'Hen Niê"),  # a phone's curly apostrophe
    ("Ksor H\u02bcLuân", "Ksor H'Luân"),
    ("Nguye\u0302\u0303n  Va\u0306n\u00a0A", "Nguyễn Văn A"),  # combining marks and a no-break space, tidied
])
def test_names_typed_another_way_are_stored_in_one_form(typed: str, stored: str) -> None:
    assert clean_name(typed) == stored
