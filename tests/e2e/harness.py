"""harness.py - start the real logd in a temporary directory, talk to it, read its files.

Every test script imports this.  Paths of the binaries come from the
environment (set by tests/e2e/meson.build): LOGD, LOGCTL, E2E_SENDER, E2E_FIELDS.
LOGD_VALGRIND=1 runs logd under valgrind memcheck (errors and definite leaks
make it exit 99); without valgrind installed, main() exits 77 so meson
reports the test as skipped.  A memcheck finding fails the test even where
the test does not look at logd's exit status: cleanup() stops a logd still
running with SIGTERM (so the leak check runs) and fails on an exit status
of 99 or a valgrind report in any of its runs' stderr.
"""
import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time

LOGD = os.environ.get("LOGD", "logd")
LOGCTL = os.environ.get("LOGCTL", "logctl")
SENDER = os.environ.get("E2E_SENDER", "e2e_sender")
FIELDS = os.environ.get("E2E_FIELDS", "e2e_fields")
VALGRIND = os.environ.get("LOGD_VALGRIND") == "1"
SANITIZED = os.environ.get("LOGD_SANITIZED") == "1"    # ASan + UBSan build
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
SLOW = 10 if VALGRIND else 1

PRIORITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
LINE_RE = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (emerg|alert|crit|err|warning|notice|info|debug)"
    r" \[(\d+|logd)(\+?)(?: @(\S{27}))?\] (.*)$")
# A caller at the message's start, as logd writes it ("?" for a name not given).
CALLER_RE = re.compile(r"^(\S+):(\d{1,10}) (\S+)\(\): (.*)$")


class Skip(Exception):
    """A test that cannot run here (say, no permission to mount); main() reports it."""


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


def sends_as_another_pid():
    """Whether a program we run has CAP_SYS_ADMIN, so that logctl cat -- CMD
    sends as CMD's pid (else as its own)."""
    with open("/proc/self/status") as f:
        caps = dict(line.rstrip("\n").split(":\t") for line in f if line.startswith("Cap"))
    return bool(int(caps["CapBnd" if os.geteuid() == 0 else "CapAmb"], 16) & (1 << 21))


def parse(line, tagged=False):
    """A text line's parts; "own" for one of logd's own ("[logd]", pid None),
    "claimed" the sender's claimed time where it was not taken, "file",
    "line", "func" the caller before the message (None where the line has
    none; file and func still escaped).  A tag ("[1234] TAG: message") is
    part of the message, as a reader cannot tell it from one that starts
    "word: "; with tagged, the line must have one, and "tag" is it (then the
    caller after it)."""
    m = LINE_RE.match(line)
    check(m is not None, "not a logd line: %r" % line)
    ts, prio, pid, more, claimed, msg = m.groups()
    own = pid == "logd"
    file = lineno = func = tag = None
    if tagged:
        check(": " in msg, "no tag: %r" % line)
        tag, msg = msg.split(": ", 1)
    c = CALLER_RE.match(msg)
    if c is not None:
        file, lineno, func, msg = c.groups()
        file = None if file == "?" else file
        func = None if func == "?" else func
        lineno = int(lineno)
    return {"ts": ts, "prio": prio, "pid": None if own else int(pid), "own": own,
            "more": more == "+", "claimed": claimed, "tag": tag, "file": file,
            "line": lineno, "func": func, "msg": msg}


class Logd:
    """A real logd on a socket and log dir in a fresh temporary directory."""

    def __init__(self, config=None, args=(), start=True):
        self.dir = tempfile.mkdtemp(prefix="logd-e2e-")
        self.sock = os.path.join(self.dir, "sock")
        self.control = os.path.join(self.dir, "control")
        self.logs = os.path.join(self.dir, "logs")
        self.conf = "/dev/null"
        if config is not None:
            self.conf = os.path.join(self.dir, "logd.conf")
            with open(self.conf, "w") as f:
                f.write(config)
        self.args = list(args)
        self.wrap = []          # a command logd runs under (setpriv ...)
        self.cwd = None         # logd's working directory (None: the test's)
        self.proc = None
        self.errfile = None
        self.starts = 0
        self.children = []
        self.env = dict(os.environ, LOGD_SOCKET=self.sock, LOGD_CONTROL=self.control)
        self.logd_env = {}      # more environment for logd itself
        self.listen = None      # sockets passed as systemd does: [(socket, name)] from fd 3
        self.cleaned = False
        if start:
            self.start()

    def command(self):
        cmd = [LOGD, "--config", self.conf, "--socket", self.sock, "--log-dir", self.logs,
               "--control", self.control]
        if VALGRIND:
            # Only definite leaks are errors, and only errors are shown: any
            # "==PID==" line on stderr is a finding (valgrind_errors()).
            cmd = ["valgrind", "--vgdb=no", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
                   "--track-fds=no", "-q"] + \
                (["--suppressions=" + os.environ["LOGD_VALGRIND_SUPPRESSIONS"]]
                 if os.environ.get("LOGD_VALGRIND_SUPPRESSIONS") else []) + cmd
        return self.wrap + cmd + self.args

    def start(self):
        """Starts logd (again, after stop() or a kill: each run has its own stderr file)."""
        if self.errfile is not None:
            self.errfile.close()
        self.errpath = os.path.join(self.dir, "stderr.%d" % self.starts)
        self.starts += 1
        self.errfile = open(self.errpath, "w")
        cmd, env, kw = self.command(), None, {}
        if self.logd_env or self.listen is not None:
            env = dict(os.environ, **self.logd_env)
            # LISTEN_PID and WATCHDOG_PID must be logd's own pid: the shell's, kept by exec.
            cmd = ["sh", "-c", 'export LISTEN_PID=$$ WATCHDOG_PID=$$; exec "$@"', "sh"] + cmd
        if self.listen is not None:
            env.update(LISTEN_FDS=str(len(self.listen)),
                       LISTEN_FDNAMES=":".join(name for _, name in self.listen))
            # Each to its place from fd 3 on, by way of fds above them all.
            fds = [s.fileno() for s, _ in self.listen]
            top = 100 + max(fds + [3 + len(fds)])

            def place():
                for i, fd in enumerate(fds):
                    os.dup2(fd, top + i)
                for i in range(len(fds)):
                    os.dup2(top + i, 3 + i)
                    os.close(top + i)
            kw = dict(pass_fds=tuple(range(3, 3 + len(fds))), preexec_fn=place)
        self.proc = subprocess.Popen(cmd, stderr=self.errfile, stdin=subprocess.DEVNULL,
                                     cwd=self.cwd, env=env, **kw)
        wait_for(lambda: "ready:" in self.stderr() or self.proc.poll() is not None,
                 "logd to print ready:")
        check(self.proc.poll() is None,
              "logd exited at start (%s): %s" % (self.proc.returncode, self.stderr()))

    def ctl(self, *args, **kw):
        """Runs logctl ARGS against this logd's control socket; returns the CompletedProcess."""
        kw.setdefault("text", True)
        return self.run([LOGCTL] + list(args), **kw)

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
        return self.wait(timeout, "of signal %d" % sig)

    def wait(self, timeout=60, what="of the signal"):
        """Waits for logd to exit (killing it after timeout s); returns its exit status."""
        try:
            return self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail("logd did not exit within %d s %s" % (timeout * SLOW, what))

    def stopped(self):
        """The counters of logd's final 'stopped:' line."""
        m = re.findall(r"logd: stopped: (.*)", self.stderr())
        check(len(m) == 1, "expected one 'stopped:' line, got: %s" % self.stderr())
        return {k: int(v) for k, v in (kv.split("=") for kv in m[0].split())}

    def counters(self):
        """The counters now: SIGUSR1 makes logd print them; waits for the new line."""
        before = self.stderr().count("logd: SIGUSR1: ")
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.stderr().count("logd: SIGUSR1: ") > before, "logd's SIGUSR1 line")
        line = re.findall(r"logd: SIGUSR1: (.*)", self.stderr())[before]
        return {k: int(v) for k, v in (kv.split("=") for kv in line.split())}

    def peak_rss(self):
        """logd's peak resident set size (VmHWM) in bytes."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        raise Fail("no VmHWM in /proc/%d/status" % self.proc.pid)

    def path(self, stream):
        return os.path.join(self.logs, stream, "current.log")

    def streams(self):
        """The streams in the log dir (its directories; not logd's .lock file)."""
        return sorted(x for x in os.listdir(self.logs)
                      if not x.startswith(".") and os.path.isdir(os.path.join(self.logs, x)))

    def lines(self, stream):
        """The stream's lines.  While logd runs, only the whole ones (a write may
        be under way); once it has exited, the file must end in a newline."""
        try:
            with open(self.path(stream), encoding="utf-8", errors="surrogateescape") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        # Lines end in "\n" alone (as grep sees them): str.splitlines() would also
        # split at U+0085 and U+2028, which a message may hold.
        if self.proc is not None and self.proc.poll() is None:
            # logd may be in the middle of a write: what is whole so far.
            return data[:data.rfind("\n") + 1].split("\n")[:-1]
        check(data == "" or data.endswith("\n"), "%s does not end in a newline" % stream)
        return data.split("\n")[:-1]

    def cleanup(self, check_valgrind=None):
        """Stops every process and removes the directory.  Under valgrind, then
        fails on memcheck's findings (prints them instead if check_valgrind is
        false; by default, if an exception is on its way already: a test that
        failed reports its own failure)."""
        if check_valgrind is None:
            check_valgrind = sys.exc_info()[0] is None
        if self.cleaned:
            return      # a test's finally: did it, then its with statement's end
        self.cleaned = True
        for p in self.children:
            if p.poll() is None:
                p.kill()
            p.wait()
        if self.proc is not None and self.proc.poll() is None:
            if VALGRIND:
                # SIGTERM, so memcheck looks for leaks at exit; a logd that
                # cannot exit (a stuck disk) is killed after a while.
                self.proc.terminate()
                try:
                    self.proc.wait(60)
                except subprocess.TimeoutExpired:
                    pass
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
        if self.errfile is not None:
            self.errfile.close()
        found = self.valgrind_errors() if VALGRIND and self.proc is not None else ""
        shutil.rmtree(self.dir, ignore_errors=True)
        if found and check_valgrind:
            raise Fail("valgrind memcheck found errors in logd:\n" + found)
        if found:
            print("valgrind memcheck found errors in logd:\n" + found, flush=True)

    def valgrind_errors(self):
        """valgrind's reports (its "==PID==" lines, -q prints nothing else) in the
        stderr of every run, and the last run's exit status if it was 99."""
        out = []
        for i in range(self.starts):
            with open(os.path.join(self.dir, "stderr.%d" % i), errors="replace") as f:
                out += [x for x in f.read().splitlines() if re.match(r"==\d+== ", x)]
        if self.proc.returncode == 99:
            out.append("logd exited 99: valgrind's --error-exitcode")
        return "\n".join(out[:200])

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.cleanup(check_valgrind=exc_type is None)


class Repl:
    """e2e_sender repl: "N TEXT" on its stdin sends N records "TEXT i" (from each
    thread, as "TEXT t.i", when flags end with a thread count)."""

    def __init__(self, d, stream, *flags):
        self.p = d.spawn([SENDER, "repl", stream] + list(flags), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, bufsize=1)

    def send(self, n, text):
        """Returns (sent, failed, dropped so far, errno name of the last failure)."""
        return self.command("%d %s" % (n, text))

    def big(self, size):
        """Sends one message of size bytes ('a' + i % 26, at notice); returns as send()."""
        return self.command("big %d" % size)

    def command(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline()
        m = re.match(r"sent=(\d+) failed=(\d+) dropped=(\d+) errno=(\S+)", out)
        check(m is not None, "e2e_sender repl said %r (exit %s)" % (out, self.p.poll()))
        return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)

    def close(self):
        self.p.stdin.close()
        check(self.p.wait(30) == 0, "e2e_sender repl exited %s" % self.p.returncode)


def mount_tmpfs(path, size, options=""):
    """A tmpfs of size at path (made if need be); skips the test where mounting is not allowed."""
    os.makedirs(path, exist_ok=True)
    if os.geteuid() != 0:
        raise Skip("not root: cannot mount a tmpfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755%s" % (size, options),
                        "tmpfs", path], capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip("cannot mount a tmpfs here: %s" % r.stderr.strip())


def resize_tmpfs(path, size):
    r = subprocess.run(["mount", "-o", "remount,size=%s" % size, path], capture_output=True,
                       text=True)
    check(r.returncode == 0, "cannot grow the tmpfs: %s" % r.stderr)


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


def mount_ext4(path, image, size=16 << 20):
    """An ext4 file system of size bytes at path (made if need be), in the file
    image, by a loop device: one that can be frozen (freeze(); a tmpfs cannot).
    Skips the test where it cannot be made or mounted.  Unmount with umount()."""
    os.makedirs(path, exist_ok=True)
    if os.geteuid() != 0:
        raise Skip("not root: cannot mount a file system")
    for tool in ("mkfs.ext4", "fsfreeze"):
        if shutil.which(tool) is None:
            raise Skip("%s is not installed" % tool)
    with open(image, "wb") as f:
        f.truncate(size)
    r = subprocess.run(["mkfs.ext4", "-q", "-F", image], capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip("cannot make an ext4 file system: %s" % r.stderr.strip())
    r = subprocess.run(["mount", "-o", "loop", image, path], capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip("cannot mount an ext4 image here (no loop device?): %s" % r.stderr.strip())


def freeze(path):
    """Freezes the file system mounted at path (fsfreeze): every write to it, and
    every open or mkdir that would change it, waits, uninterruptibly, until thaw().
    A process stuck so cannot even be killed: thaw before stopping it."""
    r = subprocess.run(["fsfreeze", "--freeze", path], capture_output=True, text=True)
    check(r.returncode == 0, "cannot freeze %s: %s" % (path, r.stderr.strip()))


def thaw(path):
    """Thaws what freeze() froze; returns whether it was frozen."""
    return subprocess.run(["fsfreeze", "--unfreeze", path], capture_output=True).returncode == 0


def fill_log_dir(d):
    """Fills the tmpfs mounted on d.logs (mount_tmpfs()) to its last page, once
    logd's "started" line is on it: from now on a write of a stream new since
    then fails with ENOSPC, a disk-wide error, and logd's writer stalls on it,
    keeps its batch and retries, while the queue fills.  The filler is a dot
    file in the log dir (neither a stream nor an archive logd may remove);
    returns its path: unlinking it gives the space back."""
    wait_for(lambda: any("started: logd" in x for x in d.lines("logd")),
             "logd's started line on disk")
    filler = os.path.join(d.logs, ".filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as e:
        check(e.errno == errno.ENOSPC, "filling the tmpfs: %s" % e)
    finally:
        os.close(fd)
    check(os.statvfs(d.logs).f_bfree == 0, "the tmpfs is not full")
    return filler


def dropped_counts(lines, pid=None):
    """The N of each "[logd] dropped N records" ("dropped 1 record") marker line
    (about one pid: "pid P" in its text), in order.  A sender's line that says
    the same is not one."""
    counts = []
    for line in lines:
        r = parse(line)
        m = re.match(r"dropped (\d+) records?: (.*)", r["msg"])
        if m and r["own"] and r["prio"] == "warning" and \
                (pid is None or re.match(r"pid %d " % pid, m.group(2))):
            counts.append(int(m.group(1)))
    return counts


def dropped_sum(lines, pid=None):
    """The sum of N over the "[logd] dropped N records" marker lines (about one pid)."""
    return sum(dropped_counts(lines, pid))


def messages(lines, pid=None):
    """The logical messages of parsed lines: the parts of a continued message
    ([pid+] lines, then the [pid] line that ends it) joined per pid, each
    unescaped to bytes; logd's own lines left out.  Returns (pid, priority,
    bytes) in order of completion; a message still open at the end fails the
    check."""
    out, open_parts = [], {}
    for line in lines:
        r = parse(line)
        if r["own"] or (pid is not None and r["pid"] != pid):
            continue
        parts = open_parts.setdefault(r["pid"], [])
        parts.append(unescape(r["msg"]))
        if not r["more"]:
            out.append((r["pid"], r["prio"], b"".join(parts)))
            del open_parts[r["pid"]]
    check(not any(open_parts.values()), "continued messages never ended: pids %s" %
          [p for p, v in open_parts.items() if v])
    return out


def write_lines(pipe, lines):
    """Writes whole lines in writes of at most 4096 bytes (PIPE_BUF: atomic), so
    logctl never sees half a line and never has to send one as a continued record."""
    chunk = b""
    for line in lines:
        if len(chunk) + len(line) > 4096:
            pipe.write(chunk)
            chunk = b""
        chunk += line
    pipe.write(chunk)


def stats(d):
    """logctl stats --json: logd's counters, parsed."""
    r = d.ctl("stats", "--json")
    check(r.returncode == 0, "logctl stats --json: %s %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)


def sync(d, stream):
    """Returns once logd has read everything queued in its socket before now:
    a record sent now by another process is in the file."""
    check(d.run([LOGCTL, "send", "-s", stream, "sync"]).returncode == 0, "logctl send sync")
    wait_for(lambda: any(parse(x)["msg"] == "sync" for x in d.lines(stream)),
             "the sync record on disk")


def feed_while_stopped(d, p, write):
    """With logd stopped, write(p.stdin) to logctl cat p, and wait until p has
    taken it all (its pipe empty, p asleep in poll()): what did not fit in
    logd's socket is lost and counted.  logd runs again afterwards."""
    def unread():
        return struct.unpack("i", fcntl.ioctl(p.stdin, termios.FIONREAD, b"\0" * 4))[0]
    d.proc.send_signal(signal.SIGSTOP)
    try:
        write(p.stdin)
        wait_for(lambda: unread() == 0 and proc_state(p.pid) == "S",
                 "logctl cat to take all its input")
    finally:
        d.proc.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def private_network(sysctls):
    """A context in which this thread, and what it starts, is in a network
    namespace of its own, its loopback up and sysctls set ({"net/unix/
    max_dgram_qlen": "4096"}: paths under /proc/sys); back in the host's after.
    Skips the test where it cannot (not root)."""
    if os.geteuid() != 0:
        raise Skip("not root: cannot make a network namespace")
    libc = ctypes.CDLL(None, use_errno=True)
    host = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            raise Skip("cannot make a network namespace: %s" %
                       os.strerror(ctypes.get_errno()))
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                ifr = fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sH22x", b"lo", 0))
                up = struct.unpack("16sH22x", ifr)[1] | IFF_UP
                fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", up))
            for name, value in sysctls.items():
                with open("/proc/sys/" + name, "w") as f:
                    f.write(value)
            yield
        finally:
            check(libc.setns(host, CLONE_NEWNET) == 0, "setns: %s" %
                  os.strerror(ctypes.get_errno()))
    finally:
        os.close(host)


def proc_state(pid):
    """The state letter of /proc/PID/stat (R, S, D, T, Z...), or None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def main(tests):
    """Runs each test function; prints a line per test; exits 1 if any failed."""
    if VALGRIND and shutil.which("valgrind") is None:
        print("valgrind is not installed: skipping")
        sys.exit(77)
    failed = skipped = 0
    for t in tests:
        t0 = time.monotonic()
        try:
            t()
            print("ok   %s (%.2f s)" % (t.__name__, time.monotonic() - t0), flush=True)
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (t.__name__, e), flush=True)
        except Exception as e:  # noqa: BLE001 - report every kind of failure
            failed += 1
            print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e), flush=True)
    print("%d passed, %d failed, %d skipped" % (len(tests) - failed - skipped, failed, skipped))
    if skipped == len(tests):
        sys.exit(77)
    sys.exit(1 if failed else 0)
