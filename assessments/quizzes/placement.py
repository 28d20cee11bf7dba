"""Where quizzes are placed: read from module pages' StreamField data.

A module places a quiz through courses.blocks.QuizBlock ({"type": "quiz",
"value": {"quiz": <pk>, "required": …}}). These helpers read the raw stream
data, so finding placements costs no query per block.
"""

from collections.abc import Iterable

from courses.models import ModulePage


def quiz_ids_in(module: ModulePage) -> list[int]:
    """The quiz ids a module places, in page order, without duplicates."""
    ids: list[int] = []
    for block in module.body.raw_data:
        if block.get("type") != "quiz":
            continue
        quiz_id = (block.get("value") or {}).get("quiz")
        if isinstance(quiz_id, int) and quiz_id not in ids:
            ids.append(quiz_id)
    return ids


def module_places_quiz(module: ModulePage, quiz_id: int) -> bool:
    return quiz_id in quiz_ids_in(module)


def placements(modules: Iterable[ModulePage]) -> list[tuple[ModulePage, int]]:
    """(module, quiz id) for every quiz placed in the given modules."""
    return [(module, quiz_id) for module in modules for quiz_id in quiz_ids_in(module)]
