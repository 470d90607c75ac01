"""Messages longer than a datagram are split into continuation records, and
the parts, read back in order, give the message exactly."""
import subprocess

from harness import LOGCTL, SENDER, Logd, check, main, parse


def joined(lines, pid):
    """The message parts of pid: all but the last marked [pid+]."""
    recs = [parse(x) for x in lines]
    recs = [r for r in recs if r["pid"] == pid]
    check(len(recs) >= 2, "expected a split message, got %d lines" % len(recs))
    check(all(r["more"] for r in recs[:-1]) and not recs[-1]["more"],
          "continuation marks wrong: %s" % [r["more"] for r in recs])
    return "".join(r["msg"] for r in recs)


def test_liblogd_splits_and_the_parts_rejoin():
    size = 200000
    with Logd() as d:
        p = d.spawn([SENDER, "big", "big", str(size)])
        check(p.wait(60) == 0, "sender failed")
        check(d.stop() == 0, "logd exited non-zero")
        want = "".join(chr(ord("a") + i % 26) for i in range(size))
        lines = d.lines("big")
        check(joined(lines, p.pid) == want, "rejoined message differs")
        check(all(parse(x)["prio"] == "notice" for x in lines), "priority of the parts")


def test_logctl_cat_splits_a_long_line():
    line = "".join(chr(ord("A") + i % 26) for i in range(150000))
    with Logd() as d:
        p = d.spawn([LOGCTL, "cat", "-s", "long"], stdin=subprocess.PIPE)
        p.stdin.write(line.encode() + b"\nshort\n")
        p.stdin.close()
        check(p.wait(60) == 0, "logctl cat failed")
        check(d.stop() == 0, "logd exited non-zero")
        lines = d.lines("long")
        check(parse(lines[-1])["msg"] == "short", "the next line follows the long one")
        check(joined(lines[:-1], p.pid) == line, "rejoined line differs")


if __name__ == "__main__":
    main([test_liblogd_splits_and_the_parts_rejoin, test_logctl_cat_splits_a_long_line])
