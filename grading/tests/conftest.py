from __future__ import annotations

import pytest

from .factories import grading_world


@pytest.fixture
def world(alice, bob, grace):
    """The grading scene: alice teaches, grace grades, bob and dave's group submitted."""
    return grading_world(alice=alice, bob=bob, grace=grace)
