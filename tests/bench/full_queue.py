#!/usr/bin/env python3
"""full_queue.py - peak memory with the queue full, and how long draining it takes.

Runs the real logd with the default configuration (queue_max_bytes = 64M,
a quarter of it per stream) and its log dir on an ext4 image (a loop device)
that is frozen (fsfreeze) once logd has started, so the writer is held up in
its first write: eight senders fill the queue to its cap, then logd gets
SIGTERM and the file system is thawed, so logd drains the whole queue into
real files on the image and syncs them (the loop device passes its flushes
on to the image file).  Needs root, mkfs.ext4, fsfreeze and a loop device.

Prints logd's peak RSS (VmHWM) against queue_max_bytes and the drain time.
A measurement, not a test: run it by hand (build first), e.g.
    LOGD=build/daemon/logd python3 tests/bench/full_queue.py [RUNS]
"""
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import (Logd, datagram, freeze, mount_ext4, record, thaw,  # noqa: E402
                     umount, wait_for)

QUEUE = 64 << 20
STREAMS = 8


def flood(d, stream, stop):
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(d.sock)
    payload = "x" * 900
    dg = datagram(*[record(stream, "%s %s" % (stream, payload)) for _ in range(60)])
    try:
        while not stop.is_set():
            s.send(dg)
    except OSError:
        pass    # logd shut the socket down
    finally:
        s.close()


def run_once():
    with Logd(start=False) as d:
        mount_ext4(d.logs, os.path.join(d.dir, "logs.img"), 256 << 20)
        try:
            d.start()
            wait_for(lambda: d.lines("logd"), "logd's started line on disk")
            freeze(d.logs)
            stop = threading.Event()
            threads = [threading.Thread(target=flood, args=(d, "s%d" % i, stop), daemon=True)
                       for i in range(STREAMS)]
            for t in threads:
                t.start()
            wait_for(lambda: d.counters()["queue_bytes"] > QUEUE - (2 << 20),
                     "the queue to fill", timeout=120)
            c = d.counters()
            rss = d.peak_rss()
            stop.set()
            t0 = time.monotonic()
            d.proc.send_signal(15)
            thaw(d.logs)
            rc = d.wait(300)
            took = time.monotonic() - t0
            for t in threads:
                t.join(10)
            return rc, rss, c["queue_bytes"], took
        finally:
            thaw(d.logs)    # else logd, stuck, could not even be killed
            d.cleanup()
            umount(d.logs)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rss_l, took_l = [], []
    for _ in range(runs):
        rc, rss, queued, took = run_once()
        print("exit %d  queue %.1f MiB  peak RSS %.1f MiB (queue_max_bytes + %.1f MiB)  "
              "drain %.2f s" % (rc, queued / 2 ** 20, rss / 2 ** 20, (rss - QUEUE) / 2 ** 20,
                                took), flush=True)
        rss_l.append(rss)
        took_l.append(took)
    print("median of %d: peak RSS %.1f MiB = queue_max_bytes + %.1f MiB; drain of a full "
          "64 MiB queue %.2f s" % (runs, statistics.median(rss_l) / 2 ** 20,
                                   (statistics.median(rss_l) - QUEUE) / 2 ** 20,
                                   statistics.median(took_l)))


if __name__ == "__main__":
    main()
