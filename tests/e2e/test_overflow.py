"""overflow = drop: when a stream's share of the queue is full, logd drops that
stream's lowest-priority records first (never a more important one to keep a
less important one), counts every drop, and reports them in marker lines that
add up.  The writer is held up by a full disk: a tiny tmpfs on the log dir
(mounted by the test; skipped where mounting is not allowed), filled to its
last page once logd has started.  The writer's first write of the stream
fails with ENOSPC, and it keeps that batch and retries it, stalled, until the
test gives the space back."""
import os
import re

from harness import (Logd, check, datagram, dropped_sum, fill_log_dir, main, mount_tmpfs,
                     parse, record, umount, wait_for)

CONF = """[daemon]
queue_max_bytes = 1M
batch_bytes = 4K
flush_interval = 10ms
sync = none
[defaults]
overflow = drop
stream_queue_max_bytes = 64K
"""

STALLED = re.compile(r"writing was stalled for \d+\.\d{3} s: No space left on device$")


def stalled_lines(d, stream, load):
    """Starts logd on a full tmpfs, calls load(d) (which sends to stream), waits
    for the writer to stall on the stream, then gives the space back and stops
    logd (exit 0).  Returns the stream's lines, less the one marker of the stall
    (checked), and the counters of logd's 'stopped:' line."""
    mount_tmpfs(d.logs, "1m")
    try:
        d.start()
        filler = fill_log_dir(d)
        load(d)
        wait_for(lambda: "stream %s: cannot write" % stream in d.stderr(),
                 "the writer to stall on %s" % stream)
        os.unlink(filler)
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        st = d.stopped()
        lines = d.lines(stream)
        stalls = [x for x in lines if parse(x)["own"] and STALLED.match(parse(x)["msg"])]
        check(len(stalls) == 1 and st["stalls"] == 1,
              "%d stall markers, %d stalls" % (len(stalls), st["stalls"]))
        return [x for x in lines if x not in stalls], st
    finally:
        d.cleanup()
        umount(d.logs)


def test_drop_takes_the_lowest_priorities_first_and_the_markers_add_up():
    sent = {"debug": 3000, "info": 1000, "err": 300}
    prio = {"debug": 7, "info": 6, "err": 3}

    def load(d):
        # Least important first, so the later, more important ones must push them out.
        for name in ("debug", "info", "err"):
            for i in range(0, sent[name], 20):
                d.send(datagram(*[record("s", "%s %d" % (name, i + j), prio=prio[name])
                                  for j in range(20)]))
        total = sum(sent.values())
        wait_for(lambda: d.counters()["records"] == total, "logd to take in all records")
        check(d.counters()["overflow_dropped"] > 0, "nothing was dropped (test premise)")

    with Logd(config=CONF, start=False) as d:
        raw, _ = stalled_lines(d, "s", load)
    lines = [parse(x) for x in raw]

    kept = {name: [] for name in sent}
    dropped = {name: 0 for name in sent}
    for r in lines:
        m = r["own"] and re.match(r"dropped (\d+) records: the stream's queue was full "
                     r"\(overflow = drop; lowest priority first\): (.*)$", r["msg"])
        if m:
            check(r["prio"] == "warning", "marker at %s" % r["prio"])
            parts = dict((p, int(n)) for n, p in re.findall(r"(\d+) (\w+)", m.group(2)))
            check(sum(parts.values()) == int(m.group(1)), "marker does not add up: %s" %
                  r["msg"])
            for p, n in parts.items():
                dropped[p] += n
        else:
            name, seq = r["msg"].split()
            kept[name].append(int(seq))
    for name in sent:
        check(len(kept[name]) + dropped[name] == sent[name],
              "%s: %d kept + %d reported dropped != %d sent" %
              (name, len(kept[name]), dropped[name], sent[name]))
    check(len(kept["err"]) == sent["err"], "err records were dropped: %s" % dropped)
    check(dropped["debug"] > 0, "no debug record was dropped: %s" % dropped)
    # The writer holds the first batch (stalled on the full disk); after it the
    # share fills with debug records, newer debug ones are dropped, and every
    # queued one is dropped when an info or err record needs room; the same
    # for info when the err records come: of debug and info, only their first
    # records can survive, never a later one.
    for name in ("debug", "info"):
        check(kept[name] == list(range(len(kept[name]))),
              "%s kept is not a prefix: %s" % (name, [(a, b) for a, b in
                                                   zip(kept[name], kept[name][1:])
                                                   if b != a + 1][:10]))
    check(dropped_sum(raw) == sum(dropped.values()), "marker sums differ")


def test_drop_never_blocks_the_sender_and_counts_in_the_stopped_line():
    c = {}

    def load(d):
        for i in range(0, 5000, 50):
            d.send(datagram(*[record("t", "x %d" % (i + j)) for j in range(50)]))
        wait_for(lambda: d.counters()["records"] == 5000, "logd to take in all records")
        c.update(d.counters())
        check(c["backpressure"] == 0, "drop mode stopped reading: %s" % c)

    with Logd(config=CONF, start=False) as d:
        lines, st = stalled_lines(d, "t", load)
    check(st["overflow_dropped"] == c["overflow_dropped"] > 0, "stopped: %s" % st)
    check(len(lines) - len([x for x in lines if "[logd] dropped" in x]) +
          dropped_sum(lines) == 5000, "kept + dropped != 5000")


if __name__ == "__main__":
    main([test_drop_takes_the_lowest_priorities_first_and_the_markers_add_up,
          test_drop_never_blocks_the_sender_and_counts_in_the_stopped_line])
