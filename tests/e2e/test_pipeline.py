"""The whole path: 4 liblogd processes x 25,000 records, logctl cat of 20,000 stdin
lines, logctl cat -- sh -c ... on stdout and stderr, malformed datagrams in between,
then SIGTERM: every record present exactly once, in order per sender, right priority."""
import struct
import subprocess
import time

from harness import (LOGCTL, PRIORITIES, SENDER, VALGRIND, Logd, check, datagram, field, main,
                     parse, record, sends_as_another_pid, write_lines)

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
    datagram(record("web", "x"))[:-3],                # truncated record
    datagram(),                                       # no record
    datagram(record("web", "x"), flags=4),            # header flags
    datagram(record("web", "x", flags=0x10)),         # unknown record flag
    datagram(record("web", "x", fields=field(2, b"\x01"))),    # LINE not 4 bytes
    datagram(record("web", "x", fields=field(4, b"=v"))),      # empty key
    datagram(record("catstream", "ok"), record("catstream", "x", prio=8)),  # 2nd bad
    datagram(struct.pack("<I", 0) + record("web", "x")[4:]),   # rec_len 0
]


def test_pipeline_delivers_every_record_once_in_order():
    with Logd() as d:
        t0 = time.monotonic()
        senders = [d.spawn([SENDER, "load", "load", str(i), str(PER_SENDER)])
                   for i in range(SENDERS)]
        cat = d.spawn([LOGCTL, "cat", "-s", "catstream"], stdin=subprocess.PIPE, bufsize=0)
        cmd = d.spawn([LOGCTL, "cat", "-s", "cmdstream", "--", "sh", "-c",
                       'echo "pid $$"; i=0; while [ $i -lt %d ]; do i=$((i+1)); echo "out $i"; '
                       'echo "err $i" >&2; done; exit 3' % CMD_LINES])
        sent_bad = 0
        step = CAT_LINES // 40
        for i in range(0, CAT_LINES, step):
            write_lines(cat.stdin, [b"cat line %d\n" % j for j in range(i, i + step)])
            # Malformed datagrams interleaved with the valid traffic, all kinds twice over.
            d.send(MALFORMED[sent_bad % len(MALFORMED)])
            sent_bad += 1
        cat.stdin.close()
        for p in senders:
            check(p.wait(120) == 0, "a liblogd sender failed")
        t_senders = time.monotonic()
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
        for i, p in enumerate(senders):
            recs = by_pid[p.pid]
            check(len(recs) == PER_SENDER, "pid %d: %d records, want %d" %
                  (p.pid, len(recs), PER_SENDER))
            ident = "id=%d" % i
            pid = p.pid
            for n, r in enumerate(recs):
                words = r["msg"].split()
                check(words[0] == ident and words[1] == "seq=%d" % n,
                      "pid %d: record %d is %r" % (pid, n, r["msg"]))
                check(r["prio"] == PRIORITIES[n % 8], "pid %d seq %d: priority %s" %
                      (pid, n, r["prio"]))
                check(not r["more"], "pid %d seq %d: marked as continued" % (pid, n))

        lines = [parse(x) for x in d.lines("catstream")]
        check([r["msg"] for r in lines] == ["cat line %d" % i for i in range(CAT_LINES)],
              "catstream: lines missing, duplicated or out of order (%d lines)" % len(lines))
        check(all(r["prio"] == "info" and r["pid"] == cat.pid and not r["more"]
                  for r in lines), "catstream: wrong priority, pid or continuation mark")
        check(d.lines("web") == [], "records of malformed datagrams were written: %s" %
              d.lines("web")[:3])

        lines = [parse(x, tagged=True) for x in d.lines("cmdstream")]
        out = [r["msg"] for r in lines if r["prio"] == "info"]
        err = [r["msg"] for r in lines if r["prio"] == "err"]
        check(out[0].startswith("pid "), "cmdstream: the command's pid first: %s" % out[:1])
        check(out[1:] == ["out %d" % i for i in range(1, CMD_LINES + 1)], "cmdstream stdout lines")
        check(err == ["err %d" % i for i in range(1, CMD_LINES + 1)], "cmdstream stderr lines")
        check(len(lines) == 2 * CMD_LINES + 1, "cmdstream: %d lines" % len(lines))
        # The command's pid where logctl may send as another process, else logctl's.
        pid = int(out[0][4:]) if sends_as_another_pid() else cmd.pid
        check(all(r["pid"] == pid and r["tag"] == "sh" and not r["more"] for r in lines),
              "cmdstream: records not from pid %d, untagged or marked continued" % pid)

        st = d.stopped()
        total = SENDERS * PER_SENDER + CAT_LINES + 2 * CMD_LINES + 1
        check(st["records"] == total, "stopped: records=%d, want %d" % (st["records"], total))
        check(st["written"] == total, "stopped: written=%d, want %d" % (st["written"], total))
        check(st["malformed"] == sent_bad, "stopped: malformed=%d, want %d" %
              (st["malformed"], sent_bad))
        check("malformed datagram" in d.stderr(), "no malformed-datagram message on stderr")
        check(st["datagrams"] > 0, "stopped: datagrams=0")
        check("ready:" in d.stderr().splitlines()[0], "the first stderr line is not ready:")
        print("end to end: %d x %d liblogd records, first send to logd's exit: %.2f s = "
              "%.0f records/s (senders done after %.2f s)" %
              (SENDERS, PER_SENDER, elapsed, SENDERS * PER_SENDER / elapsed, t_senders - t0))
        print("end to end: all %d records (with %d cat + %d cmd lines) in %.2f s = %.0f "
              "records/s" % (total, CAT_LINES, 2 * CMD_LINES, elapsed, total / elapsed))


if __name__ == "__main__":
    main([test_pipeline_delivers_every_record_once_in_order])
