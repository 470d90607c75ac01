"""Unmodified programs log to logd: util-linux logger (RFC 3164 and 5424),
Python's SysLogHandler and glibc's syslog(3) (in a private mount namespace
where logd's syslog socket is /dev/log) send text datagrams to
--syslog-socket; each lands in the stream of its ident, with its severity,
ident, the kernel's pid and its message, in order per sender, and its other
header fields in JSON lines.  Hostile bytes on that socket never fail: each
datagram is one record."""
import json
import logging
import logging.handlers
import os
import random
import shutil
import socket
import subprocess

from harness import SLOW, Logd, Skip, check, main, parse, stats, unescape, wait_for

SYSLOG_SENDER = os.environ.get("E2E_SYSLOG", "e2e_syslog")


def logd(config=""):
    d = Logd(config=config, start=False)
    d.syslog = os.path.join(d.dir, "syslog")
    d.args += ["--syslog-socket", d.syslog]
    d.start()
    return d


def msgs(d, stream):
    """The messages of a stream's lines, each with its tag: "tag: message"."""
    return [parse(x)["msg"] for x in d.lines(stream)]


def send(d, *dgrams):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        for g in dgrams:
            s.sendto(g, d.syslog)
    finally:
        s.close()


def logger(d, *args):
    if shutil.which("logger") is None:
        raise Skip("logger (util-linux) is not installed")
    r = d.run(["logger", "-u", d.syslog] + list(args), text=True)
    check(r.returncode == 0, "logger %s: %s" % (args, r.stderr))


def test_logger_rfc3164_and_rfc5424():
    with logd("[stream s5424]\nformat = json\n") as d:
        logger(d, "--rfc3164", "-t", "s3164", "-p", "local0.warning", "three one six four")
        logger(d, "--rfc3164", "-t", "s3164", "-p", "user.debug", "-i", "with its pid")
        logger(d, "--rfc5424", "-t", "s5424", "-p", "auth.err", "--msgid", "M1",
               "--sd-id", "meta@32473", "--sd-param", 'ip="10.0.0.1"',
               "--sd-param", r'quote="a\"b"', "five four two four")
        wait_for(lambda: len(d.lines("s3164")) == 2 and len(d.lines("s5424")) == 1,
                 "the three records")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = d.lines("s3164")
        check(lines[0].split(" ", 1)[1] == "warning [%d] s3164: three one six four" %
              parse(lines[0])["pid"], "the ident before the message: %s" % lines[0])
        a, b = [parse(x, tagged=True) for x in lines]
        check(a["prio"] == "warning" and a["tag"] == "s3164" and
              a["msg"] == "three one six four" and a["pid"] > 1 and not a["own"],
              "rfc3164: %s" % a)
        check(b["prio"] == "debug" and b["tag"] == "s3164" and b["msg"] == "with its pid",
              "-i: %s" % b)
        o = json.loads(d.lines("s5424")[0])
        check(o["priority"] == "err" and o["ident"] == "s5424" and
              o["message"] == "five four two four" and o["pid"] > 1, "rfc5424: %s" % o)
        f = o["fields"]
        check(f["facility"] == "auth" and f["msgid"] == "M1" and
              f["sd_meta_32473_ip"] == "10.0.0.1" and f["sd_meta_32473_quote"] == 'a"b' and
              f.get("hostname"), "rfc5424 fields: %s" % f)


def test_python_syslog_handler():
    with logd() as d:
        h = logging.handlers.SysLogHandler(address=d.syslog,
                                           facility=logging.handlers.SysLogHandler.LOG_DAEMON)
        h.setFormatter(logging.Formatter("pyapp: %(message)s"))
        log = logging.getLogger("test_syslog")
        log.addHandler(h)
        log.setLevel(logging.DEBUG)
        try:
            log.error("an error")
            log.info("some info")
            log.debug("new\nline")
        finally:
            log.removeHandler(h)
            h.close()
        wait_for(lambda: len(d.lines("pyapp")) == 3, "python's records")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        recs = [parse(x) for x in d.lines("pyapp")]
        check([(r["prio"], r["msg"]) for r in recs] ==
              [("err", "pyapp: an error"), ("info", "pyapp: some info"),
               ("debug", "pyapp: new\\nline")], "python: %s" % recs)
        check(all(r["pid"] == os.getpid() for r in recs), "not the kernel's pid: %s" % recs)


def test_glibc_syslog_through_dev_log():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        raise Skip("needs root and unshare to give logd's socket the name /dev/log")
    with logd("[syslog]\nmap = glibcprog:apps\n") as d:
        # A private mount namespace: /dev/log is logd's socket for this one program.
        script = ('[ -e /dev/log ] || { mount -t tmpfs tmpfs /dev && touch /dev/log; } && '
                  'mount --bind "$0" /dev/log && exec "$1" glibcprog 200')
        r = d.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                   d.syslog, SYSLOG_SENDER], text=True)
        if r.returncode != 0 and "mount" in r.stderr:
            raise Skip("cannot mount in a private namespace here: %s" % r.stderr.strip())
        check(r.returncode == 0, "e2e_syslog: %s" % r.stderr)
        wait_for(lambda: len(d.lines("apps")) == 200, "glibc's 200 records in stream apps")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        recs = [parse(x) for x in d.lines("apps")]
        check([r["msg"] for r in recs] == ["glibcprog: glibc %d" % i for i in range(200)],
              "glibc: %s" % recs[:3])
        check(all(r["prio"] == "warning" and r["pid"] == recs[0]["pid"] and r["pid"] > 1
                  for r in recs), "priority or pid: %s" % recs[:3])


def test_streams_by_facility_map_and_sanitized_ident():
    conf = "[syslog]\nstream = facility\nmap = sshd:auth, cron:jobs\n"
    with logd(conf) as d:
        send(d, b"<38>Dec  1 12:00:00 sshd[1]: Accepted publickey",
             b"<78>Dec  1 12:00:00 cron[2]: job done\n",
             b"<134>Dec  1 12:00:00 web: by facility local0",
             b"<13>bare message, no header\x00\x00")
        wait_for(lambda: len(d.lines("auth")) == 1 and len(d.lines("jobs")) == 1 and
                 len(d.lines("local0")) == 1 and len(d.lines("user")) == 1, "four streams")
        check(msgs(d, "auth") == ["sshd: Accepted publickey"], "auth: %s" % msgs(d, "auth"))
        check(msgs(d, "jobs") == ["cron: job done"], "jobs: %s" % msgs(d, "jobs"))
        check(msgs(d, "user") == ["bare message, no header"], "user: %s" % msgs(d, "user"))
        check(d.stop() == 0, "logd exited non-zero")
    with logd() as d:
        send(d, b"<14>Dec  1 12:00:00 ../../etc/x: not a path",
             b"<14>Dec  1 12:00:00 .hidden: no dot first",
             b"no PRI, no ident at all")
        wait_for(lambda: sum(len(d.lines(s)) for s in d.streams() if s != "logd") == 3,
                 "the three records")
        check(sorted(s for s in d.streams() if s != "logd") ==
              ["_._.._etc_x", "_hidden", "syslog"], "streams: %s" % d.streams())
        check(not os.path.exists(os.path.join(d.dir, "etc")), "a path escaped the log dir")
        check(d.stop() == 0, "logd exited non-zero")


def test_a_claimed_pid_is_a_field_never_the_records():
    with logd("[defaults]\nformat = json\n") as d:
        send(d, b"<13>Dec  1 12:00:00 liar[1]: I am init")
        wait_for(lambda: len(d.lines("liar")) == 1, "the record")
        o = json.loads(d.lines("liar")[0])
        check(o["pid"] == os.getpid() and o["fields"]["claimed_pid"] == "1",
              "pid %s, fields %s" % (o["pid"], o.get("fields")))
        check(d.stop() == 0, "logd exited non-zero")


def test_several_senders_under_load_in_order_and_hostile_bytes_never_fail():
    n, senders = 5000 // SLOW, 4
    with logd() as d:
        procs = [d.spawn(["logger", "-u", d.syslog, "--rfc3164", "-t", "load%d" % i],
                         stdin=subprocess.PIPE) for i in range(senders)]
        for i, p in enumerate(procs):
            p.stdin.write(b"".join(b"seq %d\n" % j for j in range(n)))
            p.stdin.close()
        for p in procs:
            check(p.wait(60 * SLOW) == 0, "logger exited %s" % p.returncode)
        rnd = random.Random(14)
        junk = [bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300)))
                for _ in range(2000 // SLOW)]
        junk += [b"<", b"<999>", b"<13>1 ", b"<13>1 - - - - - [", b"<13>Dec  1 ", b"\x00" * 50]
        send(d, *junk)
        for i in range(senders):
            wait_for(lambda: len(d.lines("load%d" % i)) == n, "load%d's records" % i)
            check(msgs(d, "load%d" % i) == ["load%d: seq %d" % (i, j) for j in range(n)],
                  "load%d: lost or out of order" % i)
        wait_for(lambda: stats(d)["records_received"] == senders * n + len(junk),
                 "every datagram a record")
        st = stats(d)
        check(st["malformed"] == 0, "syslog text is never malformed: %s" % st)
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = sum((d.lines(s) for s in d.streams()), [])
        for x in lines:     # every line one of logd's, whatever the bytes
            parse(x)
            unescape(parse(x)["msg"])


def test_systemds_socket_named_syslog():
    with Logd(start=False) as d:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(d.sock)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        sl = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        d.syslog = os.path.join(d.dir, "systemd-syslog")
        sl.bind(d.syslog)
        sl.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        d.listen = [(sl, "syslog"), (s, "socket")]
        d.start()
        check("syslog text on %s" % d.syslog in d.stderr(), "ready line: %s" % d.stderr())
        send(d, b"<30>Dec  1 12:00:00 unitapp[7]: through systemd's socket")
        wait_for(lambda: msgs(d, "unitapp") == ["unitapp: through systemd's socket"],
                 "the record")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        s.close()
        sl.close()


if __name__ == "__main__":
    main([test_logger_rfc3164_and_rfc5424, test_python_syslog_handler,
          test_glibc_syslog_through_dev_log, test_streams_by_facility_map_and_sanitized_ident,
          test_a_claimed_pid_is_a_field_never_the_records,
          test_several_senders_under_load_in_order_and_hostile_bytes_never_fail,
          test_systemds_socket_named_syslog])
