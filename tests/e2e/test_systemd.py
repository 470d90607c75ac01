"""logd under systemd, with the test in systemd's place: socket activation
(the test binds the socket and passes it as fd 3 with LISTEN_FDS, and keeps
it while logd restarts), and sd_notify (the test's NOTIFY_SOCKET receives
READY=1, STATUS=, RELOADING=1, STOPPING=1 and WATCHDOG=1)."""
import os
import re
import signal
import socket
import subprocess
import threading
import time

from harness import (SENDER, SLOW, Fail, Logd, check, datagram, freeze, main, mount_ext4,
                     mount_tmpfs, parse, record, resize_tmpfs, thaw, umount, wait_for)

# WATCHDOG_USEC given to logd, in seconds: logd pings every half of it, and
# the test sees a ping when its own reader gets to run, so on a busy 2-core
# machine (e2e_forward's 200,000 records beside it) 0.4 s left 0.2 s of slack
# and was once missed by 0.00 s.  Longer under valgrind (SLOW).
WATCHDOG_S = 1.0 * SLOW


class Notify:
    """A NOTIFY_SOCKET: collects what logd tells systemd, with the time it came."""

    def __init__(self, d):
        self.path = os.path.join(d.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.msgs = []
        self.lock = threading.Lock()
        threading.Thread(target=self.run, daemon=True).start()
        d.logd_env["NOTIFY_SOCKET"] = self.path

    def run(self):
        while True:
            try:
                data = self.sock.recv(4096).decode()
            except OSError:
                return
            with self.lock:
                self.msgs.append((time.monotonic(), data))

    def seen(self, prefix):
        with self.lock:
            return [(t, m) for t, m in self.msgs
                    if any(line.startswith(prefix) for line in m.split("\n"))]

    def close(self):
        self.sock.close()


def activated(d):
    """Binds d's socket as systemd would, for logd to take as fd 3."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(d.sock)
    os.chmod(d.sock, 0o666)
    d.listen = [(s, "socket")]
    return s


def socket_inodes(pid):
    """The inodes of the sockets process pid holds open."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            m = re.match(r"socket:\[(\d+)\]$", os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            continue
        if m:
            inodes.add(int(m.group(1)))
    return inodes


def test_socket_activation_takes_the_socket_and_leaves_it():
    with Logd(start=False) as d:
        s = activated(d)
        d.start()
        check("(socket from systemd)" in d.stderr(), "not activated: %s" % d.stderr())
        d.send(datagram(record("act", "via systemd's socket")))
        wait_for(lambda: len(d.lines("act")) == 1, "the record on disk")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        check(os.path.exists(d.sock), "logd removed systemd's socket file")
        # Not shut down: a send now waits in the socket for the next start.
        d.send(datagram(record("act", "while logd is down")))
        d.start()
        wait_for(lambda: len(d.lines("act")) == 2, "the record sent while logd was down")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        s.close()


def test_the_socket_is_found_by_its_name_among_several():
    with Logd(start=False) as d:
        s = activated(d)
        control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        control.bind(os.path.join(d.dir, "control"))
        control.listen()
        other = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        other.bind(os.path.join(d.dir, "other"))
        d.listen = [(control, "control"), (other, "other"), (s, "socket")]
        d.start()
        d.send(datagram(record("named", "to the socket named socket")))
        wait_for(lambda: len(d.lines("named")) == 1, "the record on disk")
        # The socket named control is the control socket; the others logd does not
        # use, it closes (and says so).
        held = socket_inodes(d.proc.pid)
        check(os.fstat(other.fileno()).st_ino not in held, "logd still holds other")
        check("systemd passed socket other" in d.stderr(), "nothing said of other: %s" %
              d.stderr())
        check("systemd passed socket control" not in d.stderr(), "control was closed")
        check(os.fstat(control.fileno()).st_ino in held, "logd does not hold control")
        r = d.ctl("stats", "--json")
        check(r.returncode == 0 and '"records_received": 1' in r.stdout,
              "logctl stats over systemd's control socket: %s %s" % (r.stdout, r.stderr))
        check(os.fstat(s.fileno()).st_ino in held, "logd does not hold its own socket")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        # Two datagram sockets and none named "socket": logd cannot tell, and says so.
        d.listen = [(other, "a"), (s, "b")]
        try:
            d.start()
            refused = ""
        except Fail as e:
            refused = str(e)
        check("exited at start (1)" in refused, "logd started with two unnamed sockets")
        check("FileDescriptorName=socket" in d.stderr(), "no hint: %s" % d.stderr())
        for x in (s, control, other):
            x.close()


def test_no_record_lost_across_activated_restarts_under_load():
    count, n = 30000, 3
    with Logd(start=False) as d:
        s = activated(d)
        d.start()
        ps = [d.spawn([SENDER, "load", "re", str(i), str(count), "6"], stdout=subprocess.PIPE,
                      text=True) for i in range(n)]
        for restart in range(2):
            target = (restart + 1) * count // 4
            wait_for(lambda: len(d.lines("re")) > target, "%d records on disk" % target)
            check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
            d.start()       # the senders kept sending into systemd's socket meanwhile
        for p in ps:
            out = p.communicate(timeout=120)[0]
            check(p.returncode == 0 and out.strip() == "sent=%d failed=0" % count,
                  "a sender: %r" % out)
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        by = {}
        for r in map(parse, d.lines("re")):
            f = dict(kv.split("=", 1) for kv in r["msg"].split())
            by.setdefault(f["id"], []).append(int(f["seq"]))
        lost = sum(count - len(by.get(str(i), [])) for i in range(n))
        print("records lost across 2 activated restarts under load: %d of %d" %
              (lost, n * count))
        for i in range(n):
            check(by.get(str(i)) == list(range(count)), "sender %d: lost, duplicated or "
                  "reordered records (%d)" % (i, len(by.get(str(i), []))))
        s.close()


def test_sd_notify_ready_status_reloading_stopping():
    with Logd(start=False) as d:
        nt = Notify(d)
        d.start()
        wait_for(lambda: nt.seen("READY=1"), "READY=1")
        d.send(datagram(record("n", "one")))
        wait_for(lambda: nt.seen("STATUS="), "STATUS=", timeout=15)
        check(re.search(r"STATUS=\d+ streams, \d+ records/s, queue \d+% full",
                        nt.seen("STATUS=")[0][1]), "STATUS: %s" % nt.seen("STATUS="))
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: len(nt.seen("READY=1")) == 2, "READY=1 after the reload")
        rel = nt.seen("RELOADING=1")
        check(len(rel) == 1 and "MONOTONIC_USEC=" in rel[0][1], "RELOADING: %s" % rel)
        check(rel[0][0] <= nt.seen("READY=1")[1][0], "READY=1 came before RELOADING=1")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        check(nt.seen("STOPPING=1"), "no STOPPING=1")
        nt.close()


def test_watchdog_pings_only_while_the_writer_makes_progress():
    n = 100
    with Logd(config="[daemon]\nbatch_bytes = 4K\nsync = none\n", start=False) as d:
        # The log dir on a file system the test freezes: a disk that never
        # returns (a write, an open, a mkdir there waits until it is thawed).
        mount_ext4(d.logs, os.path.join(d.dir, "logs.img"))
        try:
            nt = Notify(d)
            d.logd_env["WATCHDOG_USEC"] = str(int(WATCHDOG_S * 1e6))
            d.start()
            wait_for(lambda: len(nt.seen("WATCHDOG=1")) >= 3, "watchdog pings while idle")
            freeze(d.logs)
            for i in range(n):
                d.send(datagram(record("w", "%04d %s" % (i, "x" * 1000))))
            wait_for(lambda: "the writer has been stuck" in d.stderr(), "the writer to be stuck")
            stuck_at = time.monotonic()
            time.sleep(2.5 * WATCHDOG_S)    # a watchdog period and more with no ping (tested)
            late = [t for t, _ in nt.seen("WATCHDOG=1") if t > stuck_at]
            check(late == [], "%d pings while the writer was stuck" % len(late))
            check(thaw(d.logs), "the log dir was not frozen")    # the disk comes back
            wait_for(lambda: [t for t, _ in nt.seen("WATCHDOG=1")
                              if t > stuck_at + 2.5 * WATCHDOG_S], "pings again")
            check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
            got = [parse(x)["msg"][:4] for x in d.lines("w")]
            check(got == ["%04d" % i for i in range(n)], "%d of %d lines written after the "
                  "thaw" % (len(got), n))
            nt.close()
        finally:
            thaw(d.logs)        # else logd, stuck, could not even be killed
            d.cleanup()
            umount(d.logs)


def test_a_full_disk_keeps_the_watchdog_and_says_stalled_in_status():
    conf = "[daemon]\nqueue_max_bytes = 4M\nbatch_bytes = 64K\n"
    with Logd(config=conf, start=False) as d:
        mount_tmpfs(d.logs, "256k")
        try:
            nt = Notify(d)
            d.logd_env["WATCHDOG_USEC"] = str(int(WATCHDOG_S * 1e6))
            d.start()
            p = d.spawn([SENDER, "load", "full", "0", "20000", "6"], stdout=subprocess.PIPE)
            wait_for(lambda: "cannot write" in d.stderr(), "the disk to fill up")
            stalled_at = time.monotonic()
            wait_for(lambda: [m for _, m in nt.seen("STATUS=") if "stalled: No space left on "
                              "device since 20" in m], "STATUS= to say stalled", timeout=15)
            # Waiting out a full disk is not hanging: the pings go on all along.
            wait_for(lambda: len([t for t, _ in nt.seen("WATCHDOG=1") if t > stalled_at]) >= 5,
                     "5 watchdog pings during the stall")
            pings = sorted(t for t, _ in nt.seen("WATCHDOG=1") if t > stalled_at)
            gaps = [b - a for a, b in zip([stalled_at] + pings, pings)]
            check(max(gaps) < WATCHDOG_S, "watchdog pings during the stall: %d, longest gap "
                  "%.2f s" % (len(pings), max(gaps)))
            resize_tmpfs(d.logs, "64m")
            check(p.wait(60) == 0, "the blocking sender failed")
            check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
            nt.close()
        finally:
            try:
                d.cleanup()
            finally:
                umount(d.logs)


if __name__ == "__main__":
    main([test_socket_activation_takes_the_socket_and_leaves_it,
          test_the_socket_is_found_by_its_name_among_several,
          test_no_record_lost_across_activated_restarts_under_load,
          test_sd_notify_ready_status_reloading_stopping,
          test_watchdog_pings_only_while_the_writer_makes_progress,
          test_a_full_disk_keeps_the_watchdog_and_says_stalled_in_status])
