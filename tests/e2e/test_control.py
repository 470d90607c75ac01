"""The control socket and logctl stats, streams, rotate, reload; Prometheus text
(logctl stats --prometheus, and /metrics scraped by curl); bad control clients
never disturb logging; the SIGUSR1 state dump; the crash backtrace."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from harness import (LOGCTL, SANITIZED, SENDER, Logd, Skip, check, datagram, main, parse,
                     record, stats, wait_for)
from test_rotate import archives


def load(d, stream, ident, n, prio=6):
    p = d.spawn([SENDER, "load", stream, str(ident), str(n), str(prio)],
                stdout=subprocess.DEVNULL)
    check(p.wait(60) == 0, "e2e_sender load %s failed" % stream)


def test_stats_equal_what_was_sent_and_written():
    with Logd() as d:
        load(d, "app", 1, 3000)
        load(d, "web", 2, 500)
        wait_for(lambda: len(d.lines("app")) == 3000 and len(d.lines("web")) == 500,
                 "every record on disk")
        wait_for(lambda: stats(d)["records_written"] == 3500, "the writer's counters")
        st = stats(d)
        check(st["records_received"] == 3500 and st["records_written"] == 3500,
              "received %s, written %s, want 3500" % (st["records_received"],
                                                       st["records_written"]))
        for key in ("malformed", "queue_bytes", "queue_high_water_bytes", "rotations",
                    "fsyncs", "bytes_written"):
            check(isinstance(st[key], int), "no %s: %s" % (key, st))
        check(set(st["dropped"]) >= {"queue_full", "rate_limited", "client_reported",
                                     "too_large", "too_many_streams", "unwritable"},
              "dropped reasons: %s" % st["dropped"])
        check(sum(st["dropped"].values()) == 0, "dropped: %s" % st["dropped"])
        check(st["write_latency_us"]["p50"] <= st["write_latency_us"]["p99"] and
              st["write_latency_us"]["count"] > 0, "latency: %s" % st["write_latency_us"])
        size = {s: os.path.getsize(d.path(s)) for s in ("app", "web", "logd")}
        for name, n in (("app", 3000), ("web", 500)):
            s = st["streams"][name]
            check(s == {"records_received": n, "records_written": n,
                        "bytes_written": size[name], "dropped": 0, "queue_bytes": 0},
                  "%s: %s (file %d bytes)" % (name, s, size[name]))
        check(st["bytes_written"] == sum(x["bytes_written"] for x in st["streams"].values()),
              "bytes_written is not the sum of the streams'")
        # The table says the same.
        r = d.ctl("stats")
        check(r.returncode == 0 and re.search(r"^records received +3500$", r.stdout, re.M) and
              re.search(r"^app +3000 +3000 +%d +0 +0$" % size["app"], r.stdout, re.M),
              "table: %s" % r.stdout)
        # streams: files and bytes on disk are the directory's.
        r = d.ctl("streams", "--json")
        check(r.returncode == 0, "logctl streams: %s" % r.stderr)
        rows = {x["name"]: x for x in json.loads(r.stdout)["streams"]}
        check(rows["app"]["files"] == 1 and rows["app"]["disk_bytes"] == size["app"] and
              rows["app"]["last_write"] is not None, "streams: %s" % rows["app"])
        r = d.ctl("streams")
        check(re.search(r"^web +1 +[0-9.]+ (B|KiB) +\d+ +\d{4}-\d\d-\d\dT", r.stdout, re.M),
              "streams table: %s" % r.stdout)
        check(d.stop() == 0, "logd exit: %s" % d.stderr())


PROM_LINE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?P<labels>[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*"'
    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*")*)\})? (?P<value>-?[0-9.e+]+|NaN|[+-]Inf)$')


def check_prometheus(text):
    """Every line is HELP, TYPE or a sample of the family they announced; returns
    {sample name with labels: value}."""
    check(text.endswith("\n"), "no final newline")
    families, samples, current = {}, {}, None
    for line in text.splitlines():
        m = re.match(r"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$", line)
        if m:
            kind, name, rest = m.groups()
            if kind == "HELP":
                check(name not in families, "%s described twice" % name)
                families[name] = None
                current = name
            else:
                check(name == current and rest in ("counter", "gauge", "summary"),
                      "TYPE out of place: %r" % line)
                families[name] = rest
                check(rest != "counter" or name.endswith("_total"), "counter %s" % name)
            continue
        m = PROM_LINE.match(line)
        check(m is not None, "not a sample: %r" % line)
        name = m.group("name")
        base = re.sub(r"_(sum|count)$", "", name) if families.get(current) == "summary" else name
        check(base == current, "sample %s outside its family %s" % (name, current))
        samples[line.rsplit(" ", 1)[0]] = float(m.group("value"))
    return samples


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_prometheus_text_is_valid_and_served_at_metrics():
    if shutil.which("curl") is None:
        raise Skip("curl is not installed (scripts/deps.sh installs it)")
    port = free_port()
    with Logd(config="[daemon]\nmetrics_listen = 127.0.0.1:%d\n" % port) as d:
        load(d, "app", 1, 100)
        wait_for(lambda: stats(d)["records_written"] == 100, "the records written")
        r = d.ctl("stats", "--prometheus")
        check(r.returncode == 0, "logctl stats --prometheus: %s" % r.stderr)
        got = check_prometheus(r.stdout)
        check(got["logd_records_received_total"] == 100, "received: %s" % got)
        check(got['logd_stream_records_written_total{stream="app"}'] == 100, "app: %s" % got)
        check(got['logd_dropped_records_total{reason="rate_limited"}'] == 0, "reasons")
        check('logd_write_latency_seconds{quantile="0.99"}' in got, "no latency summary")
        c = subprocess.run(["curl", "-sS", "--fail", "--max-time", "10",
                            "http://127.0.0.1:%d/metrics" % port], capture_output=True, text=True)
        check(c.returncode == 0, "curl: %s" % c.stderr)
        scraped = check_prometheus(c.stdout)
        check(set(scraped) == set(got), "/metrics and logctl differ: %s" %
              (set(scraped) ^ set(got)))
        check(scraped["logd_records_written_total"] == 100, "scraped: %s" % scraped)
        c = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://127.0.0.1:%d/other" % port], capture_output=True, text=True)
        check(c.stdout == "404", "/other: %s" % c.stdout)
        check(d.stop() == 0, "logd exit: %s" % d.stderr())
    # An address that is not numeric is refused when the configuration is read.
    with Logd(config="[daemon]\nmetrics_listen = localhost:9465\n", start=False) as d:
        r = d.run([os.environ.get("LOGD", "logd"), "--config", d.conf, "--check-config"],
                  text=True)
        check(r.returncode == 1 and "not a numeric address" in r.stderr, "check: %s" % r.stderr)


def test_rotate_named_and_all():
    with Logd() as d:
        for s in ("a", "b"):
            d.send(datagram(record(s, "before")))
        wait_for(lambda: d.lines("a") and d.lines("b"), "both on disk")
        r = d.ctl("rotate", "a")
        check(r.returncode == 0, "rotate a: %s" % r.stderr)
        # The reply comes once the writer has done it: no waiting here.
        check(len(archives(d, "a")) == 1 and archives(d, "b") == [],
              "after rotate a: %s %s" % (archives(d, "a"), archives(d, "b")))
        r = d.ctl("rotate")
        check(r.returncode == 0, "rotate: %s" % r.stderr)
        check(len(archives(d, "b")) == 1 and len(archives(d, "logd")) == 1,
              "after rotate: %s %s" % (archives(d, "b"), archives(d, "logd")))
        r = d.ctl("rotate", "nosuch")
        check(r.returncode == 1 and "no stream \"nosuch\"" in r.stderr, "nosuch: %s" % r.stderr)
        check(stats(d)["rotations"] == 3, "rotations: %s" % stats(d)["rotations"])
        d.send(datagram(record("a", "after")))
        check(d.stop() == 0, "logd exit: %s" % d.stderr())
        check([parse(x)["msg"] for x in d.lines("a")] == ["after"], "a: %s" % d.lines("a"))


def test_reload_applies_the_file_and_refuses_a_broken_one():
    with Logd(config="[defaults]\nformat = text\n") as d:
        d.send(datagram(record("r", "as text")))
        wait_for(lambda: len(d.lines("r")) == 1, "the first record")
        with open(d.conf, "w") as f:
            f.write("[defaults]\nformat = json\n")
        r = d.ctl("reload")
        check(r.returncode == 0, "reload: %s" % r.stderr)
        d.send(datagram(record("r", "as json")))

        def json_first():
            lines = d.lines("r")    # read once: the writer may move current.log aside meanwhile
            return lines and lines[0].startswith("{")

        # The new format starts a new file: current.log holds the JSON line alone.
        wait_for(json_first, "the second record")
        check(json.loads(d.lines("r")[0])["message"] == "as json", "not JSON after reload")
        with open(d.conf, "w") as f:
            f.write("[defaults]\nformat = yaml\n")
        r = d.ctl("reload")
        check(r.returncode == 1 and "has errors" in r.stderr, "broken reload: %s" % r.stderr)
        check(d.stop() == 0, "logd exit: %s" % d.stderr())


def test_state_changes_are_refused_to_another_user():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        raise Skip("needs root and setpriv to run logctl as another user")
    with Logd() as d:
        os.chmod(d.dir, 0o755)
        d.send(datagram(record("p", "x")))
        wait_for(lambda: d.lines("p"), "the record")
        # Group 0 reaches the 0660 socket, as a member of logd's group would.
        nobody = ["setpriv", "--reuid=65534", "--regid=0", "--clear-groups", "--", LOGCTL]
        for cmd in (["rotate"], ["rotate", "p"], ["reload"]):
            r = d.run(nobody + cmd, text=True)
            check(r.returncode == 1 and "permission denied" in r.stderr,
                  "%s as uid 65534: %s %s" % (cmd, r.returncode, r.stderr))
        r = d.run(nobody + ["stats", "--json"], text=True)
        check(r.returncode == 0 and json.loads(r.stdout)["records_received"] == 1,
              "stats as uid 65534: %s" % r.stderr)
        check(archives(d, "p") == [], "rotated anyway")
        check(stat_mode(d.control) == 0o660, "control socket mode %o" % stat_mode(d.control))
        check(d.stop() == 0, "logd exit: %s" % d.stderr())


def stat_mode(path):
    return os.stat(path).st_mode & 0o777


def test_rate_limit_counts_and_marks():
    conf = ("[stream rl]\nrate_limit_interval = 1s\nrate_limit_burst = 10\n"
            "[stream forever]\nrate_limit_interval = 1h\nrate_limit_burst = 5\n")
    with Logd(config=conf) as d:
        p = d.spawn([LOGCTL, "cat", "-s", "rl"], stdin=subprocess.PIPE)
        p.stdin.write(b"".join(b"line %d\n" % i for i in range(100)))
        p.stdin.close()
        check(p.wait(30) == 0, "logctl cat failed")
        # crit and worse are never limited.
        for i in range(20):
            d.send(datagram(record("rl", "crit %d" % i, prio=2)))
        wait_for(lambda: any("rate limit" in x for x in d.lines("rl")), "the marker", 10)
        lines = [parse(x) for x in d.lines("rl")]
        info = [x for x in lines if x["prio"] == "info"]
        marks = [x for x in lines if "(rate limit)" in x["msg"]]
        check(len(info) == 10, "%d info lines, want the burst of 10" % len(info))
        check(len([x for x in lines if x["prio"] == "crit"]) == 20, "crit lines limited")
        check(len(marks) == 1 and marks[0]["msg"] == "dropped 90 records: pid %d sent "
              "more than 10 records in 1 s (rate limit)" % p.pid and marks[0]["own"],
              "marker: %s" % marks)
        st = stats(d)
        check(st["dropped"]["rate_limited"] == 90 and st["streams"]["rl"]["dropped"] == 90 and
              st["streams"]["rl"]["records_received"] == 120, "stats: %s" % st)
        # A window still open at shutdown is reported then.
        p = d.spawn([LOGCTL, "cat", "-s", "forever"], stdin=subprocess.PIPE)
        p.stdin.write(b"".join(b"f %d\n" % i for i in range(30)))
        p.stdin.close()
        check(p.wait(30) == 0, "logctl cat failed")
        wait_for(lambda: stats(d)["dropped"]["rate_limited"] == 115, "25 more suppressed")
        check(d.stop() == 0, "logd exit: %s" % d.stderr())
        lines = d.lines("forever")
        check(len(lines) == 6 and lines[-1].endswith("[logd] dropped 25 records: pid %d sent "
              "more than 5 records in 3600 s (rate limit)" % p.pid), "forever: %s" % lines)


def test_rate_limit_state_is_bounded_and_every_suppression_reported():
    # More senders than the limiter tracks (64): the oldest are forgotten, their
    # counts kept; the markers still add up to every suppressed record.
    conf = "[stream bomb]\nrate_limit_interval = 1h\nrate_limit_burst = 1\n"
    n = 100
    with Logd(config=conf) as d:
        for i in range(n):
            p = d.spawn([LOGCTL, "cat", "-s", "bomb"], stdin=subprocess.PIPE)
            p.communicate(b"a %d\nb %d\nc %d\n" % (i, i, i), timeout=30)
            check(p.returncode == 0, "logctl cat failed")
        wait_for(lambda: stats(d)["dropped"]["rate_limited"] == 2 * n, "every record counted")
        check(d.stop() == 0, "logd exit: %s" % d.stderr())
        lines = [parse(x) for x in d.lines("bomb")]
        total = sum(int(re.match(r"dropped (\d+) records", x["msg"]).group(1))
                    for x in lines if x["own"] and x["msg"].startswith("dropped "))
        check(total == 2 * n, "markers add up to %d, want %d" % (total, 2 * n))
        check(len([x for x in lines if not x["own"]]) == n, "one line each")
        check(any("more senders than logd tracks" in x["msg"] for x in lines),
              "no marker for the forgotten senders")


def test_bad_control_clients_never_disturb_logging():
    conf = "[daemon]\ncontrol_timeout = 500ms\ncontrol_max_clients = 8\n"
    with Logd(config=conf) as d:
        sender = d.spawn([SENDER, "load", "busy", "1", "20000", "6"], stdout=subprocess.DEVNULL)

        def conn():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)

            def attempt():
                try:
                    s.connect(d.control)
                    return True
                except BlockingIOError:
                    return False    # the backlog is full: logd has not accepted yet
            wait_for(attempt, "a control connection")
            return s

        def reply(s):
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data

        # Garbage: an error reply, then closed.
        s = conn()
        s.sendall(b"\x00\xffgarbage{\n")
        got = reply(s)
        check(b'"ok":false' in got and b"not a JSON request" in got, "garbage: %r" % got)
        check(s.recv(10) == b"", "not closed after garbage")
        s.close()
        # A well-formed but wrong request: an error reply, and the client stays.
        s = conn()
        s.sendall(b'{"cmd":"launch"}\n{"cmd":"stats"}\n')
        got = reply(s)
        while got.count(b"\n") < 2:
            got += reply(s)
        first, second = got.split(b"\n")[:2]
        check(b"unknown command" in first, "unknown command: %r" % first)
        check(b'"ok":true' in second, "the next request on the same connection: %r" % second)
        s.close()
        # 1 MiB without a newline: refused at 64 KiB, closed.
        s = conn()
        try:
            s.sendall(b"x" * (1 << 20))
        except OSError:
            pass
        got = reply(s)
        check(b"longer than 65536 bytes" in got, "1 MiB line: %r" % got[:200])
        s.close()
        # An idle client is dropped after control_timeout.
        s = conn()
        t0 = time.monotonic()
        check(s.recv(10) == b"", "idle client not dropped")
        check(time.monotonic() - t0 < 5, "dropped late")
        s.close()
        # 1000 connections: 8 are served, the rest told so and closed.
        held, refused = [], 0
        for _ in range(1000):
            s = conn()
            held.append(s)
        for s in held[8:]:
            if b"too many control clients" in reply(s):
                refused += 1
        check(refused == 992, "%d of 992 turned away" % refused)
        for s in held:
            s.close()
        check(sender.wait(60) == 0, "the sender failed")
        wait_for(lambda: len(d.lines("busy")) == 20000, "every record on disk")
        wait_for(lambda: d.ctl("stats").returncode == 0, "the control socket to serve again")
        check(d.stop() == 0, "logd exit: %s" % d.stderr())
        st = d.stopped()
        check(st["records"] == st["written"] == 20000, "stopped: %s" % st)


def test_sigusr1_dumps_every_stream():
    with Logd() as d:
        load(d, "dumped", 1, 7)
        wait_for(lambda: len(d.lines("dumped")) == 7, "the records")
        wait_for(lambda: stats(d)["streams"]["dumped"]["records_written"] == 7, "counted")
        c = d.counters()    # the SIGUSR1 counters line is still there, first
        check(c["records"] == 7, "counters: %s" % c)
        wait_for(lambda: "state: 0 control clients" in d.stderr() or
                 "state: 1 control clients" in d.stderr(), "the end of the dump")
        err = d.stderr()
        check(re.search(r"state: stream dumped: queue 0 bytes, current\.log %d bytes, last "
                        r"write \d{4}-.*Z, received 7, written 7, dropped 0" %
                        os.path.getsize(d.path("dumped")), err), "stream line: %s" % err)
        check(re.search(r"state: stream logd: ", err), "no line for logd's own stream")
        check(re.search(r"state: writer: (waiting for work|writing), last step \d+ ms ago", err),
              "writer line: %s" % err)
        check(re.search(r"state: queue: \d+ of \d+ bytes", err), "queue line: %s" % err)


def test_a_crash_prints_a_backtrace_and_dies_of_the_signal():
    if SANITIZED:
        raise Skip("the sanitizers handle SIGSEGV themselves")
    with Logd() as d:
        d.proc.send_signal(signal.SIGSEGV)
        rc = d.wait()
        check(rc == -signal.SIGSEGV, "exit %s, want death by SIGSEGV" % rc)
        err = d.stderr()
        check("logd: crashed: SIGSEGV; backtrace:" in err, "no backtrace header: %s" % err)
        frames = err.split("backtrace:\n", 1)[1].splitlines()
        check(len(frames) >= 3 and all(re.search(r"\[0x[0-9a-f]+\]$", f) for f in frames[:3]),
              "frames: %s" % frames)


if __name__ == "__main__":
    main([test_stats_equal_what_was_sent_and_written,
          test_prometheus_text_is_valid_and_served_at_metrics,
          test_rotate_named_and_all,
          test_reload_applies_the_file_and_refuses_a_broken_one,
          test_state_changes_are_refused_to_another_user,
          test_rate_limit_counts_and_marks,
          test_rate_limit_state_is_bounded_and_every_suppression_reported,
          test_bad_control_clients_never_disturb_logging,
          test_sigusr1_dumps_every_stream,
          test_a_crash_prints_a_backtrace_and_dies_of_the_signal])
