"""Disk full, a stuck disk, and syncing.

A tiny tmpfs (mounted by the test; skipped where mounting is not allowed)
fills up under four blocking senders and one non-blocking one, then grows:
every blocking record lands, no partial line is left, the error is reported
once, a marker says how long writing stalled, peak RSS stays under the
bound, and the non-blocking sender's failures equal the "dropped N" sum.
A disk that stays full (the tmpfs filled to its last page, never emptied)
stalls the writer for good: drain_timeout ends logd with status 3 and the
count of lines it could not write."""
import os
import re
import signal
import subprocess
import time

from harness import (SANITIZED, SENDER, VALGRIND, Logd, Repl, check, datagram, dropped_sum,
                     fill_log_dir, main, mount_tmpfs, parse, record, resize_tmpfs, umount,
                     wait_for)

# logd's memory beyond its queue: 64 receive buffers of 64 KiB (4 MiB), the
# stream and file tables, libevent, libc and the threads' stacks as touched.
FIXED_OVERHEAD = 16 << 20


def test_full_disk_stalls_then_resumes_without_loss_or_torn_lines():
    conf = "[daemon]\nqueue_max_bytes = 4M\nbatch_bytes = 64K\n"
    count, nsenders = 20000, 4
    with Logd(config=conf, start=False) as d:
        mount_tmpfs(d.logs, "256k")
        try:
            d.start()
            senders = [d.spawn([SENDER, "load", "full%d" % i, str(i), str(count), "6"],
                               stdout=subprocess.PIPE, text=True) for i in range(nsenders)]
            nb = Repl(d, "nb", "nonblock")
            wait_for(lambda: "cannot write" in d.stderr(), "the disk to fill up")
            # The queue fills, logd stops reading, the socket fills: now the
            # non-blocking sender fails.
            wait_for(lambda: d.counters()["backpressure"] > 0, "logd to stop reading")
            attempts = failures = 0
            while failures == 0:
                sent, failed, _, err = nb.send(200, "nb")
                attempts += 200
                failures += failed
                check(attempts < 10 ** 6, "the non-blocking sender never failed")
            check(err == "EAGAIN", "non-blocking failure was %s, not EAGAIN" % err)
            stalled = d.counters()
            check(stalled["written"] < nsenders * count, "nothing was held back (test premise)")
            rss = d.peak_rss()
            resize_tmpfs(d.logs, "64m")
            # Space is back: the sender's next record carries its loss report.
            while True:
                sent, failed, _, _ = nb.send(1, "final")
                attempts += 1
                failures += failed
                if sent == 1:
                    break
                time.sleep(0.01)    # the socket is still full: try again shortly
            nb.close()
            for i, p in enumerate(senders):
                out = p.communicate(timeout=120)[0]
                check(p.returncode == 0 and out.strip() == "sent=%d failed=0" % count,
                      "blocking sender %d: %r (exit %s)" % (i, out, p.returncode))
            check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())

            for i in range(nsenders):
                lines = [parse(x) for x in d.lines("full%d" % i)]   # every line whole
                seqs = [int(r["msg"].split()[1][4:]) for r in lines if not r["own"]]
                check(seqs == list(range(count)), "full%d: %d records, lost or reordered" %
                      (i, len(seqs)))
            nb_lines = d.lines("nb")
            kept = [r for r in map(parse, nb_lines) if not r["own"]]
            check(len(kept) + failures == attempts, "nb: %d kept + %d failed != %d sent" %
                  (len(kept), failures, attempts))
            check(dropped_sum(nb_lines) == failures, "nb: markers say %d dropped, the sender "
                  "counted %d" % (dropped_sum(nb_lines), failures))
            everything = sum((d.lines(s) for s in d.streams()), [])
            stalls = [r for r in map(parse, everything)
                      if r["own"] and re.match(r"writing was stalled for \d+\.\d{3} s: "
                                               r"No space left on device$", r["msg"])]
            check(len(stalls) >= 1, "no 'writing was stalled' marker line")
            st = d.stopped()
            errs = re.findall(r"stream (\S+): cannot write", d.stderr())
            check(len(errs) == st["stalls"] >= 1, "%d messages for %d stalls" %
                  (len(errs), st["stalls"]))
            check(st["write_errors"] > st["stalls"], "no write was retried (test premise)")
            check(len(stalls) == st["stalls"], "%d markers for %d stalls" %
                  (len(stalls), st["stalls"]))
            bound = 4 * 1024 * 1024 + FIXED_OVERHEAD
            print("peak RSS with the disk full: %.1f MiB (bound %.1f MiB); queue high water "
                  "%.1f MiB" % (rss / 2 ** 20, bound / 2 ** 20,
                                stalled["queue_high_water"] / 2 ** 20))
            if not SANITIZED and not VALGRIND:     # their RSS is not logd's
                check(rss <= bound, "peak RSS %d > %d" % (rss, bound))
        finally:
            try:
                d.cleanup()
            finally:
                umount(d.logs)


def test_full_disk_gives_up_the_oldest_archives_and_says_so():
    conf = ("[daemon]\nkeep_free = 0\nmax_use = 1024T\nbatch_bytes = 4K\n"
            "[defaults]\nmax_file_size = 64K\nmax_files = 100000\n")
    n = 8000
    with Logd(config=conf, start=False) as d:
        mount_tmpfs(d.logs, "1m")
        try:
            d.start()
            for i in range(0, n, 10):
                d.send(datagram(*[record("arch", "%06d %s" % (j, "y" * 200))
                                  for j in range(i, i + 10)]))
            wait_for(lambda: d.counters()["written"] >= n, "every record written")
            check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
            st = d.stopped()
            check(st["archives_removed"] > 0, "no archive was removed (test premise)")
            check(st["stalls"] == 0, "writing stalled although archives could go: %s" % st)
            sdir = os.path.join(d.logs, "arch")
            names = sorted(x for x in os.listdir(sdir) if x != "current.log") + ["current.log"]
            lines = []
            for name in names:
                with open(os.path.join(sdir, name)) as f:
                    data = f.read()
                check(data.endswith("\n"), "%s does not end in a newline" % name)
                lines += [parse(x) for x in data.splitlines()]
            markers = [r for r in lines if r["own"] and re.match(
                r"the disk was full: removed the \d+ oldest archives? \(\d+ bytes\) to "
                r"keep writing$", r["msg"])]
            check(markers, "no marker says what was removed")
            nums = [int(r["msg"].split()[0]) for r in lines if not r["own"]]
            # What is left is the newest records, whole and in order.
            check(nums == list(range(n - len(nums), n)), "the records left are not the newest")
        finally:
            try:
                d.cleanup()
            finally:
                umount(d.logs)


def test_drain_timeout_exits_3_with_the_count_when_the_disk_is_stuck():
    conf = "[daemon]\ndrain_timeout = 1s\nbatch_bytes = 4K\nsync = none\n"
    n = 200
    with Logd(config=conf, start=False) as d:
        mount_tmpfs(d.logs, "256k")
        try:
            d.start()
            fill_log_dir(d)     # and never emptied: a disk that fails every write
            for i in range(n):
                d.send(datagram(record("stuck", "%04d " % i + "x" * 1000)))
            wait_for(lambda: d.counters()["records"] == n, "logd to take in all records")
            wait_for(lambda: "stream stuck: cannot write" in d.stderr(), "the writer to stall")
            t0 = time.monotonic()
            rc = d.stop(timeout=30)
            took = time.monotonic() - t0
            check(rc == 3, "logd exited %s, want 3: %s" % (rc, d.stderr()))
            m = re.search(r"logd: drain_timeout \(1000 ms\) passed: exiting now; (\d+) lines "
                          r"were not written", d.stderr())
            check(m is not None, "no drain_timeout message: %s" % d.stderr())
            # Not a byte of the stream fitted: every one of its lines is left.
            check(int(m.group(1)) == n, "%s lines not written, of %d" % (m.group(1), n))
            check(d.lines("stuck") == [], "lines were written to a full disk")
            check(took >= 0.9, "logd gave up after %.2f s, before drain_timeout" % took)
        finally:
            d.cleanup()
            umount(d.logs)


def test_crit_record_is_synced_at_once():
    conf = "[daemon]\nsync = none\n"
    with Logd(config=conf) as d:
        d.send(datagram(record("s", "just info")))
        wait_for(lambda: len(d.lines("s")) == 1, "the info record on disk")
        check(d.counters()["fsyncs"] == 0, "sync = none synced an info record")
        d.send(datagram(record("s", "the disk is on fire", prio=2)))
        # (logd's own stream, dirty with its "started" line, is synced with it.)
        wait_for(lambda: d.counters()["fsyncs"] >= 1, "the crit record to be synced")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())


def test_sync_interval_and_always():
    with Logd(config="[daemon]\nsync = interval\nsync_interval = 10ms\n") as d:
        d.send(datagram(record("s", "one")))
        wait_for(lambda: d.counters()["fsyncs"] >= 1, "the interval sync")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
    with Logd(config="[daemon]\nsync = always\nflush_interval = 1ms\n") as d:
        for i in range(5):
            d.send(datagram(record("s", "r%d" % i)))
            wait_for(lambda: len(d.lines("s")) == i + 1, "record %d on disk" % i)
        # The line is in the file a moment before its fdatasync returns.
        wait_for(lambda: d.counters()["fsyncs"] >= 5, "sync = always to sync every write")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())


def open_stream_files(d, prefix):
    """How many of d's streams named prefix* logd has a descriptor of (open or syncing)."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % d.proc.pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (d.proc.pid, fd))
        except FileNotFoundError:
            continue
        n += os.path.basename(os.path.dirname(target)).startswith(prefix) and \
            target.startswith(d.logs)
    return n


def test_files_closed_unsynced_are_all_synced_and_closed():
    # sync = none still syncs a file when the writer closes it.  A SIGHUP
    # closes 200 at once, more than the syncer takes (128 descriptors): the
    # writer syncs the rest itself, and every descriptor is closed after.
    n = 200
    with Logd(config="[daemon]\nsync = none\n") as d:
        d.send(*[datagram(record("closed%d" % i, "one")) for i in range(n)])
        wait_for(lambda: all(len(d.lines("closed%d" % i)) == 1 for i in range(n)),
                 "a file for each stream")
        check(d.counters()["fsyncs"] == 0, "sync = none synced an info record")
        check(open_stream_files(d, "closed") == n, "%d files open, not %d" %
              (open_stream_files(d, "closed"), n))
        os.kill(d.proc.pid, signal.SIGHUP)
        wait_for(lambda: d.counters()["fsyncs"] >= n, "a sync for every file closed")
        wait_for(lambda: open_stream_files(d, "closed") == 0, "their descriptors closed")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())


if __name__ == "__main__":
    main([test_full_disk_stalls_then_resumes_without_loss_or_torn_lines,
          test_full_disk_gives_up_the_oldest_archives_and_says_so,
          test_drain_timeout_exits_3_with_the_count_when_the_disk_is_stuck,
          test_crit_record_is_synced_at_once,
          test_sync_interval_and_always,
          test_files_closed_unsynced_are_all_synced_and_closed])
