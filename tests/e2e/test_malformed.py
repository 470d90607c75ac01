"""Every kind of malformed datagram is counted and skipped with its own reason on
stderr; its neighbours land; no record of a bad datagram is written, not even
the good records before the bad one in the same datagram."""
import array
import os
import re
import socket
import struct

from harness import (Logd, check, datagram, dropped_counts, field, main, parse, record, stats,
                     wait_for)

# The reason texts logd prints (proto_strerror), one per enum proto_err value.
SHORT = "shorter than the 8-byte datagram header"
TOOBIG = "longer than 65536 bytes"
MAGIC = "bad magic"
VERSION = "unsupported protocol version"
HDR_RESERVED = "non-zero flags or reserved bytes in the datagram header"
EMPTY = "no record after the header"
REC_TRUNC = "record truncated"
REC_SHORT = "record length smaller than its header, name and fields"
PRIORITY = "priority above 7"
REC_FLAGS = "unknown record flag or non-zero reserved byte"
NAME = "bad stream name"
FIELD_TRUNC = "field runs past the fields area"
FIELD_TYPE = "field of type 0"
FIELD_SIZE = "fixed-size field (line, dropped) of the wrong length"
FIELD_DUP = "file, line, function, dropped or tag field given twice"
KV = "key=value field without '=' or with a bad key"
TAG = "tag field empty, longer than 48 bytes, or with a byte other than printable ASCII but " \
    "':' and '['"
ALL_REASONS = [SHORT, TOOBIG, MAGIC, VERSION, HDR_RESERVED, EMPTY, REC_TRUNC, REC_SHORT,
               PRIORITY, REC_FLAGS, NAME, FIELD_TRUNC, FIELD_TYPE, FIELD_SIZE, FIELD_DUP, KV,
               TAG]


def bad_datagrams():
    """(name, datagram, reason): each is malformed in exactly one way."""
    r = record("web", "x")
    return [
        ("empty datagram", b"", SHORT),
        ("short", b"log", SHORT),
        ("header only 7 bytes", datagram()[:7], SHORT),
        ("too big", datagram(record("web", b"y" * 70000)), TOOBIG),
        ("one byte too big", datagram(record("web", b"y" * (65536 - 8 - 23 + 1))), TOOBIG),
        ("magic", datagram(r, magic=b"gold"), MAGIC),
        ("version 0", datagram(r, version=0), VERSION),
        ("version 9", datagram(r, version=9), VERSION),
        ("header flags", datagram(r, flags=1), HDR_RESERVED),
        ("header reserved u16", b"logd\x01\x00\x00\x01" + r, HDR_RESERVED),
        ("no record", datagram(), EMPTY),
        ("record truncated", datagram(r)[:-1], REC_TRUNC),
        ("trailing bytes after a record", datagram(r) + b"\x05\x00\x00", REC_TRUNC),
        ("rec_len 2^32-1", datagram(struct.pack("<I", 0xFFFFFFFF) + r[4:]), REC_TRUNC),
        ("rec_len 0", datagram(struct.pack("<I", 0) + r[4:]), REC_SHORT),
        ("rec_len below name", datagram(struct.pack("<I", 21) + r[4:]), REC_SHORT),
        ("priority 8", datagram(record("web", "x", prio=8)), PRIORITY),
        ("priority 255", datagram(record("web", "x", prio=255)), PRIORITY),
        ("record flags", datagram(record("web", "x", flags=0x80)), REC_FLAGS),
        ("record reserved", datagram(record("web", "x", reserved=1)), REC_FLAGS),
        ("record reserved u16", datagram(r[:18] + b"\x00\x01" + r[20:]), REC_FLAGS),
        ("name slash", datagram(record("a/b", "x")), NAME),
        ("name dot", datagram(record(".hidden", "x")), NAME),
        ("name empty", datagram(record("", "x")), NAME),
        ("name 65 bytes", datagram(record("n" * 65, "x")), NAME),
        ("name space", datagram(record("a b", "x")), NAME),
        ("name byte 0x80", datagram(record(b"caf\xc3\xa9", "x")), NAME),
        ("field overrun", datagram(record("web", "x", fields=struct.pack("<BH", 1, 50) + b"ab")),
         FIELD_TRUNC),
        ("field header cut", datagram(record("web", "x", fields=b"\x01\x05")), FIELD_TRUNC),
        ("field type 0", datagram(record("web", "x", fields=field(0, b"a"))), FIELD_TYPE),
        ("line size", datagram(record("web", "x", fields=field(2, b"\x01\x00"))), FIELD_SIZE),
        ("dropped size", datagram(record("web", "x", fields=field(5, b"\x01"))), FIELD_SIZE),
        ("duplicate file", datagram(record("web", "x", fields=field(1, b"a") + field(1, b"b"))),
         FIELD_DUP),
        ("duplicate dropped", datagram(record("web", "x", fields=field(5, bytes(8)) * 2)),
         FIELD_DUP),
        ("kv without =", datagram(record("web", "x", fields=field(4, b"novalue"))), KV),
        ("kv bad key", datagram(record("web", "x", fields=field(4, b"a b=c"))), KV),
        ("kv empty key", datagram(record("web", "x", fields=field(4, b"=c"))), KV),
        ("kv key 65 bytes", datagram(record("web", "x", fields=field(4, b"k" * 65 + b"=v"))), KV),
        ("duplicate tag", datagram(record("web", "x", fields=field(6, b"a") * 2)), FIELD_DUP),
        ("tag empty", datagram(record("web", "x", fields=field(6, b""))), TAG),
        ("tag 49 bytes", datagram(record("web", "x", fields=field(6, b"t" * 49))), TAG),
        ("tag colon", datagram(record("web", "x", fields=field(6, b"a:b"))), TAG),
        ("tag space", datagram(record("web", "x", fields=field(6, b"a b"))), TAG),
        ("second of three bad", datagram(record("web", "first"), record("web", "x", prio=8),
                                         record("web", "third")), PRIORITY),
        ("third of three bad", datagram(record("web", "first"), record("web", "second"),
                                        record("bad/", "x")), NAME),
    ]


def test_each_malformed_datagram_is_counted_and_skipped():
    bad = bad_datagrams()
    check(sorted(set(reason for _, _, reason in bad)) == sorted(ALL_REASONS),
          "the table does not cover every reason (test premise)")
    with Logd() as d:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        try:
            s.connect(d.sock)
            for name, dg, _ in bad:
                s.send(datagram(record("ok", "before %s" % name)))
                s.send(dg)
                s.send(datagram(record("ok", "after %s" % name)))
        finally:
            s.close()
        check(d.proc.poll() is None, "logd died: %s" % d.stderr())
        # logctl stats counts each reason, in its JSON and in its table.
        wait_for(lambda: stats(d)["malformed"] == len(bad), "the malformed count")
        by = stats(d)["malformed_by"]
        check(sum(by.values()) == len(bad), "malformed_by: %s" % by)
        r = d.ctl("stats")
        for key, n in by.items():
            check(n == 0 or re.search(r"^  %s +%d$" % (key, n), r.stdout, re.M),
                  "logctl stats does not say %s %d: %s" % (key, n, r.stdout))
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        msgs = [parse(x)["msg"] for x in d.lines("ok")]
        want = []
        for name, _, _ in bad:
            want += ["before %s" % name, "after %s" % name]
        check(msgs == want, "neighbours lost or reordered: %s" % msgs)
        check(d.lines("web") == [], "records of a malformed datagram were written: %s" %
              d.lines("web"))
        st = d.stopped()
        check(st["malformed"] == len(bad), "malformed=%d, want %d" % (st["malformed"], len(bad)))
        check(st["records"] == 2 * len(bad), "records=%d, want %d" % (st["records"], 2 * len(bad)))
        check(st["written"] == 2 * len(bad), "written=%d, want %d" % (st["written"], 2 * len(bad)))
        check(st["datagrams"] == 2 * len(bad), "datagrams=%d, want %d" %
              (st["datagrams"], 2 * len(bad)))

        # One line per reason at least (the rate limit is per reason); each line
        # says which malformed datagram it is ("N so far"), so each maps to its case.
        err = d.stderr()
        said = re.findall(r"malformed datagram from pid (\d+) \(\d+ bytes\): (.*); skipped it "
                          r"\((\d+) so far\)", err)
        check(said, "no malformed-datagram lines on stderr: %s" % err)
        for pid, reason, n in said:
            name, _, want_reason = bad[int(n) - 1]
            check(reason.startswith(want_reason), "case %r: stderr says %r, want %r" %
                  (name, reason, want_reason))
        named = set(r for _, r, _ in said)
        for reason in ALL_REASONS:
            check(any(x.startswith(reason) for x in named),
                  "stderr never names the reason %r: %s" % (reason, err))
        check(all(int(pid) > 0 for pid, _, _ in said), "the sender's pid is missing")


def test_malformed_messages_are_rate_limited():
    n = 500
    with Logd() as d:
        bad = datagram(record("web", "x"), magic=b"LOGX")
        d.send(*([bad] * n + [datagram(record("ok", "still here"))]))
        wait_for(lambda: d.lines("ok"), "the valid record after %d malformed ones" % n)
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        check(d.stopped()["malformed"] == n, "malformed=%d, want %d" %
              (d.stopped()["malformed"], n))
        said = [x for x in d.stderr().splitlines() if "malformed datagram" in x]
        # One line per reason per 5 s: this test takes far less.
        check(1 <= len(said) <= 2, "%d malformed-datagram lines for %d datagrams of one kind" %
              (len(said), n))
        check(said[0].startswith("<4>logd: "), "priority prefix: %r" % said[0])


def test_datagram_of_exactly_64_kib_is_accepted():
    body = b"z" * (65536 - 8 - 23)
    dg = datagram(record("web", body))
    check(len(dg) == 65536, "test premise: %d bytes" % len(dg))
    with Logd() as d:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        try:
            s.connect(d.sock)
            s.send(dg)
        finally:
            s.close()
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = d.lines("web")
        check(len(lines) == 1 and parse(lines[0])["msg"] == body.decode(),
              "the 65536-byte datagram's record: %d lines" % len(lines))
        check(d.stopped()["malformed"] == 0, "a 65536-byte datagram was counted as malformed")


def test_valid_fields_are_accepted_and_unknown_types_skipped():
    with Logd() as d:
        fields = (field(1, b"main.c") + field(2, struct.pack("<I", 42)) + field(3, b"main") +
                  field(4, b"user_id=7") + field(4, b"k=") + field(99, b"from a newer client") +
                  field(200, b""))
        d.send(datagram(record("f", "with fields", fields=fields)))
        check(d.stop() == 0, "logd exited non-zero")
        lines = [parse(x) for x in d.lines("f")]
        check(len(lines) == 1 and lines[0]["msg"] == "with fields", "got %s" % lines)
        check(d.stopped()["malformed"] == 0, "a valid datagram was counted as malformed")


def test_stream_names_at_the_bounds_are_accepted():
    names = ["n" * 64, "a-b_c.d", "-dash", "0", "A.B", "trailing.", "x..y"]
    with Logd() as d:
        d.send(*[datagram(record(n, "to %s" % n)) for n in names])
        check(d.stop() == 0, "logd exited non-zero")
        for n in names:
            check([parse(x)["msg"] for x in d.lines(n)] == ["to %s" % n], "stream %r" % n)
        check(d.stopped()["malformed"] == 0, "a valid name was rejected")


def test_dropped_field_gives_a_marker_line_before_the_senders_next_record():
    with Logd() as d:
        d.send(datagram(record("lossy", "first")),
               datagram(record("lossy", "after a loss", prio=3,
                               fields=field(5, struct.pack("<Q", 17)))),
               datagram(record("lossy", "no loss", fields=field(5, bytes(8)))))
        check(d.stop() == 0, "logd exited non-zero")
        lines = [parse(x) for x in d.lines("lossy")]
        check([r["msg"] for r in lines][0] == "first" and len(lines) == 4,
              "want first, the record, marker, no loss: %s" % lines)
        rec, marker = lines[1], lines[2]
        check(marker["prio"] == "warning" and marker["own"] and
              marker["msg"].startswith("dropped 17 records: "), "marker line: %s" % marker)
        check(rec["msg"] == "after a loss" and rec["prio"] == "err", "the record: %s" % rec)
        check(lines[3]["msg"] == "no loss", "a dropped count of 0 gives no marker: %s" % lines)
        st = d.stopped()
        check(st["client_dropped"] == 17, "client_dropped=%d, want 17" % st["client_dropped"])
        check(st["records"] == 3 and st["written"] == 4, "records=%d written=%d, want 3 and 4"
              " (records plus the marker)" % (st["records"], st["written"]))


def test_implausible_dropped_counts_are_clamped_and_totals_never_wrap():
    most = (1 << 53) - 1
    with Logd() as d:
        d.send(*[datagram(record("liar", "claim %d" % i,
                                 fields=field(5, struct.pack("<Q", (1 << 64) - 1))))
                 for i in range(3)])
        d.send(datagram(record("liar", "honest", fields=field(5, struct.pack("<Q", most)))))
        # One sender's reports in a row: one marker, the sum of the clamped claims.
        wait_for(lambda: len(d.lines("liar")) == 5, "four records and their marker")
        check(d.stop() == 0, "logd exited non-zero")
        counts = dropped_counts(d.lines("liar"))
        check(counts == [4 * most], "marker counts %s, want [4 * %d]: each claim clamped to "
              "%d" % (counts, most, most))
        st = d.stopped()
        check(st["malformed"] == 3, "malformed=%d, want the 3 implausible claims" %
              st["malformed"])
        check(st["client_dropped"] == 4 * most, "client_dropped=%d, want %d (no wrap)" %
              (st["client_dropped"], 4 * most))
        check("claims to have dropped more records than any sender could" in d.stderr(),
              "no message about the claim: %s" % d.stderr())


def test_file_descriptors_sent_along_are_closed():
    # SCM_RIGHTS on the log socket: logd must not keep (leak) what it is sent,
    # including more descriptors than its control buffer has room for.
    with Logd() as d:
        d.send(datagram(record("fd", "warm-up")))
        # Its file and logd's own open (logd's "started:" line is written when
        # its batch is flushed, later than this one under valgrind).
        wait_for(lambda: d.lines("fd") and d.lines("logd"),
                 "the warm-up record and logd's started: line on disk (their files open)")
        fds = lambda: len(os.listdir("/proc/%d/fd" % d.proc.pid))   # noqa: E731
        before = fds()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        null = os.open("/dev/null", os.O_RDONLY)
        try:
            s.connect(d.sock)
            for i in range(100):
                s.sendmsg([datagram(record("fd", "with %d fds" % (1 + i % 100)))],
                          [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                            array.array("i", [null] * (1 + i % 100)))])
        finally:
            s.close()
            os.close(null)
        wait_for(lambda: len(d.lines("fd")) == 101, "the 100 records with descriptors on disk")
        check(fds() == before, "logd holds %d descriptors, %d before" % (fds(), before))
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())


if __name__ == "__main__":
    main([test_each_malformed_datagram_is_counted_and_skipped,
          test_malformed_messages_are_rate_limited,
          test_datagram_of_exactly_64_kib_is_accepted,
          test_valid_fields_are_accepted_and_unknown_types_skipped,
          test_stream_names_at_the_bounds_are_accepted,
          test_dropped_field_gives_a_marker_line_before_the_senders_next_record,
          test_implausible_dropped_counts_are_clamped_and_totals_never_wrap,
          test_file_descriptors_sent_along_are_closed])
