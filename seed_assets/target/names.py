"""Matching the simulation's names to an app's: the same words (snake/camel/Pascal case,
singular or plural), ``account``/``member``/``person`` for ``user``, and a small synonym table
per table, column and enum label. Every match that is not the same words is a guess.
"""

from __future__ import annotations

import re

TABLES: dict[str, tuple[str, ...]] = {
    "users": ("account", "member", "person"),
    "profiles": ("member_profile", "user_profile", "account_profile"),
    "profile_media": ("photo", "picture", "image", "media", "profile_photo", "user_photo"),
    "interest_subjects": ("interest", "tag", "hobby"),
    "user_interests": ("account_interest", "member_interest", "profile_interest"),
    "quiz_questions": ("question",),
    "quiz_results": ("quiz_answer", "answer"),
    "likes": ("swipe", "reaction", "vote"),
    "matches": ("connection", "pair"),
    "conversations": ("chat", "thread"),
    "messages": ("chat_message",),
    "feed_seen": ("feed_view", "impression", "post_view"),
    "match_scores": ("recommendation",),
    "trending": ("trend",),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "password_hash": ("encrypted_password", "password_digest", "password"),
    "birthdate": ("birth_date", "date_of_birth", "dob", "birthday"),
    "interested_in": ("seeking", "looking_for", "preference"),
    "intent": ("relationship_goal", "goal", "relationship_intent"),
    "bio": ("about", "about_me", "description"),
    "job_title": ("job", "occupation"),
    "height_cm": ("height",),
    "position": ("sort_order", "order", "index"),
    "url": ("image_url", "photo_url", "src"),
    "liker_id": ("from_user_id", "swiper_id", "actor_id"),
    "likee_id": ("to_user_id", "swipee_id", "target_user_id", "target_id"),
    "action": ("direction", "liked", "is_like", "type"),
    "user_a_id": ("user1_id", "user_one_id", "first_user_id"),
    "user_b_id": ("user2_id", "user_two_id", "second_user_id"),
    "started_by": ("started_by_id", "initiator_id", "created_by_id"),
    "conversation_id": ("thread_id", "chat_id"),
    "sender_id": ("author_id", "from_user_id"),
    "recipient_id": ("receiver_id", "to_user_id"),
    "body": ("content", "text"),
    "kind": ("type",),
    "created_at": ("inserted_at", "created", "created_on"),
    "subject_id": ("interest_id", "tag_id"),
    "answered_at": ("created_at",),
}
_LABELS: dict[str, tuple[str, ...]] = {
    "male": ("m", "man", "men"),
    "female": ("f", "woman", "women"),
    "nonbinary": ("non_binary", "other", "nb"),
    "everyone": ("any", "all", "both"),
    "like": ("right", "yes", "true"),
    "pass": ("dislike", "left", "no", "nope", "false"),
    "image": ("photo",),
    "voice": ("audio",),
    "long_term": ("relationship", "serious"),
}
_PEOPLE = re.compile(r"(^|_)(account|member|person)(?=_|$)")


def words(name: str) -> str:
    """``name`` as lower snake case with each word singular: ``userId`` -> ``user_id``,
    ``Swipes`` -> ``swipe``, ``member_profiles`` -> ``member_profile``."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    snake = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", snake).lower()
    parts = [p for p in re.split(r"[^a-z0-9]+", snake) if p]
    return "_".join(_singular(p) for p in parts)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _people(key: str) -> str:
    return _PEOPLE.sub(r"\1user", key)


def score(source: str, target: str, synonyms: dict[str, tuple[str, ...]]) -> float:
    """1 for the same name (case and number aside), less for a guess, 0 for no match."""
    s, t = words(source), words(target)
    if s == t:
        return 1.0
    if _people(s) == _people(t):
        return 0.9
    if t in synonyms.get(source, ()) or _people(t) in synonyms.get(source, ()):
        return 0.8
    return 0.0


def label(value: str, labels: tuple[str, ...]) -> tuple[str | None, bool]:
    """The enum label for ``value`` and whether it is a guess (a synonym)."""
    norm = words(value).replace("_", "")
    for label in labels:
        if words(label).replace("_", "") == norm:
            return label, False
    for label in labels:
        if words(label) in _LABELS.get(value.lower(), ()):
            return label, True
    return None, False
