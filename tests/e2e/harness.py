"""harness.py - start the real logd in a temporary directory, talk to it, read its files.

Every test script imports this.  Paths of the binaries come from the
environment (set by tests/e2e/meson.build): LOGD, LOGCTL, E2E_SENDER.
LOGD_VALGRIND=1 runs logd under valgrind (errors make it exit 99).
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

LOGD = os.environ.get("LOGD", "logd")
LOGCTL = os.environ.get("LOGCTL", "logctl")
SENDER = os.environ.get("E2E_SENDER", "e2e_sender")
VALGRIND = os.environ.get("LOGD_VALGRIND") == "1"
SLOW = 10 if VALGRIND else 1

PRIORITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
LINE_RE = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (emerg|alert|crit|err|warning|notice|info|debug)"
    r" \[(\d+)(\+?)\] (.*)$")


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def wait_for(cond, what, timeout=30.0):
    """Polls cond() every 10 ms until it is true, or fails after timeout seconds."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Fail("timed out after %.0f s waiting for %s" % (timeout * SLOW, what))
        time.sleep(0.01)


# --- the wire format, written again from logd-protocol(7) as a cross-check ---

def record(stream, msg, prio=6, flags=0, ts=0, fields=b"", reserved=0):
    if isinstance(stream, str):
        stream = stream.encode()
    if isinstance(msg, str):
        msg = msg.encode()
    length = 20 + len(stream) + len(fields) + len(msg)
    return struct.pack("<IBBBBQHH", length, prio, flags, len(stream), reserved, ts,
                       len(fields), 0) + stream + fields + msg


def field(ftype, value):
    return struct.pack("<BH", ftype, len(value)) + value


def datagram(*records, magic=b"logd", version=1, flags=0):
    return magic + struct.pack("<BBH", version, flags, 0) + b"".join(records)


def unescape(s):
    """Undoes logd's text escaping: \\\\ \\n \\r \\t \\xNN."""
    out = bytearray()
    b = s.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(b):
        c = b[i]
        if c != 0x5c:
            out.append(c)
            i += 1
            continue
        n = b[i + 1:i + 2]
        if n == b"x":
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            out += {b"\\": b"\\", b"n": b"\n", b"r": b"\r", b"t": b"\t"}[n]
            i += 2
    return bytes(out)


def parse(line):
    m = LINE_RE.match(line)
    check(m is not None, "not a logd line: %r" % line)
    ts, prio, pid, more, msg = m.groups()
    return {"ts": ts, "prio": prio, "pid": int(pid), "more": more == "+", "msg": msg}


class Logd:
    """A real logd on a socket and log dir in a fresh temporary directory."""

    def __init__(self, config=None, args=(), start=True):
        self.dir = tempfile.mkdtemp(prefix="logd-e2e-")
        self.sock = os.path.join(self.dir, "sock")
        self.logs = os.path.join(self.dir, "logs")
        self.conf = "/dev/null"
        if config is not None:
            self.conf = os.path.join(self.dir, "logd.conf")
            with open(self.conf, "w") as f:
                f.write(config)
        self.args = list(args)
        self.proc = None
        self.children = []
        self.env = dict(os.environ, LOGD_SOCKET=self.sock)
        if start:
            self.start()

    def command(self):
        cmd = [LOGD, "--config", self.conf, "--socket", self.sock, "--log-dir", self.logs]
        if VALGRIND:
            cmd = ["valgrind", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite", "-q"] + cmd
        return cmd + self.args

    def start(self):
        self.errpath = os.path.join(self.dir, "stderr.%d" % len(self.children))
        self.errfile = open(self.errpath, "w")
        self.proc = subprocess.Popen(self.command(), stderr=self.errfile,
                                     stdin=subprocess.DEVNULL)
        wait_for(lambda: "ready:" in self.stderr() or self.proc.poll() is not None,
                 "logd to print ready:")
        check(self.proc.poll() is None,
              "logd exited at start (%s): %s" % (self.proc.returncode, self.stderr()))

    def stderr(self):
        with open(self.errpath) as f:
            return f.read()

    def spawn(self, argv, **kw):
        """Starts a client process with LOGD_SOCKET set; stopped at cleanup."""
        kw.setdefault("env", self.env)
        p = subprocess.Popen(argv, **kw)
        self.children.append(p)
        return p

    def run(self, argv, **kw):
        kw.setdefault("env", self.env)
        kw.setdefault("capture_output", True)
        kw.setdefault("timeout", 60 * SLOW)
        return subprocess.run(argv, **kw)

    def send(self, *dgrams):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.connect(self.sock)
            for d in dgrams:
                s.send(d)
        finally:
            s.close()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals logd and waits for it; returns its exit status."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail("logd did not exit within %d s of signal %d" % (timeout * SLOW, sig))

    def stopped(self):
        """The counters of logd's final 'stopped:' line."""
        m = re.findall(r"logd: stopped: (.*)", self.stderr())
        check(len(m) == 1, "expected one 'stopped:' line, got: %s" % self.stderr())
        return {k: int(v) for k, v in (kv.split("=") for kv in m[0].split())}

    def path(self, stream):
        return os.path.join(self.logs, stream, "current.log")

    def lines(self, stream):
        try:
            with open(self.path(stream), encoding="utf-8", errors="surrogateescape") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        check(data == "" or data.endswith("\n"), "%s does not end in a newline" % stream)
        return data.splitlines()

    def cleanup(self):
        for p in self.children:
            if p.poll() is None:
                p.kill()
            p.wait()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.errfile.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def main(tests):
    """Runs each test function; prints a line per test; exits 1 if any failed."""
    failed = 0
    for t in tests:
        t0 = time.monotonic()
        try:
            t()
            print("ok   %s (%.2f s)" % (t.__name__, time.monotonic() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - report every kind of failure
            failed += 1
            print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e), flush=True)
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
