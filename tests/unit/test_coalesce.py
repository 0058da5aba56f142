"""Coalesced: callers who arrive together share one write; each returns, once its key is
written, whether the write changed it, or gets that write's error. Gathered: the same for a
read, each caller getting its own key's value."""

from __future__ import annotations

import asyncio

import pytest

from app.actions.coalesce import Coalesced, Gathered


async def test_callers_in_the_same_turn_share_one_write() -> None:
    writes: list[list[int]] = []

    async def write(keys: list[int]) -> set[int]:
        writes.append(keys)
        return {k for k in keys if k != 2}  # 2 was already so: not changed

    batch: Coalesced[int] = Coalesced(write)
    changed = await asyncio.gather(*(batch.add(k) for k in (3, 1, 2, 1)))
    assert writes == [[3, 1, 2]]  # in arrival order, each key once
    assert changed == [True, True, False, True]  # each caller learns about its own key
    assert batch.calls == 1


async def test_keys_added_during_a_write_go_in_the_next_one() -> None:
    writes: list[list[int]] = []
    release = asyncio.Event()

    async def write(keys: list[int]) -> list[int]:
        writes.append(keys)
        await release.wait()
        return keys

    batch: Coalesced[int] = Coalesced(write)
    first = asyncio.create_task(batch.add(1))
    await asyncio.sleep(0.01)
    assert writes == [[1]]  # the first write runs
    later = [asyncio.create_task(batch.add(k)) for k in (2, 3)]
    await asyncio.sleep(0.01)
    assert not first.done() and writes == [[1]]  # 2 and 3 wait for the write in progress
    release.set()
    await asyncio.gather(first, *later)
    assert writes == [[1], [2, 3]]


async def test_a_failed_write_is_every_callers_error_and_the_next_round_starts_clean() -> None:
    attempts = 0

    async def write(keys: list[int]) -> list[int]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise OSError("database lost")
        return keys

    batch: Coalesced[int] = Coalesced(write)
    results = await asyncio.gather(batch.add(1), batch.add(2), return_exceptions=True)
    assert [type(r) for r in results] == [OSError, OSError]
    await batch.add(3)  # the next round writes
    assert attempts == 2


async def test_a_caller_that_leaves_does_not_cancel_the_write_for_the_others() -> None:
    written: list[int] = []
    release = asyncio.Event()

    async def write(keys: list[int]) -> list[int]:
        await release.wait()
        written.extend(keys)
        return keys

    batch: Coalesced[int] = Coalesced(write)
    leaving = asyncio.create_task(batch.add(1))
    staying = asyncio.create_task(batch.add(2))
    await asyncio.sleep(0.01)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    release.set()
    await staying
    assert written == [1, 2]


async def test_large_rounds_are_written_in_parts_of_at_most_most_keys() -> None:
    writes: list[list[int]] = []

    async def write(keys: list[int]) -> list[int]:
        writes.append(keys)
        return keys

    batch: Coalesced[int] = Coalesced(write, most=2)
    assert all(await asyncio.gather(*(batch.add(k) for k in range(5))))
    assert writes == [[0, 1], [2, 3], [4]]


async def test_gathered_reads_give_each_caller_a_value_read_after_it_asked() -> None:
    """A read: each caller gets its own key's value; one who asks while a read runs gets
    the next read's value, never the one that started before it asked."""
    state = {"slot": "free"}
    reads: list[list[str]] = []
    release = asyncio.Event()

    async def read(keys: list[str]) -> dict[str, str]:
        seen = dict(state)  # what the read sees is fixed when it starts
        reads.append(keys)
        await release.wait()
        return {k: f"{k}:{seen['slot']}" for k in keys if k != "nobody"}

    gathered: Gathered[str, str] = Gathered(read)
    early = [asyncio.create_task(gathered.get(k)) for k in ("a", "b", "nobody")]
    await asyncio.sleep(0.01)
    state["slot"] = "taken"  # changes while the first read runs
    late = asyncio.create_task(gathered.get("c"))
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*early) == ["a:free", "b:free", None]
    assert await late == "c:taken"
    assert reads == [["a", "b", "nobody"], ["c"]] and gathered.calls == 2
