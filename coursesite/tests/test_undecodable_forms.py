"""Which url-encoded bodies ``UndecodableFormMiddleware`` refuses, and the field it names."""

from __future__ import annotations

import pytest

from coursesite.middleware import undecodable_field


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"answer=42&number=2", None),
        (b"answer=caf%C3%A9+cr%c3%a8me", None),  # UTF-8, escaped as browsers send it
        (b"answer=caf\xc3\xa9", None),  # UTF-8 sent raw
        (b"answer=%ff%fe&number=2", "answer"),
        (b"number=2&code=print%28%27%ff%27%29", "code"),
        (b"answer=\xff", "answer"),  # a raw byte, not escaped
        (b"answer=%C3", "answer"),  # half of a character
        (b"an%ffswer=1", "an\ufffdswer"),  # a name that is not UTF-8 is named as it can be
        (b"x+y=%ED%A0%80", "x y"),  # a UTF-16 surrogate encoded as UTF-8
    ],
)
def test_a_field_that_is_not_utf8_is_named(body, named):
    assert undecodable_field(body) == named
