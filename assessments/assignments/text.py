"""Counting the length of a typed answer the way a teacher counts it.

A Chinese essay's length is its number of characters (字数): each Hanzi,
letter, digit or punctuation mark is one, spaces and line breaks are none.
Python's len() counts code points, which is right for Chinese (a byte count
would triple it); we also normalise to NFC so a letter typed with a combining
accent counts once, and skip whitespace (including the full-width space
U+3000) and invisible control/format characters. static/assignments/
answer-length.js counts the same way for the live counter.
"""

import unicodedata


def count_characters(text: str) -> int:
    return sum(
        1
        for ch in unicodedata.normalize("NFC", text or "")
        if not ch.isspace() and not unicodedata.category(ch).startswith("C")
    )


def normalise_answer(text: str) -> str:
    """The typed answer as stored: NFC, Windows line breaks made plain, outer blank space trimmed."""
    return unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
