"""logctl tail and logctl show against the real logd: the last lines, following
across rotations, time ranges across plain and zstd archives and current.log,
--grep, --json, and the errors.  Records carry explicit times (a day ago, so
that archives, named for when logd rotated, are later than their lines)."""
import datetime
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

from harness import (LOGCTL, SLOW, Logd, check, datagram, main, parse, record, wait_for)

S = 10**9
T0 = (int(time.time()) - 86400) * S     # a day ago, on a whole second
# No archive removed on a test machine short of disk; the records' times (hours
# and days ago) are the lines' times.
KEEP = "[daemon]\nkeep_free = 0\nmax_clock_skew = 0\n"
PRIO = {n: i for i, n in enumerate(["emerg", "alert", "crit", "err", "warning", "notice",
                                    "info", "debug"])}


def stamp(ns):
    """logd's stamp of a time in ns."""
    t = datetime.datetime.fromtimestamp(ns // S, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (ns % S // 1000)


def rfc(ns):
    """A TIME argument for ns, as RFC 3339 in UTC."""
    return stamp(ns)


def logctl(logs, *args, env=None):
    """Runs logctl with --log-dir logs; returns (exit status, stdout lines, stderr)."""
    r = subprocess.run([LOGCTL] + list(args) + (["--log-dir", logs] if logs else []),
                       capture_output=True, timeout=60 * SLOW, env=env)
    out = r.stdout.decode("utf-8", "surrogateescape")
    return r.returncode, out.splitlines(), r.stderr.decode("utf-8", "surrogateescape")


def send(d, stream, items):
    """items: (time in ns, priority, message) each; sent in datagrams of 20."""
    recs = [record(stream, msg, prio=prio, ts=ts) for ts, prio, msg in items]
    for i in range(0, len(recs), 20):
        d.send(datagram(*recs[i:i + 20]))


def archives(d, stream):
    """The stream's archives, oldest first: one name each (.log.zst once compressed)."""
    names = set(os.listdir(os.path.join(d.logs, stream)))
    return sorted(n for n in names if n.endswith(".log.zst") or
                  (n.endswith("Z.log") and n + ".zst" not in names))


def rotate(d, streams, zst=False):
    """SIGUSR2, and waits until each stream has one more archive (compressed, with zst)."""
    before = {s: len(archives(d, s)) for s in streams}
    d.proc.send_signal(signal.SIGUSR2)
    for s in streams:
        wait_for(lambda: len([n for n in archives(d, s) if not zst or n.endswith(".log.zst")])
                 == before[s] + 1, "the rotation of %s" % s)


def file_lines(d, stream):
    """Every line of a stream's files, archives first (zstd decompressed by zstd(1))."""
    out = []
    for name in archives(d, stream) + ["current.log"]:
        path = os.path.join(d.logs, stream, name)
        if name.endswith(".zst"):
            data = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
        else:
            with open(path, "rb") as f:
                data = f.read()
        out += data.decode("utf-8", "surrogateescape").splitlines()
    return out


def merged(*streams):
    """Lines of several streams as logctl merges them: by time, "name: " before each."""
    tagged = [(parse(line)["ts"], i, name + ": " + line)
              for i, (name, lines) in enumerate(streams) for line in lines]
    return [x[2] for x in sorted(tagged, key=lambda x: (x[0], x[1]))]


class Follower:
    """logctl tail -f in the background; its output read as it comes."""

    def __init__(self, d, logs, *args):
        self.p = d.spawn([LOGCTL, "tail", "-f", "--log-dir", logs] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.buf = b""
        self.lines = []

    def read(self, timeout):
        """Reads what is there within timeout s; returns the time it took."""
        t0 = time.monotonic()
        fd = self.p.stdout.fileno()
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return time.monotonic() - t0
            if not data:
                self.p.wait(30)
                raise AssertionError("logctl tail -f ended (%s): %s" %
                                     (self.p.returncode, self.p.stderr.read()))
            self.buf += data
            *done, self.buf = self.buf.split(b"\n")
            self.lines += [x.decode("utf-8", "surrogateescape") for x in done]
        return time.monotonic() - t0

    def wait(self, n, what):
        """Waits until it has printed n lines in all."""
        deadline = time.monotonic() + 30 * SLOW
        while len(self.lines) < n:
            check(time.monotonic() < deadline, "timed out waiting for %s: %d of %d lines" %
                  (what, len(self.lines), n))
            self.read(0.1)
        return self.lines

    def stop(self):
        self.p.terminate()
        self.p.wait(30)
        return self.p.stderr.read().decode()


# --- tail -------------------------------------------------------------------

def test_tail_prints_the_last_lines_merged_by_time_and_by_priority():
    with Logd(config=KEEP) as d:
        prios = [6, 3, 4, 7, 2, 6]
        send(d, "a", [(T0 + 2 * i * S, prios[i % 6], "a %d" % i) for i in range(40)])
        send(d, "b", [(T0 + (2 * i + 1) * S, 6, "b %d" % i) for i in range(40)])
        wait_for(lambda: len(d.lines("a")) == 40 and len(d.lines("b")) == 40, "80 lines")
        a, b = d.lines("a"), d.lines("b")
        rc, out, err = logctl(d.logs, "tail", "-n", "5", "a")
        check(rc == 0 and out == a[-5:], "tail -n 5 a: %d %s %s" % (rc, out, err))
        rc, out, err = logctl(d.logs, "tail", "a")
        check(rc == 0 and out == a[-10:], "tail a (10 by default): %s" % out)
        rc, out, err = logctl(d.logs, "tail", "-n", "5", "a", "b")
        check(rc == 0 and out == merged(("a", a[-5:]), ("b", b[-5:])),
              "tail -n 5 a b: %s" % out)
        want = [x for x in a if PRIO[parse(x)["prio"]] <= 4][-3:]
        rc, out, err = logctl(d.logs, "tail", "-n", "3", "-p", "warning", "a")
        check(rc == 0 and out == want, "tail -p warning: %s, want %s" % (out, want))
        rc, out, err = logctl(d.logs, "tail", "-n", "3", "-p", "4", "a")
        check(rc == 0 and out == want, "tail -p 4: %s" % out)
        # Fewer lines in current.log than asked: the archive before it too.
        rotate(d, ["a"])
        send(d, "a", [(T0 + 100 * S, 6, "a after")])
        wait_for(lambda: len(d.lines("a")) == 1, "the line after the rotation")
        rc, out, err = logctl(d.logs, "tail", "-n", "4", "a")
        check(rc == 0 and out == a[-3:] + d.lines("a"), "tail -n 4 across a rotation: %s" % out)
        rc, out, err = logctl(d.logs, "tail", "-n", "0", "a")
        check(rc == 0 and out == [], "tail -n 0: %s" % out)
        check(d.stop() == 0, "logd exit status")


def test_the_log_dir_comes_from_logd_when_not_given():
    with Logd() as d:
        send(d, "asked", [(T0, 6, "found by asking logd")])
        wait_for(lambda: len(d.lines("asked")) == 1, "the line")
        env = {k: v for k, v in d.env.items() if k != "LOGD_LOG_DIR"}   # LOGD_CONTROL is set
        rc, out, err = logctl(None, "tail", "-n", "1", "asked", env=env)
        check(rc == 0 and out == d.lines("asked"), "tail via the control socket: %d %s %s" %
              (rc, out, err))
        # No logd to ask: logd's default, and no word about the socket.
        env["LOGD_CONTROL"] = os.path.join(d.dir, "nothing-here")
        rc, out, err = logctl(None, "show", "asked", env=env)
        check(rc == 1 and "/var/log/logd" in err and "control socket" not in err,
              "show with no logd to ask: %d %s" % (rc, err))
        check(d.stop() == 0, "logd exit status")


def test_tail_follow_across_rotations_loses_and_repeats_nothing():
    conf = KEEP + "[stream z]\ncompress = zstd\n"
    with Logd(config=conf) as d:
        send(d, "p", [(T0, 6, "p start")])
        send(d, "z", [(T0, 6, "z start")])
        wait_for(lambda: d.lines("p") and d.lines("z"), "the first lines")
        f = Follower(d, d.logs, "-n", "1", "p", "z")
        f.wait(2, "the last line of each stream")
        n, want = 1, {"p": ["p start"], "z": ["z start"]}
        for rnd in range(9):
            if rnd == 6:
                # Three rotations while it cannot look: z's archives compressed meanwhile.
                f.p.send_signal(signal.SIGSTOP)
            items = [(T0 + (n + i) * S, 6, "%d" % (n + i)) for i in range(40)]
            send(d, "p", [(ts, pr, "p " + m) for ts, pr, m in items])
            send(d, "z", [(ts, pr, "z " + m) for ts, pr, m in items])
            want["p"] += ["p " + m for _, _, m in items]
            want["z"] += ["z " + m for _, _, m in items]
            n += 40
            # SIGUSR2 rotates what logd has written (not its open batches): wait for that.
            on_disk = 41 if rnd == 0 else 40       # the first round after the start line
            wait_for(lambda: len(d.lines("p")) == on_disk and len(d.lines("z")) == on_disk,
                     "round %d on disk" % rnd)
            if rnd % 2 == 0 and rnd < 6:
                f.wait(2 * n, "the lines of round %d" % rnd)   # else it reads them after
            rotate(d, ["p", "z"])
        wait_for(lambda: not any(x.endswith("Z.log") for x in os.listdir(os.path.join(
            d.logs, "z"))), "z's archives compressed")
        f.p.send_signal(signal.SIGCONT)
        f.wait(2 * n, "every line")
        f.read(0.2)     # and nothing more
        check(len(f.lines) == 2 * n, "%d lines, want %d" % (len(f.lines), 2 * n))
        for s in "pz":
            got = [parse(x.split(": ", 1)[1])["msg"] for x in f.lines if x.startswith(s + ": ")]
            check(got == want[s], "stream %s: lost, repeated or out of order: %s" % (s, got))
            check([x.split(": ", 1)[1] for x in f.lines if x.startswith(s + ": ")] ==
                  file_lines(d, s), "stream %s: not the lines of its files" % s)
        err = f.stop()
        check(err == "", "logctl tail -f said: %s" % err)
        check(any(n.endswith(".zst") for n in archives(d, "z")), "no zstd archive of z")
        check(d.stop() == 0, "logd exit status")


def test_tail_follow_shows_a_new_record_within_the_flush_interval():
    with Logd(config="[daemon]\nkeep_free = 0\nflush_interval = 100ms\n") as d:
        d.send(datagram(record("q", "first")))
        wait_for(lambda: d.lines("q"), "the first line")
        f = Follower(d, d.logs, "-n", "1", "q")
        f.wait(1, "the first line")
        latencies = []
        for i in range(7):
            t0 = time.monotonic()
            d.send(datagram(record("q", "r%d" % i)))
            while len(f.lines) < i + 2:
                check(time.monotonic() - t0 < 10 * SLOW, "record r%d never came" % i)
                f.read(0.5)
            latencies.append(time.monotonic() - t0)
        print("     latencies (ms): %s" % " ".join("%.0f" % (x * 1000) for x in latencies))
        # flush_interval + 50 ms; the median, as the suite runs two tests at a time.
        limit = 0.150 * SLOW * (2 if os.environ.get("LOGD_SANITIZED") == "1" else 1)
        check(statistics.median(latencies) <= limit, "median latency %.0f ms over %.0f ms" %
              (statistics.median(latencies) * 1000, limit * 1000))
        check(f.lines[1:] == [x for x in d.lines("q")[1:]], "the lines: %s" % f.lines)
        f.stop()
        check(d.stop() == 0, "logd exit status")


def test_tail_follow_waits_for_a_missing_file_and_takes_a_replaced_one():
    top = tempfile.mkdtemp(prefix="logd-e2e-read-")
    try:
        with Logd(start=False) as d:       # no daemon: only for spawn() and cleanup
            h = os.path.join(top, "h")
            os.mkdir(h)

            def line(i):
                return stamp(T0 + i * S) + " info [1] h %d\n" % i

            def write(name, lines, mode="a"):
                with open(os.path.join(h, name), mode) as fh:
                    fh.write("".join(line(i) for i in lines))
            write("current.log", range(0, 3))
            f = Follower(d, top, "-n", "2", "h")
            f.wait(2, "the last 2 lines")
            write("current.log", range(3, 5))
            f.wait(4, "two lines appended")
            # Rotated away: nothing under the name for a while, then a new file.
            os.rename(os.path.join(h, "current.log"), os.path.join(h, stamp(T0 + 5 * S) + ".log"))
            f.read(0.3)
            check(f.p.poll() is None, "logctl tail -f ended when current.log went away")
            write("current.log", range(5, 7))
            f.wait(6, "the new current.log")
            # Replaced at once by a rename over it.
            write("new.tmp", range(7, 9), "w")
            os.rename(os.path.join(h, "new.tmp"), os.path.join(h, "current.log"))
            f.wait(8, "the replacing file")
            f.read(0.2)
            check(f.lines == [line(i).rstrip("\n") for i in range(1, 9)], "lines: %s" % f.lines)
            f.stop()
    finally:
        shutil.rmtree(top, ignore_errors=True)


# --- show -------------------------------------------------------------------

def build_rotated(d, streams, zst=False):
    """30 records a stream at T0 + i s (+ 0.5 s for the second stream), in two
    archives and current.log: lines 0-9, 10-19, 20-29."""
    for part in range(3):
        for k, s in enumerate(streams):
            send(d, s, [(T0 + i * S + k * S // 2, [6, 3, 7][i % 3], "%s %d" % (s, i))
                        for i in range(10 * part, 10 * part + 10)])
        for s in streams:
            wait_for(lambda: len(d.lines(s)) == 10, "10 lines in %s" % s)
        if part < 2:
            rotate(d, streams, zst)
    return {s: file_lines(d, s) for s in streams}


def check_show(d, lines, zst):
    p, q = lines["p"], lines["q"]
    check(len(p) == 30 and len(archives(d, "p")) == 2, "30 lines in 3 files")
    check(all(n.endswith(".zst") == zst for n in archives(d, "p")), "archive names")
    rc, out, err = logctl(d.logs, "show", "p")
    check(rc == 0 and out == p, "show p: %d %s" % (rc, err))
    # Bounds inside each file, both included.
    for lo, hi in [(5, 24), (0, 29), (10, 19), (12, 12), (25, 29), (3, 8)]:
        rc, out, err = logctl(d.logs, "show", "p", "--since", rfc(T0 + lo * S),
                              "--until", rfc(T0 + hi * S))
        check(rc == 0 and out == p[lo:hi + 1], "show p %d..%d: %s %s" % (lo, hi, out, err))
    rc, out, err = logctl(d.logs, "show", "p", "q", "-S", rfc(T0 + 8 * S), "-U",
                          rfc(T0 + 21 * S))
    check(rc == 0 and out == merged(("p", p[8:22]), ("q", q[8:21])), "show p q: %s" % out)
    # Other forms of the same instants.
    t = datetime.datetime.fromtimestamp(T0 // S + 15, datetime.timezone(
        datetime.timedelta(hours=5, minutes=30)))
    rc, out, err = logctl(d.logs, "show", "p", "--since", t.isoformat(), "--until",
                          "@%d.5" % (T0 // S + 17))
    check(rc == 0 and out == p[15:18], "offset and @: %s %s" % (out, err))
    rc, out, err = logctl(d.logs, "show", "p", "-p", "err", "--since", rfc(T0 + 3 * S))
    check(rc == 0 and out == [x for x in p[3:] if parse(x)["prio"] == "err"], "-p err: %s" % out)
    rc, out, err = logctl(d.logs, "show", "p", "--until", rfc(T0 - S))
    check(rc == 0 and out == [], "before every line: %s" % out)


def test_show_time_ranges_across_plain_archives_and_current_log():
    with Logd(config=KEEP) as d:
        check_show(d, build_rotated(d, ["p", "q"]), False)
        check(d.stop() == 0, "logd exit status")


def test_show_time_ranges_across_zstd_archives_and_current_log():
    with Logd(config=KEEP + "[defaults]\ncompress = zstd\n") as d:
        check_show(d, build_rotated(d, ["p", "q"], True), True)
        check(d.stop() == 0, "logd exit status")


def test_show_relative_times():
    now = time.time_ns()
    with Logd(config=KEEP) as d:
        ago = [180, 90, 30, 1]      # minutes
        send(d, "r", [(now - m * 60 * S, 6, "%d min ago" % m) for m in ago])
        wait_for(lambda: len(d.lines("r")) == 4, "4 lines")
        for args, want in [(["--since", "-1h"], [30, 1]),
                           (["--since", "2 hours ago", "--until", "-10min"], [90, 30]),
                           (["--since", "-2h", "--until", "now"], [90, 30, 1]),
                           (["--since", "yesterday"], None), (["--until", "tomorrow"], ago)]:
            rc, out, err = logctl(d.logs, "show", "r", *args)
            if want is None:
                # Local midnight of yesterday: at least the last 24 h.
                check(rc == 0 and len(out) == 4, "%s: %s %s" % (args, out, err))
                continue
            got = [int(parse(x)["msg"].split()[0]) for x in out]
            check(rc == 0 and got == want, "%s: %s, want %s (%s)" % (args, got, want, err))
        check(d.stop() == 0, "logd exit status")


def test_show_grep_matches_the_message_as_sent():
    with Logd(config=KEEP) as d:
        msgs = ["alpha 1", "beta 2", "gamma 3", "alpha beta", "tab\there", "quote \" and \\",
                "line\nbreak", "ALPHA 4"]
        send(d, "g", [(T0 + i * S, 3 if i % 2 else 6, m) for i, m in enumerate(msgs)])
        wait_for(lambda: len(d.lines("g")) == len(msgs), "the lines")
        lines = d.lines("g")
        for pattern, want in [("^(alpha|gamma) [0-9]+$", [0, 2]), ("beta", [1, 3]),
                              ("tab\there", [4]), ('" and \\\\$', [5]), ("line\nbreak", [6]),
                              ("^[A-Z]+ ", [7]), ("[0-9]$", [0, 1, 2, 7]), ("nothing", [])]:
            rc, out, err = logctl(d.logs, "show", "g", "--grep", pattern)
            check(rc == 0 and out == [lines[i] for i in want], "--grep %r: %s, want %s %s" %
                  (pattern, out, [lines[i] for i in want], err))
        rc, out, err = logctl(d.logs, "show", "g", "-g", "[0-9]$", "-p", "err")
        check(rc == 0 and out == [lines[1], lines[7]], "--grep with -p: %s" % out)
        check(d.stop() == 0, "logd exit status")


def test_json_output_is_json_lines_with_the_messages_as_sent():
    conf = KEEP + "[stream j]\nformat = json\n"
    msgs = [b"plain", b"quote \" backslash \\", b"nl \n tab \t cr \r", b"ctl \x01\x1b\x7f",
            "utf-8 \u00e9\u20ac\U0001f600".encode(), b"bad \xff\xfe end", b""]
    with Logd(config=conf) as d:
        send(d, "t", [(T0 + i * S, i % 8, m) for i, m in enumerate(msgs)])
        send(d, "j", [(T0 + i * S + S // 2, i % 8, m) for i, m in enumerate(msgs)])
        wait_for(lambda: len(d.lines("t")) == len(msgs) and len(d.lines("j")) == len(msgs),
                 "the lines")
        for cmd in (["show", "--json", "t", "j"], ["tail", "-n", "100", "--json", "t", "j"]):
            rc, out, err = logctl(d.logs, *cmd)
            check(rc == 0 and len(out) == 2 * len(msgs), "%s: %d %s" % (cmd, rc, err))
            objs = [json.loads(x) for x in out]
            for i, m in enumerate(msgs):
                want = m.decode("utf-8", "replace") if b"\xff" not in m else "bad \xff\xfe end"
                for o, stream, line in [(objs[2 * i], "t", d.lines("t")[i]),
                                        (objs[2 * i + 1], "j", d.lines("j")[i])]:
                    check(o["stream"] == stream and o["message"] == want and
                          o["priority"] == list(PRIO)[i % 8] and
                          o["ts"] == stamp(T0 + i * S + (S // 2 if stream == "j" else 0)),
                          "%s: %s, want message %r" % (cmd, o, want))
                    check(o["pid"] == os.getpid(), "pid %s" % o["pid"])
                    if stream == "j":
                        check(out[2 * i + 1] == line, "a JSON line passed as it is")
                    else:
                        check(list(o) == ["ts", "priority", "stream", "pid", "message"],
                              "the keys of a converted line: %s" % list(o))
        check(d.stop() == 0, "logd exit status")


def test_show_seeks_in_a_large_stream_and_reads_little_of_it():
    """Files written here in logd's format: 3 archives and current.log, 19 MB."""
    top = tempfile.mkdtemp(prefix="logd-e2e-read-")
    try:
        big = os.path.join(top, "big")
        os.mkdir(big)
        n, per = 200000, 50000
        for part in range(4):
            last = T0 + ((part + 1) * per - 1) * S // 10
            name = "current.log" if part == 3 else stamp(last + S // 20) + ".log"
            with open(os.path.join(big, name), "w") as fh:
                fh.write("".join("%s info [42] line %07d %s\n" % (
                    stamp(T0 + i * S // 10), i, "x" * 40) for i in range(part * per,
                                                                     (part + 1) * per)))
        total = sum(os.path.getsize(os.path.join(big, x)) for x in os.listdir(big))

        def rchar():
            with open("/proc/self/io") as fh:
                return int(next(x for x in fh if x.startswith("rchar:")).split()[1])
        for lo, hi in [(n - n // 100, None), (150000, 150100), (99990, 100010), (0, 5)]:
            args = ["show", "big", "--since", rfc(T0 + lo * S // 10)]
            if hi is not None:
                args += ["--until", rfc(T0 + hi * S // 10)]
            before = rchar()
            rc, out, err = logctl(top, *args)
            used = rchar() - before - sum(len(x) + 1 for x in out)   # less the pipe's
            end = n if hi is None else hi + 1
            check(rc == 0 and len(out) == end - lo and
                  out[0].split()[4] == "%07d" % lo and out[-1].split()[4] == "%07d" % (end - 1),
                  "show %s..%s: %d lines %s" % (lo, hi, len(out), err))
            # The range, the skew (60 s: 600 lines) and the search's probes.
            check(used < (end - lo + 600) * 90 + 1000000,
                  "read %d bytes of %d for %d lines" % (used, total, end - lo))
    finally:
        shutil.rmtree(top, ignore_errors=True)


# --- errors -----------------------------------------------------------------

def test_errors_say_what_is_wrong_with_the_usual_exit_status():
    with Logd(config=KEEP) as d:
        send(d, "e", [(T0, 6, "one")])
        wait_for(lambda: d.lines("e"), "the line")
        for args, status, what in [
                (["show", "nope"], 1, 'no stream "nope" in %s' % d.logs),
                (["tail", "e", "nope"], 1, 'no stream "nope"'),
                (["show", "e", "--since", "next tuesday"], 2, 'bad time "next tuesday"'),
                (["show", "e", "--until", "9999-01-01"], 2, "out of range"),
                (["show", "e", "--since", "-1h", "--until", "-2h"], 2, "--since is after"),
                (["show", "e", "--grep", "(unclosed"], 2, 'bad regular expression "(unclosed"'),
                (["show", "e", "-p", "loud"], 2, 'bad priority "loud"'),
                (["tail", "-n", "-3", "e"], 2, "bad number of lines '-3'"),
                (["tail", "-n", "x", "e"], 2, "bad number of lines"),
                (["tail", "--since", "-1h", "e"], 2, "unknown option '--since'"),
                (["show", "-f", "e"], 2, "unknown option '-f'"),
                (["show", "e", "--log-dir", d.logs, "--grep"], 2, "missing value"),
                (["show"], 2, "show: no STREAM"),
                (["tail"], 2, "tail: no STREAM"),
                (["show", "a/b"], 2, 'bad stream name "a/b"')]:
            rc, out, err = logctl(None if "--log-dir" in args else d.logs, *args)
            check(rc == status and what in err and out == [],
                  "%s: exit %d (want %d): %s" % (args, rc, status, err))
        # The log dir: missing, not a directory; $LOGD_LOG_DIR when there is no --log-dir.
        for bad in [os.path.join(d.dir, "missing"), os.path.join(d.logs, "e", "current.log")]:
            rc, out, err = logctl(bad, "show", "e")
            check(rc == 1 and "cannot open the log directory %s" % bad in err,
                  "log dir %s: %d %s" % (bad, rc, err))
        rc, out, err = logctl(None, "show", "e", env=dict(os.environ, LOGD_LOG_DIR=d.logs))
        check(rc == 0 and out == d.lines("e"), "LOGD_LOG_DIR: %d %s" % (rc, err))
        # A corrupt zstd archive: said, the rest still shown, exit 1.
        with open(os.path.join(d.logs, "e", stamp(T0 - S) + ".log.zst"), "wb") as fh:
            fh.write(b"\x28\xb5\x2f\xfd garbage")
        rc, out, err = logctl(d.logs, "show", "e")
        check(rc == 1 and "not a whole zstd file" in err and out == d.lines("e"),
              "corrupt archive: %d %s %s" % (rc, out, err))
        check(d.stop() == 0, "logd exit status")


def test_help_of_each_command():
    for cmd, words in [("tail", ["Usage: logctl tail", "--follow", "--lines", "--log-dir"]),
                       ("show", ["Usage: logctl show", "--since", "--until", "--grep", "TIME:",
                                 "ago"])]:
        for flag in ["--help", "-h"]:
            r = subprocess.run([LOGCTL, cmd, flag], capture_output=True, text=True, timeout=60)
            check(r.returncode == 0 and all(w in r.stdout for w in words),
                  "logctl %s %s: %s" % (cmd, flag, r.stdout))
    r = subprocess.run([LOGCTL, "--help"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "logctl tail" in r.stdout and "logctl show" in r.stdout,
          "logctl --help: %s" % r.stdout)


if __name__ == "__main__":
    main([test_tail_prints_the_last_lines_merged_by_time_and_by_priority,
          test_the_log_dir_comes_from_logd_when_not_given,
          test_tail_follow_across_rotations_loses_and_repeats_nothing,
          test_tail_follow_shows_a_new_record_within_the_flush_interval,
          test_tail_follow_waits_for_a_missing_file_and_takes_a_replaced_one,
          test_show_time_ranges_across_plain_archives_and_current_log,
          test_show_time_ranges_across_zstd_archives_and_current_log,
          test_show_relative_times,
          test_show_grep_matches_the_message_as_sent,
          test_json_output_is_json_lines_with_the_messages_as_sent,
          test_show_seeks_in_a_large_stream_and_reads_little_of_it,
          test_errors_say_what_is_wrong_with_the_usual_exit_status,
          test_help_of_each_command])
