"""Bursts: when one read finds 4 datagrams or more waiting, logd takes its
socket out of epoll and reads on, 16 reads a turn, until the socket is
empty; then it waits in epoll again.  Here logd is stopped (SIGSTOP) while
its socket fills, so its first read after SIGCONT starts a burst.  The
socket's queue is 4096 datagrams (net.unix.max_dgram_qlen in a network
namespace of the test's own; skipped where that cannot be made), so a burst
takes several turns.  Every record of it is written in order, a record sent
after it is written too, and SIGTERM in the middle of one writes all of it."""
import os
import signal
import socket

from harness import (LOGCTL, Logd, check, datagram, main, parse, private_network, proc_state,
                     record, wait_for)

QLEN = 4096
QUEUE = {"net/unix/max_dgram_qlen": str(QLEN)}
SO_SNDBUFFORCE = 32


def fill_while_stopped(d, stream):
    """Stops logd and sends it records (without blocking) until its socket is
    full; returns how many.  logd stays stopped."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setblocking(False)
    # A datagram counts against its sender's buffer until it is read: room for the queue.
    s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20)
    n = 0
    try:
        s.connect(d.sock)
        d.proc.send_signal(signal.SIGSTOP)
        wait_for(lambda: proc_state(d.proc.pid) == "T", "logd to stop")
        while True:
            try:
                s.send(datagram(record(stream, "%s %d" % (stream, n))))
            except BlockingIOError:
                break
            n += 1
    finally:
        s.close()
    # More than 16 reads of 64: the burst takes more than one turn of the loop.
    check(n > 16 * 64, "logd's socket took only %d datagrams (its queue: %d)" % (n, QLEN))
    return n


def in_epoll(d):
    """Whether logd's socket is in one of its epoll sets (/proc/PID/fdinfo)."""
    ino = None
    with open("/proc/thread-self/net/unix") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if len(fields) == 8 and fields[7] == d.sock:
                ino = int(fields[6])
    check(ino is not None, "%s is not in /proc/net/unix" % d.sock)
    fds = "/proc/%d/fd" % d.proc.pid
    for fd in os.listdir(fds):
        try:
            if os.readlink(os.path.join(fds, fd)) != "anon_inode:[eventpoll]":
                continue
            with open("/proc/%d/fdinfo/%s" % (d.proc.pid, fd)) as f:
                if any(int(w[4:], 16) == ino for line in f if line.startswith("tfd:")
                       for w in line.split() if w.startswith("ino:")):
                    return True
        except FileNotFoundError:
            continue
    return False


def test_a_burst_is_written_and_logd_waits_in_epoll_again():
    with private_network(QUEUE), Logd() as d:
        n = fill_while_stopped(d, "b")
        d.proc.send_signal(signal.SIGCONT)
        wait_for(lambda: len(d.lines("b")) == n, "the %d records of the burst on disk" % n)
        check(d.counters()["bursts"] >= 1, "no burst counted: the test did not test")
        # The socket is empty: logd waits in epoll again, and a lone record wakes it.
        wait_for(lambda: in_epoll(d), "logd's socket back in its epoll set after the burst")
        r = d.run([LOGCTL, "send", "-s", "b", "after the burst"])
        check(r.returncode == 0, "logctl send: %s" % r.stderr)
        wait_for(lambda: len(d.lines("b")) == n + 1, "the record sent after the burst on disk")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        got = [parse(x)["msg"] for x in d.lines("b")]
        check(got == ["b %d" % i for i in range(n)] + ["after the burst"],
              "%d lines, or out of order" % len(got))


def test_sigterm_in_a_burst_writes_all_of_it():
    # No flush timer: only the drain at SIGTERM writes the burst.
    with private_network(QUEUE), Logd(config="[daemon]\nflush_interval = 1min\n") as d:
        n = fill_while_stopped(d, "t")
        d.proc.send_signal(signal.SIGTERM)      # seen once logd runs again
        d.proc.send_signal(signal.SIGCONT)
        check(d.wait() == 0, "logd exited non-zero: %s" % d.stderr())
        got = [parse(x)["msg"] for x in d.lines("t")]
        check(got == ["t %d" % i for i in range(n)],
              "%d of %d records on disk, or out of order" % (len(got), n))
        st = d.stopped()
        check(st["records"] == n and st["bursts"] >= 1, "stopped: %s" % st)


if __name__ == "__main__":
    main([test_a_burst_is_written_and_logd_waits_in_epoll_again,
          test_sigterm_in_a_burst_writes_all_of_it])
