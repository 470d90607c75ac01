"""SIGTERM and SIGINT: everything received before the signal is written, exit 0;
a send after it fails at the sender."""
import signal
import socket

from harness import SENDER, Logd, check, datagram, main, parse, record


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


if __name__ == "__main__":
    main([test_sigterm_writes_everything_received, test_sigint_behaves_as_sigterm,
          test_send_after_stop_fails_at_the_sender])
