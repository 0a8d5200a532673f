"""The Vietnamese the authoring rules look for (``learn.lessons.rules``), kept apart like the UI strings so a
reviewer can check it: docs/lesson-format.md lists the same phrases, and a test keeps the two the same."""

from __future__ import annotations

#: How wrong-answer feedback may open (case and a trailing "ạ" do not matter): a clear "not right" first.
WRONG_OPENINGS = ("Chưa đúng", "Không phải", "Chưa phải")

#: Options that test nothing: nobody would really do them, so they only make a question easier.
JOKE_DISTRACTORS = (
    "lắc mạnh điện thoại",
    "lắc điện thoại",
    "đập điện thoại",
    "ném điện thoại",
    "màu của ứng dụng",
    "màu của mã",
    "hát một bài",
)

#: Lines that leave a listener with no way out; say what to do at once instead.
HOPELESS_PHRASES = (
    "chuyển rồi là mất",
    "là mất luôn",
    "không lấy lại được",
    "không thể lấy lại",
    "không đòi lại được",
    "hết cách",
)

#: What an option means when it is a verdict; any other text is an ordinary choice.
VERDICTS = {
    "đúng": "true", "có": "true", "thật": "real",
    "sai": "false", "không": "false", "lừa đảo": "scam",
}

#: Names of the languages espeak-ng switches to, as "tiếng …".
LANGUAGES = {"en": "Anh", "fr": "Pháp", "de": "Đức", "zh": "Trung", "ja": "Nhật", "ko": "Hàn", "es": "Tây Ban Nha"}
