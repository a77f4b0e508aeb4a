"""Reading ahead: the next page is read while the caller handles this one, errors arrive in
order, and the reader stops with the caller."""

from __future__ import annotations

import threading
import time
import typing as t

import pytest

from metaads.graph import GraphTransientError
from metaads.graph.paging import read_ahead


class Source:
    """Items on demand, noting how many were asked for and whether it was closed."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count = count
        self.fail_at = fail_at
        self.pulled = 0
        self.closed = False
        self.pulling = threading.Event()  # set each time an item is asked for

    def __iter__(self) -> t.Iterator[int]:
        try:
            for n in range(self.count):
                self.pulled += 1
                self.pulling.set()
                if n == self.fail_at:
                    raise GraphTransientError("the page after the last good one failed")
                yield n
        finally:
            self.closed = True


def reader_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "graph-read-ahead"]


def wait_for(predicate: t.Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_items_arrive_in_order_and_the_reader_ends() -> None:
    source = Source(7)
    assert list(read_ahead(iter(source))) == list(range(7))
    assert source.closed and not reader_threads()


def test_the_next_item_is_read_while_the_caller_holds_this_one() -> None:
    source = Source(5)
    items = read_ahead(iter(source))
    assert next(items) == 0
    assert wait_for(lambda: source.pulled >= 2), "the second item is read without the caller asking"
    items.close()


def test_at_most_depth_items_wait() -> None:
    source = Source(100)
    items = read_ahead(iter(source), depth=2)
    assert next(items) == 0
    # One with the caller, two waiting, one read and waiting for room.
    assert wait_for(lambda: source.pulled == 4)
    time.sleep(0.2)
    assert source.pulled == 4, "the reader waits for the caller instead of reading the whole edge"
    items.close()


def test_an_error_comes_after_the_items_before_it_and_stops_the_reader() -> None:
    source = Source(10, fail_at=3)
    got = []
    with pytest.raises(GraphTransientError, match="after the last good one"):
        for item in read_ahead(iter(source)):
            got.append(item)
    assert got == [0, 1, 2], "every item before the failure reaches the caller first"
    assert source.pulled == 4 and source.closed and not reader_threads()


def test_a_caller_that_stops_stops_the_reader() -> None:
    source = Source(1000)
    with pytest.raises(RuntimeError, match="storing failed"):
        for item in read_ahead(iter(source)):
            if item == 2:
                raise RuntimeError("storing failed")
    assert not reader_threads(), "the reader is gone once the caller has stopped"
    assert source.closed, "the source is closed (its HTTP response released)"
    assert source.pulled <= 5, "nothing read beyond what was already under way"
