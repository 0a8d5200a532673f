"""The lessons a server offers: loaded once, looked up by id, grouped by topic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from learn.lessons.model import TOPICS, Lesson
from learn.lessons.parse import Problem
from learn.lessons.validate import check_tree


@dataclass(frozen=True)
class Catalog:
    """Valid lessons keyed by id; lessons with problems are left out and their problems kept."""

    root: Path
    lessons: dict[str, Lesson]
    problems: tuple[Problem, ...] = ()

    @classmethod
    def load(cls, root: Path) -> Catalog:
        """Read every lesson under ``root``; a broken lesson is skipped, never fatal."""
        lessons, problems = check_tree(root)
        broken = {p.path for p in problems}
        usable = {lesson.id: lesson for lesson in lessons if lesson.source not in broken}
        return cls(root, usable, tuple(problems))

    def get(self, lesson_id: str) -> Lesson | None:
        """The lesson with this id, or None."""
        return self.lessons.get(lesson_id)

    def by_topic(self) -> list[tuple[str, list[Lesson]]]:
        """Topics in teaching order, each with its lessons in file order; empty topics left out."""
        groups = []
        for topic in TOPICS:
            items = sorted((x for x in self.lessons.values() if x.topic == topic), key=lambda x: str(x.source))
            if items:
                groups.append((topic, items))
        return groups

    def picture_path(self, lesson: Lesson, relative: str) -> Path | None:
        """The picture file of a step, only if it exists inside the content folder."""
        if lesson.source is None:
            return None
        target = (lesson.source.parent / relative).resolve()
        return target if target.is_relative_to(self.root.resolve()) and target.is_file() else None
