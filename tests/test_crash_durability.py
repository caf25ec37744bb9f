"""Random kill -9 trials in make check's durability group: 50 trials (about
35 s alone; CRASH_TRIALS_SHORT changes it). `make crashtest` runs the same
with CRASH_TRIALS (100) and prints the report (tests/crashtest.py).
Lost messages must be 0; duplicates are reported, not failed: the next
hop may take a message and the delivery agent be killed (with its process
tree) before it reads the 250, which no client can know (RFC 1047). An
agent that did read the 250 notes it in the queue file before it replies."""
import os

import crashtest

TRIALS = int(os.environ.get("CRASH_TRIALS_SHORT", "50"))


def test_random_kills_lose_nothing(tmp_path):
    r = crashtest.run(str(tmp_path), TRIALS)
    assert r["lost"] == [], crashtest.format_report(r)
    assert r["start_failures"] == 0, crashtest.format_report(r)
    assert r["queue_left"] == 0, crashtest.format_report(r)
    assert r["tmp_left"] == 0, crashtest.format_report(r)
    assert r["throttling"] == 0, crashtest.format_report(r)
