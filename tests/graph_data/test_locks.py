"""The readers-writer lock: readers share, a writer excludes, the writer may re-enter."""

from __future__ import annotations

import threading

from graph_data.locks import RWLock


def test_readers_share_and_a_writer_waits_for_them() -> None:
    lock = RWLock()
    inside = threading.Barrier(3)
    release = threading.Event()
    order: list[str] = []

    def reader() -> None:
        with lock.reading():
            inside.wait()
            release.wait()
            order.append("read")

    def writer() -> None:
        with lock.writing():
            order.append("write")

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    inside.wait()  # both readers hold the lock at once
    writing = threading.Thread(target=writer)
    writing.start()
    writing.join(timeout=0.2)
    assert writing.is_alive()  # the writer waits while readers hold the lock
    release.set()
    for thread in [*readers, writing]:
        thread.join(timeout=5)
    assert order == ["read", "read", "write"]


def test_a_writer_excludes_readers_and_may_re_enter_and_read() -> None:
    lock = RWLock()
    seen: list[str] = []
    with lock.writing():
        with lock.writing(), lock.reading():  # re-entry by the same thread
            seen.append("nested")
        reader = threading.Thread(target=lambda: (lock.reading().__enter__(), seen.append("r")))
        reader.start()
        reader.join(timeout=0.2)
        assert reader.is_alive()
        seen.append("writer done")
    reader.join(timeout=5)
    assert seen == ["nested", "writer done", "r"]


def test_try_read_never_waits_and_refuses_while_a_writer_holds_or_awaits() -> None:
    lock = RWLock()
    entered, leave = threading.Event(), threading.Event()

    def writer() -> None:
        with lock.writing():
            entered.set()
            leave.wait()

    assert lock.try_read()  # free: reading starts at once
    writing = threading.Thread(target=writer)
    writing.start()
    assert not entered.wait(timeout=0.2)  # the writer waits for our reader...
    assert not lock.try_read()  # ...and a new reader does not jump ahead of it
    lock.release_read()
    assert entered.wait(timeout=5)  # the last reader leaving let the writer in
    assert not lock.try_read()  # while it writes, no reader starts
    leave.set()
    writing.join(timeout=5)
    assert lock.try_read()
    lock.release_read()


def test_try_read_shares_with_other_readers() -> None:
    lock = RWLock()
    with lock.reading():
        assert lock.try_read()
        lock.release_read()
    with lock.writing():  # nobody reads any more, so a writer gets in
        pass


def test_readers_go_on_during_a_writers_turn_and_writers_take_turns() -> None:
    lock = RWLock()
    in_turn, leave = threading.Event(), threading.Event()
    order: list[str] = []

    def first_writer() -> None:
        with lock.turn():
            in_turn.set()
            leave.wait()  # a writer's I/O: fsync, a commit
            order.append("first")

    def second_writer() -> None:
        with lock.turn():
            order.append("second")

    first = threading.Thread(target=first_writer)
    first.start()
    in_turn.wait()
    with lock.reading():  # not stopped by the turn
        order.append("read")
    assert lock.try_read()
    lock.release_read()
    second = threading.Thread(target=second_writer)
    second.start()
    second.join(timeout=0.2)
    assert second.is_alive()  # writers take turns
    leave.set()
    for thread in (first, second):
        thread.join(timeout=5)
    assert order == ["read", "first", "second"]


def test_writing_is_part_of_a_turn() -> None:
    lock = RWLock()
    inside, leave = threading.Event(), threading.Event()

    def applier() -> None:
        with lock.writing():  # takes the turn when the caller does not hold it
            inside.set()
            leave.wait()

    thread = threading.Thread(target=applier)
    thread.start()
    inside.wait()
    other = threading.Thread(target=lambda: lock.turn().__enter__())
    other.start()
    other.join(timeout=0.2)
    assert other.is_alive()  # the turn is held by the one applying
    leave.set()
    thread.join(timeout=5)
    other.join(timeout=5)
    assert not other.is_alive()
