"""Ticket numbers: per day, contiguous, in the order appeals are recorded — across threads and
processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import datetime, timedelta

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Channel, Role
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop, build_context
from cityloop.services.intake import AppealInput, submit_appeal
from cityloop.settings import Settings
from tests.conftest import TZ, WEST

OPERATOR = Actor(None, "话务员", Role.OPERATOR)


def _appeal(n: str) -> AppealInput:
    return AppealInput(
        channel=Channel.HOTLINE,
        content=f"市民来电反映：幸福路{n}号门口路灯不亮，晚上很黑，希望尽快修复。",
        lon=WEST[0],
        lat=WEST[1],
        external_id=f"t-{n}",
    )


# Each test numbers its own day: on PostgreSQL a day's sequence outlives the rows the suite
# empties between tests.
THREADS_DAY = datetime(2031, 1, 6, 10, tzinfo=TZ)
PROCESSES_DAY = datetime(2031, 1, 7, 10, tzinfo=TZ)
REFUSED_DAY = datetime(2031, 1, 8, 10, tzinfo=TZ)
ROLLOVER_DAY = datetime(2031, 1, 9, 10, tzinfo=TZ)


def _number(ticket: str, at: datetime) -> int:
    day, number = ticket.split("-")
    assert day == at.strftime("%Y%m%d")
    return int(number)


def _submit_many(
    ctx: CityLoop, tag: str, count: int, at: datetime
) -> list[tuple[float, float, int]]:
    """(start, end, number) per appeal, submitted one after another."""
    out = []
    for i in range(count):
        begun = time.monotonic()
        ticket = submit_appeal(ctx, _appeal(f"{tag}-{i}"), OPERATOR).ticket_no
        out.append((begun, time.monotonic(), _number(ticket, at)))
    return out


def _in_process(settings: Settings, tag: str, count: int) -> list[tuple[float, int]]:
    # Another worker process: its own context, engine and connections.
    ctx = build_context(settings, clock=ManualClock(PROCESSES_DAY))
    try:
        return [(end, n) for _, end, n in _submit_many(ctx, tag, count, PROCESSES_DAY)]
    finally:
        ctx.engine.dispose()


def _assert_receipt_order(calls: list[tuple[float, float, int]]) -> None:
    # An appeal recorded (answered) before another was even submitted has the smaller number.
    by_end = sorted(calls, key=lambda c: c[1])
    for begun, _, number in calls:
        earlier = [n for _, end, n in by_end if end < begun]
        assert all(n < number for n in earlier), (number, max(earlier))


def test_concurrent_threads_get_contiguous_numbers_in_receipt_order(
    ctx: CityLoop, clock: ManualClock
) -> None:
    clock.set(THREADS_DAY)
    results: dict[int, list[tuple[float, float, int]]] = {}

    def worker(k: int) -> None:
        results[k] = _submit_many(ctx, f"th{k}", 12, THREADS_DAY)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = [c for k in sorted(results) for c in results[k]]
    assert sorted(n for _, _, n in calls) == list(range(1, 73))
    for k, mine in results.items():  # each thread's own appeals count up
        numbers = [n for _, _, n in mine]
        assert numbers == sorted(numbers), k
    _assert_receipt_order(calls)


def test_several_processes_share_one_gapless_sequence(
    ctx: CityLoop, settings: Settings, clock: ManualClock
) -> None:
    clock.set(PROCESSES_DAY)
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(3) as pool:
        pending = [pool.apply_async(_in_process, (settings, f"p{k}", 8)) for k in range(3)]
        here = _submit_many(ctx, "main", 8, PROCESSES_DAY)
        elsewhere = [p.get(timeout=120) for p in pending]
    numbers = [n for _, _, n in here] + [n for part in elsewhere for _, n in part]
    assert sorted(numbers) == list(range(1, 33))
    for part in elsewhere:
        assert [n for _, n in part] == sorted(n for _, n in part)


def test_a_refused_or_repeated_intake_takes_no_number(ctx: CityLoop, clock: ManualClock) -> None:
    clock.set(REFUSED_DAY)
    first = submit_appeal(ctx, _appeal("a"), OPERATOR)
    # The channel's retry of the same appeal is answered with the first; it takes no number.
    again = submit_appeal(ctx, _appeal("a"), OPERATOR)
    assert again.created is False and again.ticket_no == first.ticket_no
    second = submit_appeal(ctx, _appeal("b"), OPERATOR)
    assert [_number(first.ticket_no, REFUSED_DAY), _number(second.ticket_no, REFUSED_DAY)] == [1, 2]


def test_numbering_starts_again_each_day(ctx: CityLoop, clock: ManualClock) -> None:
    clock.set(ROLLOVER_DAY)
    submit_appeal(ctx, _appeal("d1"), OPERATOR)
    submit_appeal(ctx, _appeal("d2"), OPERATOR)
    clock.set(ROLLOVER_DAY + timedelta(days=1))
    nxt = submit_appeal(ctx, _appeal("d3"), OPERATOR).ticket_no
    assert nxt == (ROLLOVER_DAY + timedelta(days=1)).strftime("%Y%m%d") + "-000001"
