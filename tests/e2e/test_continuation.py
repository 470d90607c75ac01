"""Messages longer than a datagram are split into continuation records ([pid+]
lines, then a [pid] line), and the parts, unescaped and joined in order, give
back the message byte for byte.  A message whose later part cannot be sent
ends where it was cut: it never joins the sender's next message."""
import re
import signal
import subprocess

from harness import (LOGCTL, SENDER, Logd, Repl, check, dropped_sum, feed_while_stopped, main,
                     messages, parse, sync, unescape, wait_for)


def joined(lines, pid, min_parts):
    """The message of pid, checking the marks: all parts but the last [pid+]."""
    recs = [parse(x) for x in lines]
    recs = [r for r in recs if r["pid"] == pid]
    check(len(recs) >= min_parts, "expected at least %d parts, got %d lines" %
          (min_parts, len(recs)))
    check(all(r["more"] for r in recs[:-1]) and not recs[-1]["more"],
          "continuation marks wrong: %s" % [r["more"] for r in recs])
    parts = [unescape(r["msg"]) for r in recs]
    check(all(len(p) <= 65536 for p in parts), "a part longer than a datagram")
    return b"".join(parts)


def pattern(size, binary):
    if binary:
        return bytes((i * 7 + i // 256) % 256 for i in range(size))
    return bytes(ord("a") + i % 26 for i in range(size))


def test_liblogd_splits_and_the_parts_rejoin():
    size = 200000
    with Logd() as d:
        p = d.spawn([SENDER, "big", "big", str(size)])
        check(p.wait(60) == 0, "sender failed")
        check(d.stop() == 0, "logd exited non-zero")
        lines = d.lines("big")
        check(joined(lines, p.pid, 4) == pattern(size, False), "rejoined message differs")
        check(all(parse(x)["prio"] == "notice" for x in lines), "priority of the parts")


def test_two_binary_messages_split_at_once_rejoin_per_sender():
    # Every byte value, so escapes fall on the cut points; two senders at once,
    # so their parts interleave in one stream and are told apart by pid.
    size = 200000
    with Logd() as d:
        ps = [d.spawn([SENDER, "bigbin", "bin", str(size)]) for _ in range(2)]
        for p in ps:
            check(p.wait(60) == 0, "sender failed")
        check(d.stop() == 0, "logd exited non-zero")
        lines = d.lines("bin")
        for p in ps:
            check(joined(lines, p.pid, 4) == pattern(size, True),
                  "pid %d: rejoined binary message differs" % p.pid)
        st = d.stopped()
        check(st["records"] == len(lines) and st["written"] == len(lines),
              "records=%d written=%d, %d lines" % (st["records"], st["written"], len(lines)))


def test_liblogd_message_cut_by_a_failed_part_ends_there():
    # A nonblocking sender's 1 MB message (16 parts) into a stopped logd: the
    # first parts fit in the socket, a later one fails with EAGAIN.
    size = 1000000
    with Logd() as d:
        c = Repl(d, "cut", "nonblock")
        d.proc.send_signal(signal.SIGSTOP)
        try:
            got = c.big(size)
        finally:
            d.proc.send_signal(signal.SIGCONT)
        check(got == (0, 1, 1, "EAGAIN"), "the message did not fail with EAGAIN while logd "
              "was stopped (test premise): %s" % (got,))
        sync(d, "cut")
        check(c.send(1, "after") == (1, 0, 1, "0"), "the record after the cut message")
        c.close()
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = d.lines("cut")
        check_cut(lines, c.p.pid, size, "notice", b"after 0")
        check(dropped_sum(lines, c.p.pid) == 1, "markers: %d dropped, want 1" %
              dropped_sum(lines, c.p.pid))


def check_cut(lines, pid, size, prio, after):
    """pid's messages in lines, markers aside, are a prefix of pattern(size)
    at prio, then after at info."""
    msgs = [(p, m) for _, p, m in messages(lines, pid)]
    check(any(parse(x)["more"] for x in lines), "no part was sent (test premise)")
    check(len(msgs) == 2 and msgs[1] == ("info", after),
          "the messages after the cut one: %s" % [(p, m[:40]) for p, m in msgs[1:]])
    check(msgs[0][0] == prio and 0 < len(msgs[0][1]) < size and
          pattern(size, False).startswith(msgs[0][1]),
          "the cut message is not a prefix of the message: %r..." % msgs[0][1][-80:])


def test_logctl_cat_line_cut_by_a_failed_datagram_ends_there():
    # logctl cat --nonblock reads a 1 MB line (16 datagrams) while logd is
    # stopped: the first datagrams fit in the socket, the later ones fail.
    size = 1000000
    with Logd() as d:
        p = d.spawn([LOGCTL, "cat", "--nonblock", "-s", "cutcat"], stdin=subprocess.PIPE,
                    stderr=subprocess.PIPE, bufsize=0)
        feed_while_stopped(d, p, lambda stdin: stdin.write(pattern(size, False) + b"\n"))
        sync(d, "cutcat")
        p.stdin.write(b"after\n")
        p.stdin.close()
        err = p.stderr.read().decode()
        check(p.wait(60) == 1 and "busy" in err, "logctl cat exited %s: %s" % (p.returncode, err))
        lost = int(re.search(r"(\d+) records? could not be delivered", err).group(1))
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = d.lines("cutcat")
        check_cut(lines, p.pid, size, "info", b"after")
        check(dropped_sum(lines, p.pid) == lost, "markers: %d dropped, logctl lost %d" %
              (dropped_sum(lines, p.pid), lost))


def test_logctl_cat_splits_a_long_line():
    # 150,000 bytes with tabs, backslashes, escapes and UTF-8, but no newline.
    unit = "ABC\tdef\\é✓\x1b\x7f".encode()
    line = (unit * (150000 // len(unit) + 1))[:150000]
    with Logd() as d:
        p = d.spawn([LOGCTL, "cat", "-s", "long"], stdin=subprocess.PIPE)
        try:
            p.stdin.write(line + b"\nshort\n" + line[:70000])   # the last line has no newline
            p.stdin.close()
        except BrokenPipeError:
            pass
        check(p.wait(60) == 0, "logctl cat failed")
        check(d.stop() == 0, "logd exited non-zero")
        lines = d.lines("long")
        got = messages(lines)
        check([m for _, _, m in got] == [line, b"short", line[:70000]],
              "rejoined lines differ: %d messages of %s bytes" %
              (len(got), [len(m) for _, _, m in got]))
        check(all(pid == p.pid and prio == "info" for pid, prio, _ in got), "pid or priority")
        check(len(lines) >= 3 + 2 + 1, "150,000 bytes in fewer than 3 records: %d lines" %
              len(lines))


if __name__ == "__main__":
    main([test_liblogd_splits_and_the_parts_rejoin,
          test_two_binary_messages_split_at_once_rejoin_per_sender,
          test_liblogd_message_cut_by_a_failed_part_ends_there,
          test_logctl_cat_line_cut_by_a_failed_datagram_ends_there,
          test_logctl_cat_splits_a_long_line])
