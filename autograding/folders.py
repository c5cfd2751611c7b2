"""A folder of tests (e.g. of the course bundle) saved as a project's test suite.

Used by ``manage.py autograde_suite`` and by the demo data: the folder is zipped
(without caches and hidden files) and saved with the checks of the back office's
upload. A ``requirements.txt`` in it fills the suite's requirements; a ``groups.yaml``
in it defines the groups of tests, their points, who sees them and the rubric
criterion each pre-fills, e.g.::

    - name: Models and admin
      tests: test_models.py::*      # or a list of patterns
      points: 4
      students_see: visible         # or hidden
      criterion: Functionality      # a title of the project's rubric (optional)
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from coursesite.yamlsafe import YamlShapeError, check_shape, load
from grading.models import Criterion
from projects.models import ProjectAssignment

from . import environments, services
from .models import TestGroup, TestSuite, Visibility

GROUPS_FILE = "groups.yaml"
MAX_NESTING = 10  # a list of groups, each with a list of test patterns: 3 levels
GROUP_KEYS = {"name", "tests", "points", "students_see", "criterion"}


@dataclass(frozen=True)
class GroupSpec:
    name: str
    patterns: str
    points: Decimal
    visibility: str
    criterion: str


def zip_folder(folder: Path) -> bytes:
    """Zip FOLDER's files, without hidden files, caches and the groups file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
                continue
            if relative.as_posix() == GROUPS_FILE:
                continue  # configuration of the suite, not one of its files
            if path.is_file() and not path.is_symlink():
                archive.write(path, relative.as_posix())
    return buffer.getvalue()


def read_groups(folder: Path) -> list[GroupSpec] | None:
    """Return the groups of FOLDER's groups.yaml (None without one); ValidationError if bad."""
    path = folder / GROUPS_FILE
    if not path.is_file():
        return None
    try:
        source = path.read_text(encoding="utf-8")
        check_shape(source, max_nesting=MAX_NESTING)
        data, _ = load(source)  # a key given twice: YamlShapeError
    except YamlShapeError as exc:
        raise ValidationError(f"{GROUPS_FILE}, line {exc.line + 1}: {exc.problem}.") from exc
    # ValueError and RecursionError: what PyYAML lets through ("0x_" read as a number).
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValidationError(f"{GROUPS_FILE} is not valid YAML: {exc}"[:300]) from exc
    if not isinstance(data, list) or not data:
        raise ValidationError(f"{GROUPS_FILE} must be a list of groups (- name: ...).")
    groups, errors = [], []
    for number, item in enumerate(data, start=1):
        where = f"{GROUPS_FILE}, group {number}"
        if not isinstance(item, dict):
            errors.append(f"{where}: expected name, tests, points, students_see, criterion.")
            continue
        unknown = sorted(set(map(str, item)) - GROUP_KEYS)
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(unknown)}.")
        name = str(item.get("name") or "").strip()
        if not name or len(name) > 120:
            errors.append(f"{where}: a name of 1 to 120 characters is needed.")
        tests = item.get("tests", "*")
        patterns = "\n".join(map(str, tests)) if isinstance(tests, list) else str(tests)
        try:
            points = Decimal(str(item.get("points", 1)))
        except InvalidOperation:
            points = Decimal(-1)
        # Stored with two decimals: 9999.999 passed the bound and overflowed the column.
        if (
            not points.is_finite()
            or not 0 <= points < 10_000
            or points.quantize(Decimal("0.01")) >= 10_000
        ):
            errors.append(f"{where}: points must be a number from 0 to 9999.")
        elif points != points.quantize(Decimal("0.01")):
            errors.append(f"{where}: points have at most two decimals, not {points}.")
        visibility = str(item.get("students_see", Visibility.VISIBLE))
        if visibility not in Visibility.values:
            errors.append(f"{where}: students_see must be visible or hidden, not {visibility}.")
        criterion = str(item.get("criterion") or "").strip()
        groups.append(GroupSpec(name, patterns.strip() or "*", points, visibility, criterion))
    if errors:
        raise ValidationError(errors)
    return groups


def _criteria(assignment: ProjectAssignment, specs: list[GroupSpec]) -> dict[str, Criterion]:
    """The rubric criteria SPECS name, by title; ValidationError for a title not found."""
    criteria = {c.title: c for c in Criterion.objects.filter(rubric__assignment=assignment)}
    missing = sorted({s.criterion for s in specs if s.criterion and s.criterion not in criteria})
    if missing:
        known = ", ".join(sorted(criteria)) or "none: the project has no rubric yet"
        raise ValidationError(
            f"{GROUPS_FILE} names rubric criteria the project does not have: "
            f"{', '.join(missing)} (its criteria: {known})."
        )
    return criteria


def _set_groups(suite: TestSuite, specs: list[GroupSpec], criteria: dict[str, Criterion]) -> None:
    """Make SUITE's groups those of SPECS, matched by name.

    Groups are updated in place, not replaced: the results of earlier runs keep their
    group (a deleted group would leave them hidden and worth nothing).
    """
    existing = {group.name: group for group in suite.groups.all()}
    for order, spec in enumerate(specs):
        group = existing.pop(spec.name, None) or TestGroup(suite=suite, name=spec.name)
        group.order = order
        group.patterns = spec.patterns
        group.points = spec.points
        group.visibility = spec.visibility
        group.criterion = criteria.get(spec.criterion)
        group.save()
    TestGroup.objects.filter(pk__in=[g.pk for g in existing.values()]).delete()


def suite_from_folder(
    *, assignment: ProjectAssignment, folder: Path, build: bool = False
) -> tuple[TestSuite, bool]:
    """Save FOLDER as ASSIGNMENT's test suite; return (suite, created).

    The environment is built in the background (a queued task), or here with BUILD.
    Raise ValidationError, before writing anything, for a folder that cannot be a suite.
    """
    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder.")
    upload = ContentFile(zip_folder(folder), name=f"{folder.name}.zip")
    sha256, requirements = services.suite_check_archive(upload)
    environments.clean_requirements(requirements)
    specs = read_groups(folder)
    criteria = _criteria(assignment, specs) if specs is not None else {}
    with transaction.atomic():
        suite, created = TestSuite.objects.get_or_create(assignment=assignment)
        suite.archive.save(upload.name, upload, save=False)
        suite.archive_name = upload.name
        suite.sha256 = sha256
        if requirements.strip():
            suite.requirements = requirements
        suite.save()
        if specs is not None:
            _set_groups(suite, specs, criteria)
        elif created:
            TestGroup.objects.create(suite=suite, name="All tests", patterns="*")
        services.suite_prepare(suite)
    if build:
        suite = services.suite_build(suite.pk)
    return suite, created
