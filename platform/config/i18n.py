"""Text a district writes, in the page's language.

Districts write names and introductions in Chinese; some also fill an optional English
twin (a field named like the Chinese one with `_en` added: name / name_en, title / title_en).
English pages show the English text when it is filled, every other page (and an English page
whose twin is empty) the Chinese. One rule, here, so templates and models do not repeat it.
"""

from __future__ import annotations

from django.utils.translation import get_language


def english_page() -> bool:
    return (get_language() or "").split("-")[0] == "en"


def in_current_language(chinese, english=""):
    """`english` on English pages when it is filled, else `chinese`."""
    if english and english_page():
        return english
    return chinese


def localised(obj, field: str):
    """obj.<field> in the current language: obj.<field>_en on English pages when filled.

    `obj` may be a model instance or a dict (the cached branding is one); a missing twin counts as empty.
    """
    def read(name):
        return obj.get(name, "") if isinstance(obj, dict) else getattr(obj, name, "")

    return in_current_language(read(field), read(f"{field}_en"))
