"""SIGTERM and SIGINT: everything received before the signal is written, exit 0;
a send after it fails at the sender."""
import os
import signal
import socket

from harness import LOGCTL, SENDER, Logd, check, datagram, main, parse, record, wait_for


def stops_cleanly(sig):
    with Logd() as d:
        p = d.spawn([SENDER, "load", "s", "1", "5000"])
        check(p.wait(60) == 0, "sender failed")
        # The signal follows the last send at once: nothing has been flushed by time.
        check(d.stop(sig) == 0, "logd exited non-zero: %s" % d.stderr())
        lines = d.lines("s")
        check(len(lines) == 5000, "%d of 5000 records on disk" % len(lines))
        check([parse(x)["msg"].split()[1] for x in lines] ==
              ["seq=%d" % i for i in range(5000)], "records out of order")


def test_sigterm_writes_everything_received():
    stops_cleanly(signal.SIGTERM)


def test_sigint_behaves_as_sigterm():
    stops_cleanly(signal.SIGINT)


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


def test_unwritable_stream_is_reported_once_and_second_signal_exits_3():
    with Logd() as d:
        # A file where the stream's directory should be: every write attempt fails.
        with open(os.path.join(d.logs, "blocked"), "w") as f:
            f.write("not a directory\n")
        for i in range(3):
            r = d.run([LOGCTL, "send", "-s", "blocked", "record %d" % i])
            check(r.returncode == 0, "logctl send failed: %s" % r.stderr)
        wait_for(lambda: "cannot write blocked/current.log" in d.stderr(),
                 "the write error on stderr")
        d.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping" in d.stderr(), "logd to start draining")
        check(d.proc.poll() is None, "logd exited although its records are not written")
        rc = d.stop()
        check(rc == 3, "second SIGTERM: exit %d, want 3" % rc)
        err = d.stderr()
        check(err.count("cannot write blocked/current.log") == 1,
              "the error was not reported exactly once: %s" % err)
        check("3 lines were not written" in err, "no count of unwritten lines: %s" % err)


if __name__ == "__main__":
    main([test_sigterm_writes_everything_received, test_sigint_behaves_as_sigterm,
          test_send_after_stop_fails_at_the_sender,
          test_unwritable_stream_is_reported_once_and_second_signal_exits_3])
