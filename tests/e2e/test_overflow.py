"""overflow = drop: when a stream's share of the queue is full, logd drops that
stream's lowest-priority records first (never a more important one to keep a
less important one), counts every drop, and reports them in marker lines that
add up.  The writer is held up by a FIFO in place of current.log that the
test fills before logd starts: the writer blocks on its first write, until
the test reads the pipe."""
import os
import re
import signal
import threading

from harness import Logd, check, datagram, dropped_sum, main, parse, record, wait_for

CONF = """[daemon]
queue_max_bytes = 1M
batch_bytes = 4K
flush_interval = 10ms
sync = none
[defaults]
overflow = drop
stream_queue_max_bytes = 64K
"""


class FifoReader:
    """Reads a FIFO to its end (when logd, its last writer, exits)."""

    def __init__(self, path):
        self.path = path
        self.data = bytearray()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        with open(self.path, "rb") as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    return
                self.data += chunk

    def lines(self):
        self.thread.join(60)
        check(not self.thread.is_alive(), "the FIFO never reached its end")
        text = self.data.decode("utf-8", "surrogateescape")
        check(text == "" or text.endswith("\n"), "the stream does not end in a newline")
        return [x for x in text.splitlines() if x != "junk"]


JUNK = b"junk\n"


def with_full_fifo(d, stream):
    """A FIFO as the stream's current.log, its pipe filled with JUNK lines; returns
    the fd that keeps them there (close it after the reader has started)."""
    os.makedirs(os.path.join(d.logs, stream))
    os.mkfifo(d.path(stream))
    fd = os.open(d.path(stream), os.O_RDWR | os.O_NONBLOCK)
    try:
        while True:
            os.write(fd, JUNK * 100)
    except BlockingIOError:
        pass
    return fd


def test_drop_takes_the_lowest_priorities_first_and_the_markers_add_up():
    sent = {"debug": 3000, "info": 1000, "err": 300}
    prio = {"debug": 7, "info": 6, "err": 3}
    with Logd(config=CONF, start=False) as d:
        fd = with_full_fifo(d, "s")
        d.start()
        total = 0
        # Least important first, so the later, more important ones must push them out.
        for name in ("debug", "info", "err"):
            for i in range(0, sent[name], 20):
                d.send(datagram(*[record("s", "%s %d" % (name, i + j), prio=prio[name])
                                  for j in range(20)]))
            total += sent[name]
        wait_for(lambda: d.counters()["records"] == total, "logd to take in all records")
        check(d.counters()["overflow_dropped"] > 0, "nothing was dropped (test premise)")
        reader = FifoReader(d.path("s"))
        reader.thread.start()
        os.close(fd)
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = [parse(x) for x in reader.lines()]

    kept = {name: [] for name in sent}
    dropped = {name: 0 for name in sent}
    for r in lines:
        m = re.match(r"logd: dropped (\d+) records: the stream's queue was full "
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
    # The writer holds the first batch (stuck on the full pipe); after it the
    # share fills with debug records, newer debug ones are dropped, and every
    # queued one is dropped when an info or err record needs room; the same
    # for info when the err records come: of debug and info, only their first
    # records can survive, never a later one.
    for name in ("debug", "info"):
        check(kept[name] == list(range(len(kept[name]))),
              "%s kept is not a prefix: %s" % (name, [(a, b) for a, b in
                                                   zip(kept[name], kept[name][1:])
                                                   if b != a + 1][:10]))
    check(dropped_sum(reader.lines()) == sum(dropped.values()), "marker sums differ")


def test_drop_never_blocks_the_sender_and_counts_in_the_stopped_line():
    with Logd(config=CONF, start=False) as d:
        fd = with_full_fifo(d, "t")
        d.start()
        for i in range(0, 5000, 50):
            d.send(datagram(*[record("t", "x %d" % (i + j)) for j in range(50)]))
        wait_for(lambda: d.counters()["records"] == 5000, "logd to take in all records")
        c = d.counters()
        check(c["backpressure"] == 0, "drop mode stopped reading: %s" % c)
        reader = FifoReader(d.path("t"))
        reader.thread.start()
        os.close(fd)
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = reader.lines()
        st = d.stopped()
    check(st["overflow_dropped"] == c["overflow_dropped"] > 0, "stopped: %s" % st)
    check(len(lines) - len([x for x in lines if "logd: dropped" in x]) +
          dropped_sum(lines) == 5000, "kept + dropped != 5000")


if __name__ == "__main__":
    main([test_drop_takes_the_lowest_priorities_first_and_the_markers_add_up,
          test_drop_never_blocks_the_sender_and_counts_in_the_stopped_line])
