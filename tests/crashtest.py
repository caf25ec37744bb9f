"""crashtest - random kill -9 trials against a running instance (issue 16).

Five SMTP clients submit without pause (each message has its own X-Seq
number; it counts as accepted only when DATA got 250) while deliveries run
to a loopback sink that records every message. Each trial waits a random
moment, then SIGKILLs one random process of the instance (master, smtpd,
qmgr, pickup, smtp, bounce...), or, one trial in five, the whole process
tree; after a kill that took the master the instance is started again at
once with `postern start`, which must succeed. At the end the clients
stop, the queue is flushed and the test waits until every accepted message
has arrived. It reports:

    lost        accepted messages that never arrived (must be 0)
    duplicates  messages that arrived more than once
    drain       seconds from the end of the trials to an empty queue

Run it as `make crashtest` (CRASH_TRIALS, default 100) or
`python3 crashtest.py --trials N [--seed S]`; tests/test_crash_durability.py
runs 50 trials in make check.
"""
import argparse
import collections
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Instance, random_loopback, send_seq, wait_for  # noqa: E402
from sink import Sink  # noqa: E402
from test_qmgr_ctl import ok  # noqa: E402


class Clients:
    """SMTP clients that keep submitting; remember what got a 250."""

    def __init__(self, inst, nthreads=5):
        self.inst = inst
        self.accepted = set()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.seq = 0
        self.threads = [threading.Thread(target=self.worker, daemon=True)
                        for _ in range(nthreads)]

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def worker(self):
        while not self.stop.is_set():
            try:
                with self.inst.smtp(timeout=10) as s:
                    s.ehlo()
                    for _ in range(20):
                        if self.stop.is_set():
                            break
                        seq = self.next_seq()
                        if send_seq(s, seq, b"crash", sender="me@s.test") == 250:
                            with self.lock:
                                self.accepted.add(seq)
            except Exception:
                self.stop.wait(0.05)    # the instance is restarting

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def program(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip() or "?"
    except OSError:
        return "?"


class TimedList(list):
    """The sink's message list, with the arrival time of each message."""

    def __init__(self):
        super().__init__()
        self.times = []

    def append(self, item):
        self.times.append(time.monotonic())
        super().append(item)


def start_now(inst, report):
    """postern start right after a crash: it must succeed at once."""
    t0 = time.monotonic()
    r = inst.postern(["start"], timeout=60)
    if r.returncode != 0:
        report["start_failures"] += 1
        report["errors"].append(r.stderr.decode(errors="replace").strip())
        wait_for(lambda: inst.postern(["start"]).returncode == 0 or inst.running(),
                 60, "a start that works", interval=0.5)
    report["restart_max"] = max(report["restart_max"], time.monotonic() - t0)


def one_trial(inst, rng, report):
    pids = inst.processes()
    master = inst.master_pid()
    if not pids or master is None:
        start_now(inst, report)
        return
    if rng.random() < 0.2:
        report["kills"]["(whole tree)"] += 1
        report["kill_log"].append((time.monotonic(), "(whole tree)"))
        inst.kill9_all()
        start_now(inst, report)
        return
    pid = rng.choice(pids)
    name = "master" if pid == master else program(pid)
    report["kills"][name] += 1
    report["kill_log"].append((time.monotonic(), name))
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if pid == master:
        start_now(inst, report)


def run(base, trials, seed=None, verbose=True):
    seed = seed if seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    addr = random_loopback()
    srv = Sink(host=addr)
    srv.messages = TimedList()
    srv.start()
    report = {"seed": seed, "trials": trials, "kills": collections.Counter(),
              "kill_log": [], "dup_causes": collections.Counter(), "dup_ids": [], "avoidable": [],
              "start_failures": 0, "restart_max": 0.0, "errors": []}
    inst = Instance(base, main_cf_extra={
        "transport_maps": "inline:{ s.test=smtp:[%s]:%d }" % (addr, srv.port),
        "minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
        "queue_run_delay": "1s"})
    try:
        inst.start()
        clients = Clients(inst)
        clients.start()
        wait_for(lambda: len(clients.accepted) >= 20, 60, "first messages")
        t_trials = time.monotonic()
        for _ in range(trials):
            time.sleep(rng.uniform(0.1, 0.6))   # a random moment, not a wait for a condition
            one_trial(inst, rng, report)
        report["trials_time"] = time.monotonic() - t_trials
        clients.finish()
        t0 = time.monotonic()
        if not inst.running():
            start_now(inst, report)
        wait_for(lambda: inst.postern(["flush"]).returncode == 0, 30, "flush", interval=0.5)
        accepted = set(clients.accepted)
        try:
            wait_for(lambda: accepted <= set(srv.header_numbers("X-Seq")), 180,
                     "accepted messages to arrive", interval=0.2)
        except TimeoutError:
            pass
        report["drain"] = time.monotonic() - t0
        delivered = collections.Counter(srv.header_numbers("X-Seq"))
        report["accepted"] = len(accepted)
        report["delivered"] = sum(1 for s in accepted if s in delivered)
        report["lost"] = sorted(accepted - set(delivered))
        report["duplicates"] = sorted(s for s, n in delivered.items() if n > 1)
        log = inst.log()
        attribute_duplicates(srv, report, log)
        report["throttling"] = len(re.findall(r"-- throttling", log))
        report["queue_left"] = sum(len(inst.queue_files(q))
                                   for q in ("incoming", "active", "deferred"))
        # What killed smtpd processes left in tmp/ goes at the next start.
        inst.stop()
        inst.start()
        report["tmp_left"] = len(inst.tmp_leftovers())
    finally:
        try:
            inst.cleanup()
        finally:
            srv.stop()
    if verbose:
        print(format_report(report))
    return report


def attribute_duplicates(srv, report, log=""):
    """Blame each duplicate on the first kill after its first arrival, and
    tell the avoidable ones from the others: a copy for which no delivery
    agent logged status=sent was taken by the sink while the agent never
    read its 250 (killed first: the window RFC 1047 describes, which no
    client can close); a copy that an agent did log as sent and that was
    delivered again anyway is a duplicate Postern could have avoided."""
    first = {}
    for m, t in zip(list(srv.messages), list(srv.messages.times)):
        found = re.search(rb"^X-Seq: (\d+)", m.data, re.M)
        if found:
            first.setdefault(int(found.group(1)), t)
    ids = collections.defaultdict(list)
    for m in list(srv.messages):
        found = re.search(rb"^X-Seq: (\d+)", m.data, re.M)
        qid = re.search(rb" id (\w+)", m.data)
        if found:
            ids[int(found.group(1))].append(qid.group(1).decode() if qid else "?")
    for seq in report["duplicates"]:
        after = [k for k in report["kill_log"] if k[0] >= first[seq] - 0.05]
        report["dup_causes"][after[0][1] if after else "?"] += 1
        report["dup_ids"].append((seq, ids[seq]))
        qid = ids[seq][0]
        sent = len(re.findall(r"smtp\[\d+\]: %s: to=<r%d@s\.test>.*status=sent" % (qid, seq),
                              log))
        if sent >= len(ids[seq]):
            report["avoidable"].append(seq)


def format_report(r):
    dups = len(r["duplicates"])
    lines = [
        "crashtest: %d trials (seed %d) in %.0fs; kills: %s" % (
            r["trials"], r["seed"], r.get("trials_time", 0),
            ", ".join("%s %d" % kv for kv in sorted(r["kills"].items()))),
        "crashtest: accepted %d, delivered %d, lost %d, duplicates %d (%.2f%%)" % (
            r["accepted"], r["delivered"], len(r["lost"]), dups,
            100.0 * dups / max(1, r["accepted"])),
        "crashtest: duplicates by the kill that followed their first delivery: %s" % (
            ", ".join("%s %d" % kv for kv in sorted(r["dup_causes"].items())) or "none"),
        "crashtest: drain %.1fs, queue left %d, tmp/ left after a restart %d, "
        "throttling %d, "
        "start failures %d, slowest restart %.2fs" % (
            r["drain"], r["queue_left"], r["tmp_left"], r["throttling"],
            r["start_failures"], r["restart_max"]),
    ]
    lines.append("crashtest: duplicates Postern could have avoided (an agent had logged "
                 "the copy as sent): %d; the others' first copy reached the sink, but no "
                 "agent read its 250 before the kill" % len(r["avoidable"]))
    if r["dup_ids"]:
        lines.append("crashtest: duplicates (seq: queue ids of the copies): %s" % (
            ", ".join("%d: %s" % (seq, "/".join(ids)) for seq, ids in r["dup_ids"][:50])))
    if r["lost"]:
        lines.append("crashtest: LOST %s" % r["lost"][:50])
    if r["errors"]:
        lines.append("crashtest: start errors: %s" % r["errors"][:5])
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int,
                    default=int(os.environ.get("CRASH_TRIALS", "100")))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true",
                    help="keep the instance directory (it is kept anyway on failure)")
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="postern-crashtest.")
    if os.geteuid() == 0:
        os.chmod(base, 0o755)
    print("crashtest: instance in %s" % base)
    r = run(base, args.trials, args.seed)
    failed = bool(r["lost"] or r["start_failures"] or r["queue_left"])
    if not failed and not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
