"""Every kind of malformed datagram is counted and skipped; its neighbours land."""
import socket
import struct

from harness import Logd, check, datagram, field, main, parse, record

GOOD = record("ok", "neighbour")


def bad_datagrams():
    r = record("web", "x")
    return {
        "short": b"log",
        "too big": datagram(record("web", b"y" * 70000)),
        "magic": datagram(r, magic=b"gold"),
        "version": datagram(r, version=9),
        "header reserved": datagram(r, flags=1),
        "empty": datagram(),
        "record truncated": datagram(r)[:-1] + b"",
        "record too short": datagram(struct.pack("<I", 21) + r[4:]),
        "priority": datagram(record("web", "x", prio=8)),
        "record flags": datagram(record("web", "x", flags=0x80)),
        "record reserved": datagram(record("web", "x", reserved=1)),
        "name slash": datagram(record("a/b", "x")),
        "name dot": datagram(record(".hidden", "x")),
        "name empty": datagram(record("", "x")),
        "field overrun": datagram(record("web", "x", fields=struct.pack("<BH", 1, 50) + b"ab")),
        "field header cut": datagram(record("web", "x", fields=b"\x01\x05")),
        "field type 0": datagram(record("web", "x", fields=field(0, b"a"))),
        "line size": datagram(record("web", "x", fields=field(2, b"\x01\x00"))),
        "dropped size": datagram(record("web", "x", fields=field(5, b"\x01"))),
        "duplicate file": datagram(record("web", "x", fields=field(1, b"a") + field(1, b"b"))),
        "kv without =": datagram(record("web", "x", fields=field(4, b"novalue"))),
        "kv bad key": datagram(record("web", "x", fields=field(4, b"a b=c"))),
        "second of three bad": datagram(record("web", "first"), record("web", "x", prio=8),
                                        record("web", "third")),
    }


def test_each_malformed_datagram_is_counted_and_skipped():
    bad = bad_datagrams()
    with Logd() as d:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        s.connect(d.sock)
        n = 0
        for name, dg in bad.items():
            s.send(datagram(record("ok", "before %s" % name)))
            s.send(dg)
            s.send(datagram(record("ok", "after %s" % name)))
            n += 1
        s.close()
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        msgs = [parse(x)["msg"] for x in d.lines("ok")]
        want = []
        for name in bad:
            want += ["before %s" % name, "after %s" % name]
        check(msgs == want, "neighbours lost or reordered: %s" % msgs)
        check(d.lines("web") == [], "records of a malformed datagram were written: %s" %
              d.lines("web"))
        st = d.stopped()
        check(st["malformed"] == n, "malformed=%d, want %d" % (st["malformed"], n))
        check(st["records"] == 2 * n, "records=%d, want %d" % (st["records"], 2 * n))
        err = d.stderr()
        for reason in ["shorter than the 8-byte", "longer than 65536", "bad magic",
                       "unsupported protocol version", "priority above 7", "bad stream name",
                       "field runs past", "field of type 0", "given twice", "key=value"]:
            check(reason in err, "stderr does not name the reason %r: %s" % (reason, err))


def test_valid_fields_are_accepted_and_unknown_types_skipped():
    with Logd() as d:
        fields = (field(1, b"main.c") + field(2, struct.pack("<I", 42)) + field(3, b"main") +
                  field(4, b"user_id=7") + field(99, b"from a newer client"))
        d.send(datagram(record("f", "with fields", fields=fields)))
        check(d.stop() == 0, "logd exited non-zero")
        lines = [parse(x) for x in d.lines("f")]
        check(len(lines) == 1 and lines[0]["msg"] == "with fields", "got %s" % lines)
        check(d.stopped()["malformed"] == 0, "a valid datagram was counted as malformed")


if __name__ == "__main__":
    main([test_each_malformed_datagram_is_counted_and_skipped,
          test_valid_fields_are_accepted_and_unknown_types_skipped])
