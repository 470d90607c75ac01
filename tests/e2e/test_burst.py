"""Bursts: when one read finds 4 datagrams or more waiting, logd takes its
socket out of epoll and reads on, 16 reads or 1 MiB a turn, until the socket is
empty; then it waits in epoll again.  Here logd is stopped (SIGSTOP) while
its socket fills, so its first read after SIGCONT starts a burst.  The
socket's queue is 4096 datagrams (net.unix.max_dgram_qlen in a network
namespace of the test's own; skipped where that cannot be made), so a burst
takes several turns.  Every record of it is written in order, a record sent
after it is written too, and SIGTERM in the middle of one writes all of it.
A burst that never ends (a sender faster than logd) still leaves the loop
its turns: the control socket answers, the flush timer writes a quiet
stream, and SIGTERM stops logd, all while the flood goes on."""
import os
import signal
import socket
import subprocess
import sys

from harness import (LOGCTL, SLOW, Fail, Logd, check, datagram, main, parse, private_network,
                     proc_state, record, wait_for)

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


# Sends its stdin as one datagram, again and again, blocking, until a send fails.
FLOOD = r"""
import socket, sys
dgram = sys.stdin.buffer.read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, %d, 64 << 20)
s.connect(sys.argv[1])
n = 0
try:
    while True:
        s.send(dgram)
        n += 1
        if n == 2000:  # twice what the queue holds: logd is reading
            print("flooding", flush=True)
except OSError as e:
    print("%%d sent, then %%s" %% (n, e.strerror), flush=True)
""" % SO_SNDBUFFORCE


def flood(d, stream):
    """A sender far faster than logd: 64 KiB datagrams of some 600 records each,
    for a stream logd refuses (create_streams = configured), which costs logd
    a lookup a record and the sender one send() a datagram.  Its 64 MiB send
    buffer keeps logd's socket a thousand datagrams deep, so it is never
    empty while this runs."""
    one = record(stream, "f" * 80)
    p = d.spawn([sys.executable, "-c", FLOOD, d.sock], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE)
    p.stdin.write(datagram(*[one] * ((65536 - 8) // len(one))))
    p.stdin.close()
    check(p.stdout.readline() == b"flooding\n", "the flood did not get going")
    return p


def test_a_flood_leaves_the_loop_its_turns():
    conf = "[daemon]\ncreate_streams = configured\nflush_interval = 100ms\n[stream quiet]\n"
    with private_network(QUEUE), Logd(config=conf) as d:
        p = flood(d, "flood")
        try:
            r = d.ctl("stats", "--json", timeout=10 * SLOW)
        except subprocess.TimeoutExpired:
            raise Fail("logctl stats had no answer in %d s during the flood: the "
                       "burst keeps logd's loop from its control socket" % (10 * SLOW))
        check(r.returncode == 0 and p.poll() is None,
              "logctl stats during the flood: %s %s" % (r.returncode, r.stderr))
        # Sealed by the flush timer only: a quiet stream's batch never fills.
        r = d.run([LOGCTL, "send", "-s", "quiet", "in the flood"], timeout=10 * SLOW)
        check(r.returncode == 0, "logctl send: %s" % r.stderr)
        wait_for(lambda: d.lines("quiet"), "the flush timer to write the quiet stream "
                 "during the flood", timeout=10)
        check(d.counters()["bursts"] >= 1 and p.poll() is None,
              "no burst, or the flood ended: the test did not test")
        # SIGTERM shuts the socket down: the flood's next send fails, logd drains it.
        check(d.stop(timeout=30) == 0, "logd exited non-zero: %s" % d.stderr())
        p.wait(timeout=10 * SLOW)
        out = p.stdout.read().decode()
        check("sent, then" in out, "the flood did not end with logd: %r" % out)
        st = d.stopped()
        check(st["unconfigured"] == st["records"] - 1, "stopped: %s" % st)
        check([parse(x)["msg"] for x in d.lines("quiet")] == ["in the flood"],
              "the quiet stream: %s" % d.lines("quiet"))


if __name__ == "__main__":
    main([test_a_burst_is_written_and_logd_waits_in_epoll_again,
          test_sigterm_in_a_burst_writes_all_of_it,
          test_a_flood_leaves_the_loop_its_turns])
