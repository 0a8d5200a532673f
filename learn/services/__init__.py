"""Use cases shared by the app and the CLI. Pages call these and render what they return; nothing here
imports Streamlit.
"""

from __future__ import annotations

from learn.services.handouts import handout
from learn.services.home import LessonCard, lesson_cards
from learn.services.narration import (
    NarrationSummary,
    Spoken,
    done_speech,
    feedback_speech,
    lesson_speech,
    narrated_texts,
    picture_speech,
    prerender,
    question_speech,
    retry_speech,
    speak,
)
from learn.services.people import (
    LEARNER_IDLE,
    MAX_NAME,
    MAX_PIN_TRIES,
    add_learner,
    clean_birth_year,
    clean_name,
    clean_pin,
    hash_pin,
    join,
    learner,
    learners,
    open_village,
    pin_matches,
    residents,
    seed_demo,
    sign_in_resident,
    village,
    villages,
)
from learn.services.picture_passwords import learner_picture
from learn.services.player import (
    PlayerView,
    answer,
    go_to,
    lesson,
    player_view,
    restart,
    step_to,
)
from learn.services.voice import VoiceOutcome, VoiceTurn, act_on, hear, remember

__all__ = [
    "LEARNER_IDLE", "MAX_NAME", "MAX_PIN_TRIES", "LessonCard", "NarrationSummary", "PlayerView", "Spoken",
    "add_learner", "answer",
    "clean_birth_year", "clean_name", "clean_pin", "done_speech", "feedback_speech", "retry_speech", "go_to",
    "hash_pin", "learner",
    "learners", "lesson", "lesson_cards", "lesson_speech", "pin_matches", "picture_speech", "player_view", "prerender",
    "narrated_texts", "question_speech",
    "handout", "join", "open_village", "residents", "restart", "seed_demo", "sign_in_resident", "speak", "village",
    "villages", "VoiceOutcome", "VoiceTurn", "act_on", "hear", "remember", "step_to", "learner_picture",
]
