"""Coalesced wake-ups: a burst of calls costs a handful of messages, and the last call is always
followed by a message (so no committed submission is left without a wake-up)."""

from __future__ import annotations

import threading

from server.core.ground.broker import WakeCoalescer
from tests.live.harness import wait_until


def test_a_burst_of_wake_ups_sends_few_messages_and_one_after_the_last_call() -> None:
    calls = [0]
    seen_at_send: list[int] = []
    lock = threading.Lock()

    def send(task: str) -> None:
        assert task == "submissions.process_pending"
        with lock:
            seen_at_send.append(calls[0])

    wakes = WakeCoalescer(send, interval=0.05)

    def burst() -> None:
        for _ in range(500):
            with lock:
                calls[0] += 1
            wakes.wake("submissions.process_pending")

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(lambda: seen_at_send and seen_at_send[-1] == 2000, 10, "a wake-up after the last call", interval=0.02)
    assert len(seen_at_send) < 200  # 2,000 calls, a handful of messages


def test_a_failing_send_does_not_stop_later_wake_ups() -> None:
    sent: list[str] = []

    def flaky(task: str) -> None:
        if not sent:
            sent.append("failed")
            raise ConnectionError("broker away")
        sent.append(task)

    wakes = WakeCoalescer(flaky, interval=0.01)
    wakes.wake("a")
    wait_until(lambda: sent == ["failed"], 10, "the first (failing) send")
    wakes.wake("b")
    wait_until(lambda: "b" in sent, 10, "the next wake-up after a failure")
