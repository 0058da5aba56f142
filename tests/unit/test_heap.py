"""HeapKeeper: frozen objects are skipped by collections until the full round; every
collection's pause is reported."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from app.observability import metrics
from app.observability.heap import HeapKeeper


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def keeper() -> Iterator[HeapKeeper]:
    heap = HeapKeeper(freeze_seconds=60, full_minutes=30)
    heap.install()
    try:
        yield heap
    finally:
        heap.uninstall()
        heap.release()  # never leave the test process frozen


def test_a_frozen_cycle_waits_for_the_full_round(keeper: HeapKeeper) -> None:
    node = Node()
    ref = weakref.ref(node)
    keeper.step(full=False)
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert ref() is not None  # frozen: no collection walks it
    keeper.step(full=True)
    assert ref() is None  # unfrozen and collected
    assert gc.get_freeze_count() > 0  # what lives now is frozen again


def test_an_object_freed_by_reference_counting_goes_even_when_frozen(keeper: HeapKeeper) -> None:
    class Leaf:
        pass

    leaf = Leaf()
    ref = weakref.ref(leaf)
    keeper.step(full=False)
    del leaf
    assert ref() is None


def test_every_collection_pause_is_reported(keeper: HeapKeeper) -> None:
    metrics.flush()
    before = sum(metrics._gc_pause[2].counts)  # noqa: SLF001
    gc.collect()
    assert sum(metrics._gc_pause[2].counts) == before + 1  # noqa: SLF001
    metrics.flush()
    assert sum(metrics._gc_pause[2].counts) == 0  # noqa: SLF001 - handed to the histogram


async def test_the_start_up_heap_is_frozen_at_once(keeper: HeapKeeper) -> None:
    """No full collection before the first round walks what start-up left alive."""
    keeper.release()
    assert gc.get_freeze_count() == 0
    runner = asyncio.create_task(keeper.run())
    try:
        for _ in range(3):
            await asyncio.sleep(0)
        assert gc.get_freeze_count() > 0
    finally:
        runner.cancel()


async def test_freezing_off_leaves_cpythons_policy() -> None:
    off = HeapKeeper(freeze_seconds=0, full_minutes=30)
    gc.unfreeze()
    await off.run()  # returns at once
    assert gc.get_freeze_count() == 0
