"""A record is always one line: control bytes are escaped C-style, UTF-8 kept."""
from harness import LOGCTL, Logd, check, datagram, main, parse, record, unescape

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
]


def test_messages_are_escaped_to_one_line():
    with Logd() as d:
        d.send(*[datagram(record("esc", raw)) for raw, _ in CASES])
        r = d.run([LOGCTL, "send", "-s", "esc2", "tab\there", "back\\slash"])
        check(r.returncode == 0, "logctl send failed: %s" % r.stderr)
        check(d.stop() == 0, "logd exited non-zero")
        got = [parse(x)["msg"] for x in d.lines("esc")]
        check(got == [want for _, want in CASES], "escaped lines: %r" % got)
        check([unescape(g) for g in got] == [raw for raw, _ in CASES], "unescape round trip")
        got = [parse(x)["msg"] for x in d.lines("esc2")]
        check(got == ["tab\\there back\\\\slash"], "logctl send line: %r" % got)


if __name__ == "__main__":
    main([test_messages_are_escaped_to_one_line])
