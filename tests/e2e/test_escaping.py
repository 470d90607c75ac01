"""A record is always one line: control bytes are escaped C-style, UTF-8 and other
bytes >= 0x80 kept; the line carries the client's time, the priority name and
the sender's pid from the kernel."""
import calendar
import os
import socket
import time

from harness import (LOGCTL, PRIORITIES, Logd, check, datagram, field, main, parse, record,
                     unescape)

CASES = [
    (b"plain text", "plain text"),
    (b"new\nline", "new\\nline"),
    (b"cr\rtab\tbackslash\\", "cr\\rtab\\tbackslash\\\\"),
    (b"nul\x00esc\x1bdel\x7f", "nul\\x00esc\\x1bdel\\x7f"),
    ("utf-8 é ✓".encode(), "utf-8 é ✓"),
    (b"", ""),
    (bytes(range(32)), "\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c\\r"
     "\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d"
     "\\x1e\\x1f"),
    (b"\\x41 is not an escape", "\\\\x41 is not an escape"),
    (b"trailing newline\n", "trailing newline\\n"),
    (b"\n\n", "\\n\\n"),
    (b"high \xff\x80 bytes", "high \udcff\udc80 bytes"),    # copied as they are
]


def test_messages_are_escaped_to_one_line():
    with Logd() as d:
        d.send(*[datagram(record("esc", raw)) for raw, _ in CASES])
        d.send(datagram(*[record("esc", raw) for raw, _ in CASES]))    # one datagram
        check(d.stop() == 0, "logd exited non-zero")
        lines = d.lines("esc")
        got = [parse(x)["msg"] for x in lines]
        want = [w for _, w in CASES]
        check(got == want + want, "escaped lines:\n%r\nwant\n%r" % (got, want + want))
        check([unescape(g) for g in got] == [raw for raw, _ in CASES] * 2, "unescape round trip")
        check(all(parse(x)["pid"] == os.getpid() for x in lines),
              "the pid is not the sender's (%d): %s" % (os.getpid(), lines[:2]))


def test_logctl_send_and_cat_escape_the_same_way():
    args = ["tab\there", "back\\slash", "new\nline", "cr\rx", "esc\x1b[1m", "del\x7f",
            "utf-8 é ✓"]
    # logctl send joins its arguments with spaces.
    want_send = ("tab\\there back\\\\slash new\\nline cr\\rx esc\\x1b[1m del\\x7f "
                 "utf-8 é ✓")
    cat_in = (b"nul\x00inside\n" b"cr\rmid\n" b"\ttab first\n" b"back\\slash\n"
              b"\x1b\x7f\x01\n" + "é✓\n".encode() + b"\xff raw\n" b"last without newline")
    want_cat = ["nul\\x00inside", "cr\\rmid", "\\ttab first", "back\\\\slash",
                "\\x1b\\x7f\\x01", "é✓", "\udcff raw", "last without newline"]
    with Logd() as d:
        r = d.run([LOGCTL, "send", "-s", "esc2"] + args)
        check(r.returncode == 0, "logctl send failed: %s" % r.stderr)
        r = d.run([LOGCTL, "cat", "-s", "esc3"], input=cat_in)
        check(r.returncode == 0, "logctl cat failed: %s" % r.stderr)
        check(d.stop() == 0, "logd exited non-zero")
        got = [parse(x)["msg"] for x in d.lines("esc2")]
        check(got == [want_send], "logctl send line: %r, want %r" % (got, want_send))
        got = [parse(x) for x in d.lines("esc3")]
        check([g["msg"] for g in got] == want_cat, "logctl cat lines: %r, want %r" %
              ([g["msg"] for g in got], want_cat))
        check(not any(g["more"] for g in got), "a short line was marked continued")


def test_line_has_client_time_priority_name_and_kernel_pid():
    # 2026-11-22T12:00:00.123456789Z: the time is the client's, cut (not rounded) to us.
    ts = calendar.timegm((2026, 11, 22, 12, 0, 0)) * 10**9 + 123456789
    with Logd() as d:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.connect(d.sock)
            s.send(datagram(*[record("t", "p%d" % p, prio=p, ts=ts) for p in range(8)]))
            before = time.time()
            s.send(datagram(record("t", "stamped on receipt", ts=0)))
            # A record flagged MORE continues in the sender's next record.
            s.send(datagram(record("t", "part one ", flags=1, ts=ts),
                            record("t", "part two", ts=ts)))
            # A key=value field named pid does not change the pid (the kernel's).
            s.send(datagram(record("t", "kv", ts=ts, fields=field(4, b"pid=1"))))
        finally:
            s.close()
        after = time.time()
        check(d.stop() == 0, "logd exited non-zero")
        lines = d.lines("t")
        check(len(lines) == 12, "%d lines: %s" % (len(lines), lines))
        for p in range(8):
            check(lines[p] == "2026-11-22T12:00:00.123456Z %s [%d] p%d" %
                  (PRIORITIES[p], os.getpid(), p), "line %r" % lines[p])
        r = parse(lines[8])
        t = calendar.timegm(time.strptime(r["ts"][:19], "%Y-%m-%dT%H:%M:%S")) + \
            int(r["ts"][20:26]) / 1e6
        check(before - 1 <= t <= after + 1, "receipt time %s not between %f and %f" %
              (r["ts"], before, after))
        check(lines[9] == "2026-11-22T12:00:00.123456Z info [%d+] part one " % os.getpid(),
              "continued line: %r" % lines[9])
        check(lines[10] == "2026-11-22T12:00:00.123456Z info [%d] part two" % os.getpid(),
              "last part: %r" % lines[10])
        check(parse(lines[11])["pid"] == os.getpid(), "pid from the kernel: %r" % lines[11])


if __name__ == "__main__":
    main([test_messages_are_escaped_to_one_line, test_logctl_send_and_cat_escape_the_same_way,
          test_line_has_client_time_priority_name_and_kernel_pid])
