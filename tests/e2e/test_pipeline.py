"""The whole path: 4 liblogd processes x 25,000 records, logctl cat of 20,000 stdin
lines, logctl cat -- sh -c ... on stdout and stderr, malformed datagrams in between,
then SIGTERM: every record present exactly once, in order per sender, right priority."""
import os
import time

from harness import (LOGCTL, PRIORITIES, SENDER, VALGRIND, Logd, check, datagram, main, parse,
                     record)

SCALE = 10 if VALGRIND else 1
SENDERS = 4
PER_SENDER = 25000 // SCALE
CAT_LINES = 20000 // SCALE
CMD_LINES = 500 // SCALE

MALFORMED = [
    b"logd",                                          # shorter than the header
    datagram(record("web", "x"), magic=b"LOGD"),      # bad magic
    datagram(record("web", "x"), version=2),          # bad version
    datagram(record("bad/name", "x")),                # bad stream name
    datagram(record("web", "x", prio=9)),             # priority above 7
    datagram(record("web", "x")[:-3] + b""),          # truncated record
]


def test_pipeline_delivers_every_record_once_in_order():
    with Logd() as d:
        t0 = time.monotonic()
        senders = [d.spawn([SENDER, "load", "load", str(i), str(PER_SENDER)])
                   for i in range(SENDERS)]
        cat = d.spawn([LOGCTL, "cat", "-s", "catstream"], stdin=__import__("subprocess").PIPE)
        cmd = d.spawn([LOGCTL, "cat", "-s", "cmdstream", "--", "sh", "-c",
                       'i=0; while [ $i -lt %d ]; do i=$((i+1)); echo "out $i"; '
                       'echo "err $i" >&2; done; exit 3' % CMD_LINES])
        sent_bad = 0
        for i in range(CAT_LINES):
            cat.stdin.write(b"cat line %d\n" % i)
            if i % (CAT_LINES // 20) == 0:
                # Malformed datagrams interleaved with the valid traffic.
                d.send(MALFORMED[sent_bad % len(MALFORMED)])
                sent_bad += 1
        cat.stdin.close()
        for p in senders:
            check(p.wait(120) == 0, "a liblogd sender failed")
        check(cat.wait(120) == 0, "logctl cat (stdin) failed")
        check(cmd.wait(120) == 3, "logctl cat -- sh exited %s, want 3" % cmd.returncode)
        rc = d.stop()
        elapsed = time.monotonic() - t0
        check(rc == 0, "logd exited %d: %s" % (rc, d.stderr()))

        # liblogd senders: per pid, seq 0..N-1 in order, priority seq % 8.
        by_pid = {}
        for line in d.lines("load"):
            r = parse(line)
            by_pid.setdefault(r["pid"], []).append(r)
        check(sorted(by_pid) == sorted(p.pid for p in senders),
              "load: pids %s, want the senders' %s" % (sorted(by_pid), [p.pid for p in senders]))
        for pid, recs in by_pid.items():
            check(len(recs) == PER_SENDER, "pid %d: %d records, want %d" %
                  (pid, len(recs), PER_SENDER))
            ident = recs[0]["msg"].split()[0]
            for n, r in enumerate(recs):
                words = r["msg"].split()
                check(words[0] == ident and words[1] == "seq=%d" % n,
                      "pid %d: record %d is %r" % (pid, n, r["msg"]))
                check(r["prio"] == PRIORITIES[n % 8], "pid %d seq %d: priority %s" %
                      (pid, n, r["prio"]))

        lines = [parse(x) for x in d.lines("catstream")]
        check([r["msg"] for r in lines] == ["cat line %d" % i for i in range(CAT_LINES)],
              "catstream: lines missing, duplicated or out of order (%d lines)" % len(lines))
        check(all(r["prio"] == "info" and r["pid"] == cat.pid for r in lines),
              "catstream: wrong priority or pid")

        lines = [parse(x) for x in d.lines("cmdstream")]
        out = [r["msg"] for r in lines if r["prio"] == "info"]
        err = [r["msg"] for r in lines if r["prio"] == "err"]
        check(out == ["out %d" % i for i in range(1, CMD_LINES + 1)], "cmdstream stdout lines")
        check(err == ["err %d" % i for i in range(1, CMD_LINES + 1)], "cmdstream stderr lines")
        check(len(lines) == 2 * CMD_LINES, "cmdstream: %d lines" % len(lines))

        st = d.stopped()
        total = SENDERS * PER_SENDER + CAT_LINES + 2 * CMD_LINES
        check(st["records"] == total, "stopped: records=%d, want %d" % (st["records"], total))
        check(st["written"] == total, "stopped: written=%d, want %d" % (st["written"], total))
        check(st["malformed"] == sent_bad, "stopped: malformed=%d, want %d" %
              (st["malformed"], sent_bad))
        check("malformed datagram" in d.stderr(), "no malformed-datagram message on stderr")
        print("end to end: %d records in %.2f s = %.0f records/s (4 x %d liblogd + %d cat"
              " + %d cmd lines)" % (total, elapsed, total / elapsed, PER_SENDER, CAT_LINES,
                                    2 * CMD_LINES))


if __name__ == "__main__":
    main([test_pipeline_delivers_every_record_once_in_order])
