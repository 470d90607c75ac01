"""A record is always one line: control bytes are escaped C-style, valid UTF-8
kept and every other byte escaped; the line carries the client's time (within
max_clock_skew of logd's), the priority name and the sender's pid from the
kernel.  No sender can write a line that reads as another record or as one of
logd's own."""
import calendar
import json
import os
import socket
import time

from harness import (LOGCTL, PRIORITIES, Logd, check, datagram, dropped_sum, field, main,
                     parse, record, unescape)

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
    (b"high \xff\x80 bytes", "high \\xff\\x80 bytes"),    # not UTF-8: escaped for grep
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
                "\\x1b\\x7f\\x01", "é✓", "\\xff raw", "last without newline"]
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
    with Logd(config="[daemon]\nmax_clock_skew = 0\n") as d:     # any claimed time taken
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


FORGERIES = [
    b"dropped 1000 records: the queue was full",
    b"x\n2026-11-22T12:00:00.123456Z warning [logd] dropped 5 records: forged",
    b"x\r2026-11-22T12:00:00.123456Z warning [logd] dropped 6 records: forged",
    b"nul\x00 2026-11-22T12:00:00.123456Z warning [logd] dropped 7 records",
    b"ansi \x1b[2K\x1b[1A\x1b]0;title\x07\x9b2K erased the line before",
    b"bad utf-8 \xc0\xaf \xed\xa0\x80 \xff\xfe \xe2\x82",
    b'json "},{"logd":true,"dropped":8,"message":"',
    b"[logd] dropped 9 records: from the message",
    b"tail \\",
]


def test_no_sender_can_forge_a_line_or_logds_marker():
    conf = "[stream js]\nformat = json\n"
    with Logd(config=conf) as d:
        r = d.run([LOGCTL, "send", "-s", "txt", "-p", "warning",
                   "dropped 1000 records: the stream could not be written"])
        check(r.returncode == 0, "logctl send: %s" % r.stderr)
        fields = field(4, b"dropped=9") + field(4, b"logd=true") + field(4, b"pid=1")
        for stream in ("txt", "js"):
            d.send(*[datagram(record(stream, m, prio=4, fields=fields)) for m in FORGERIES])
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        raw = open(d.path("txt"), "rb").read()
        text = raw.decode("utf-8")      # strict: a text file is UTF-8 throughout
        lines = text.splitlines()
        check(len(lines) == 1 + len(FORGERIES), "%d lines for %d records: %s" %
              (len(lines), 1 + len(FORGERIES), lines))
        recs = [parse(x) for x in lines]
        check(all(not r["own"] and r["pid"] > 1 for r in recs),
              "a sender's record reads as logd's, or with a pid not the kernel's: %s" % recs)
        check([unescape(r["msg"]) for r in recs[1:]] == FORGERIES, "not the messages sent")
        check(dropped_sum(lines) == 0, "forged markers counted: %d" % dropped_sum(lines))
        check("\x1b" not in text and "\r" not in text and "\x00" not in text,
              "a raw control byte reached the text file")
        js = [json.loads(x) for x in d.lines("js")]
        check(len(js) == len(FORGERIES), "%d JSON lines for %d records" % (len(js), len(FORGERIES)))
        check(all("logd" not in o and "dropped" not in o and o["pid"] == os.getpid() and
                  o["uid"] == os.getuid() and o["gid"] == os.getgid() for o in js),
              "a JSON line has logd's keys or a sender-given pid: %s" % js)
        valid = [i for i, m in enumerate(FORGERIES) if b"\xff" not in m and b"\x9b" not in m]
        check([js[i]["message"].encode() for i in valid] == [FORGERIES[i] for i in valid],
              "JSON messages differ from what was sent")
        check(all(o["fields"] == {"dropped": "9", "logd": "true", "pid": "1"} for o in js),
              "fields: %s" % js[0])


def test_a_claimed_time_too_far_off_gives_way_to_the_receipt_time():
    now = time.time_ns()
    cases = [("a year ago", now - 365 * 86400 * 10**9), ("a day ahead", now + 86400 * 10**9),
             ("5 s ago", now - 5 * 10**9)]
    conf = "[stream js]\nformat = json\n"
    with Logd(config=conf) as d:
        before = time.time()
        for stream in ("t", "js"):
            d.send(*[datagram(record(stream, m, ts=ts)) for m, ts in cases])
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        after = time.time()

        def epoch(stamp):
            return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + \
                int(stamp[20:26]) / 1e6

        def stamp(ns):
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
                ".%06dZ" % (ns % 10**9 // 1000)

        lines = [parse(x) for x in d.lines("t")]
        js = [json.loads(x) for x in d.lines("js")]
        for i, (m, ts) in enumerate(cases[:2]):
            check(before - 1 <= epoch(lines[i]["ts"]) <= after + 1 and
                  lines[i]["claimed"] == stamp(ts) and lines[i]["msg"] == m,
                  "%s: not the receipt time with the claim kept: %s" % (m, lines[i]))
            check(before - 1 <= epoch(js[i]["ts"]) <= after + 1 and
                  js[i]["claimed_ts"] == stamp(ts), "%s (JSON): %s" % (m, js[i]))
        check(lines[2]["ts"] == stamp(cases[2][1]) and lines[2]["claimed"] is None and
              js[2]["ts"] == stamp(cases[2][1]) and "claimed_ts" not in js[2],
              "a time within max_clock_skew is the line's: %s %s" % (lines[2], js[2]))
        check(d.stopped()["clock_skew"] == 4, "clock_skew=%d, want 4" %
              d.stopped()["clock_skew"])
        # logctl reads the claim back, and converts it for --json.
        r = d.run([LOGCTL, "show", "--json", "--log-dir", d.logs, "t"])
        out = [json.loads(x) for x in r.stdout.splitlines()]
        check(r.returncode == 0 and out[0].get("claimed_ts") == stamp(cases[0][1]),
              "logctl show --json: %s %s" % (r.stdout, r.stderr))


if __name__ == "__main__":
    main([test_messages_are_escaped_to_one_line, test_logctl_send_and_cat_escape_the_same_way,
          test_line_has_client_time_priority_name_and_kernel_pid,
          test_no_sender_can_forge_a_line_or_logds_marker,
          test_a_claimed_time_too_far_off_gives_way_to_the_receipt_time])
