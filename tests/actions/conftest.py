"""Fixtures for action tests: `capture_events(ctx)` records what actions publish (capture.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from app.actions import Context
from tests.actions.capture import Captured, capture


@pytest.fixture
def capture_events() -> Callable[[Context], AbstractContextManager[Captured]]:
    return capture
