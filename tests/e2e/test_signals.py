"""SIGTERM and SIGINT: everything received before the signal is written, exit 0;
a send after it fails at the sender.  A second signal while the drain cannot
end (a disk that stays full: a tmpfs, mounted by the test and skipped where
mounting is not allowed) exits 3 with the count of lines left unwritten."""
import re
import signal
import socket
import subprocess

from harness import (LOGCTL, SENDER, Logd, check, datagram, fill_log_dir, main, mount_tmpfs,
                     parse, record, umount, wait_for)


# Neither the flush timer nor a full batch writes anything before the signal:
# only the shutdown drain can put these records on disk.
NO_FLUSH = "[daemon]\nflush_interval = 1min\nbatch_bytes = 16M\n"


def stops_cleanly(sig):
    with Logd(config=NO_FLUSH) as d:
        # At info: a crit record would be written (and synced) at once.
        p = d.spawn([SENDER, "load", "s", "1", "5000", "6"])
        check(p.wait(60) == 0, "sender failed")
        check(d.lines("s") == [], "records written before the signal (test premise)")
        # The signal follows the last send at once.
        check(d.stop(sig) == 0, "logd exited non-zero: %s" % d.stderr())
        lines = d.lines("s")
        check(len(lines) == 5000, "%d of 5000 records on disk" % len(lines))
        check([parse(x)["msg"].split()[1] for x in lines] ==
              ["seq=%d" % i for i in range(5000)], "records out of order")
        st = d.stopped()
        check(st["records"] == 5000 and st["written"] == 5000, "stopped: %s" % st)


def test_sigterm_writes_everything_received():
    stops_cleanly(signal.SIGTERM)


def test_sigint_behaves_as_sigterm():
    stops_cleanly(signal.SIGINT)


def test_records_still_in_the_socket_at_sigterm_are_written():
    # Datagrams sent and the signal sent right after, from one process: many of
    # them are still in the socket's queue when logd sees SIGTERM.
    n = 3000
    with Logd(config=NO_FLUSH) as d:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.connect(d.sock)
            for i in range(n):
                s.send(datagram(record("q", "q %d" % i)))
            d.proc.send_signal(signal.SIGTERM)
        finally:
            s.close()
        check(d.wait() == 0, "logd exited non-zero: %s" % d.stderr())
        got = [parse(x)["msg"] for x in d.lines("q")]
        check(got == ["q %d" % i for i in range(n)], "%d of %d records on disk, or reordered" %
              (len(got), n))


def test_sigterm_under_backpressure_writes_every_accepted_record():
    # A queue too small for the load: ingest is stopped and resumed over and
    # over.  SIGTERM in the middle: senders then fail, but every send that
    # succeeded (the kernel queued it for logd) must be on disk, in order.
    # No flush timer: batches are sealed full (256K), and six streams' batches
    # cannot all fit in 1M, so the queue fills however fast the writer is.
    conf = "[daemon]\nqueue_max_bytes = 1M\nbatch_bytes = 256K\nflush_interval = 1min\n"
    n, count = 6, 40000
    with Logd(config=conf) as d:
        # At info: crit records would seal small batches at once.
        ps = [d.spawn([SENDER, "load", "bp%d" % i, str(i), str(count), "6"],
                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
              for i in range(n)]
        wait_for(lambda: all(len(d.lines("bp%d" % i)) >= 1000 for i in range(n)),
                 "1000 records of every sender on disk")
        d.proc.send_signal(signal.SIGTERM)
        check(d.wait() == 0, "logd exited non-zero: %s" % d.stderr())
        for i, p in enumerate(ps):
            out = p.communicate(timeout=60)[0]
            m = re.search(r"sent=(\d+) failed=(\d+)", out)
            check(m is not None, "sender %d said %r" % (i, out))
            sent = int(m.group(1))
            seqs = [parse(x)["msg"].split()[1] for x in d.lines("bp%d" % i)]
            check(seqs == ["seq=%d" % j for j in range(sent)],
                  "bp%d: %d records on disk, want the %d the sender sent, in order" %
                  (i, len(seqs), sent))
        st = d.stopped()
        check(st["written"] == st["records"], "stopped: %s" % st)
        check(st["backpressure"] > 0, "the queue never filled: the test did not test")


def test_send_after_stop_fails_at_the_sender():
    with Logd() as d:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.connect(d.sock)
        s.send(datagram(record("x", "before")))
        check(d.stop() == 0, "logd exited non-zero")
        try:
            s.send(datagram(record("x", "after")))
            failed = False
        except OSError:
            failed = True
        s.close()
        check(failed, "a send after logd stopped succeeded")
        check([parse(x)["msg"] for x in d.lines("x")] == ["before"], "before is on disk")


def test_second_signal_with_nothing_left_unwritten_exits_0():
    with Logd() as d:
        d.send(datagram(record("x", "written")))
        wait_for(lambda: len(d.lines("x")) == 1, "the record on disk")
        # Both signals reach logd in one round of its loop, before its drain can end.
        d.proc.send_signal(signal.SIGSTOP)
        d.proc.send_signal(signal.SIGTERM)
        d.proc.send_signal(signal.SIGINT)
        d.proc.send_signal(signal.SIGCONT)
        rc = d.wait()
        check(rc == 0, "second signal with nothing left: exit %d, want 0: %s" % (rc, d.stderr()))
        check(re.search(r"SIG(INT|TERM) again: nothing taken in is left unwritten; exiting now",
                        d.stderr()),
              "stderr: %s" % d.stderr())


def test_second_signal_with_lines_left_exits_3_with_the_count():
    conf = "[daemon]\nbatch_bytes = 4K\nsync = none\n"
    n = 200
    with Logd(config=conf, start=False) as d:
        # A full disk, never emptied: the writer stalls on the stream's first
        # write and retries it; the drain cannot end.
        mount_tmpfs(d.logs, "256k")
        try:
            d.start()
            fill_log_dir(d)
            for i in range(n):
                d.send(datagram(record("stuck", "%04d %s" % (i, "x" * 1000))))
            wait_for(lambda: d.counters()["records"] == n, "logd to take in every record")
            wait_for(lambda: "stream stuck: cannot write" in d.stderr(), "the writer to stall")
            d.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: "stopping" in d.stderr(), "logd to start draining")
            check(d.proc.poll() is None, "logd exited although its records are not written")
            rc = d.stop()
            check(rc == 3, "second SIGTERM: exit %d, want 3" % rc)
            m = re.search(r"SIGTERM again: exiting now; (\d+) lines? (?:was|were) not written",
                          d.stderr())
            # Not a byte of the stream fitted: every one of its lines is left.
            check(m is not None and int(m.group(1)) == n, "no count of %d unwritten lines: %s"
                  % (n, d.stderr()))
            check(d.lines("stuck") == [], "lines were written to a full disk")
        finally:
            d.cleanup()
            umount(d.logs)


if __name__ == "__main__":
    main([test_sigterm_writes_everything_received, test_sigint_behaves_as_sigterm,
          test_records_still_in_the_socket_at_sigterm_are_written,
          test_sigterm_under_backpressure_writes_every_accepted_record,
          test_send_after_stop_fails_at_the_sender,
          test_second_signal_with_nothing_left_unwritten_exits_0,
          test_second_signal_with_lines_left_exits_3_with_the_count])
