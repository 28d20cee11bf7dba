"""Catalogue search that works for Chinese on SQLite and PostgreSQL alike.

Neither SQLite's FTS5 default tokeniser nor PostgreSQL's `simple` text-search
configuration splits Chinese into words, so Wagtail's database search backend
finds 师德师风建设 only when the query is the whole run of characters. Instead,
each course keeps a denormalised plain-text copy of itself and its live
modules (`CoursePage.search_text`: title, summary, description, module titles,
introductions and lesson text), and a query matches when every
whitespace-separated term is a substring of it (`icontains`: LIKE on SQLite,
UPPER(...) LIKE on PostgreSQL). That needs no tokeniser, no extension and no
word list, finds any fragment (师德, 课标, 信息技术), and stays fast for a
district's catalogue (hundreds to a few thousand courses: a scan of short text
rows, measured in bench/). Should a site outgrow it, a pg_trgm GIN index on
search_text serves the same LIKE queries on PostgreSQL without code changes.
"""

from django.db.models import Q, QuerySet
from django.utils.html import strip_tags

MAX_TERMS = 8  # more terms than this is not a search but a paste


def query_terms(query: str) -> list[str]:
    # str.split() also splits on the full-width space (U+3000) of Chinese input methods.
    return [term for term in (query or "").split() if term][:MAX_TERMS]


def search_courses(courses: QuerySet, query: str) -> QuerySet:
    condition = Q()
    for term in query_terms(query):
        condition &= Q(search_text__icontains=term)
    return courses.filter(condition)


def _stream_text(raw_blocks) -> list[str]:
    """The human-readable text of a module body, from its raw JSON (no chooser lookups)."""
    parts = []
    for block in raw_blocks or []:
        value = block.get("value")
        if block.get("type") == "paragraph" and isinstance(value, str):
            parts.append(strip_tags(value))
        elif isinstance(value, dict):
            parts.extend(str(value[k]) for k in ("caption", "alt_text", "title", "description") if value.get(k))
    return parts


def course_search_text(course) -> str:
    parts = [course.title, course.summary or "", strip_tags(course.description or "")]
    for title, introduction, body in course.live_modules().values_list("title", "introduction", "body"):
        parts.extend([title, introduction or ""])
        parts.extend(_stream_text(_raw_stream(body)))
    return "\n".join(p.strip() for p in parts if p and p.strip())


def _raw_stream(body):
    # values_list on a StreamField gives a StreamValue; its raw data avoids
    # resolving image/snippet choosers just to read text.
    raw = getattr(body, "raw_data", body)
    return list(raw) if raw else []


def refresh_course_search_text(course_id: int) -> None:
    """Recompute a course's search text after one of its modules changed (published, unpublished, moved, deleted)."""
    from .models import CoursePage

    course = CoursePage.objects.filter(pk=course_id).first()
    if course is not None:
        # update(), not save(): the live row changes without touching revisions.
        CoursePage.objects.filter(pk=course_id).update(search_text=course_search_text(course))
