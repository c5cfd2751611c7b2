"""grading/0017: line comments stored under a Mac-zipped file's CP437 reading get its
real name, the one the viewer now lists (probe 54: they were shown nowhere)."""

from __future__ import annotations

import importlib
import unicodedata

import pytest
from django.apps import apps

from grading.models import LineComment

from .factories import grading_world

pytestmark = pytest.mark.django_db

migration = importlib.import_module("grading.migrations.0017_line_comments_on_mac_zipped_files")


def test_comments_under_a_cp437_reading_of_utf8_names_get_the_real_names(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    real = unicodedata.normalize("NFD", "proj/résumé.py")  # as macOS writes it
    garbled = real.encode().decode("cp437")
    assert garbled == "proj/re╠üsume╠ü.py"
    kept = ["app.py", "src/café.py", "文档/说明.md", "Å/Ω.py"]  # real names, left alone
    for number, path in enumerate([garbled, *kept], 1):
        LineComment.objects.create(review=world.review, author=grace, path=path, line=number)

    migration.rename(apps, None)

    paths = list(LineComment.objects.order_by("line").values_list("path", flat=True))
    assert paths == [real, *kept]
