"""Start-up and --check-config tell the truth: a missing file is said to be
missing, the paths logd would use are checked (the socket's directory, a log
dir the user logd writes as can write), every configuration error is said in
one run with the lines and values of the keys in it, logd refuses a log dir
it cannot write, a socket error is one line, and a socket queue too short
(net.unix.max_dgram_qlen) is said once.  Cases that run logd as another user
or in a network namespace of its own need root, and skip without it."""
import os
import shutil
import socket
import subprocess

from harness import LOGD, Logd, Skip, check, main

NOBODY = 65534
QLEN = "/proc/sys/net/unix/max_dgram_qlen"
QLEN_NOTICE = "net.unix.max_dgram_qlen is "


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


def need_root():
    if os.geteuid() != 0:
        raise Skip("not root: cannot run logd as another user")
    if shutil.which("setpriv") is None:
        raise Skip("setpriv (util-linux) is not installed")


def as_nobody():
    return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--"]


def paths(d, logs=None):
    """logd's path flags for the temporary directory of d (a Logd not started)."""
    return ["--socket", d.sock, "--log-dir", logs or d.logs, "--control", d.control]


def check_config(d, *flags, wrap=()):
    return run(list(wrap) + [LOGD, "--check-config", "--config", d.conf] + paths(d) +
               list(flags))


def test_a_log_dir_logd_cannot_write_is_refused_at_start():
    need_root()
    with Logd(start=False) as d:
        os.chmod(d.dir, 0o1777)
        os.mkdir(d.logs, 0o755)
        # logd's lock file is there already, writable: what used to let it say "ready".
        with open(os.path.join(d.logs, ".lock"), "w"):
            pass
        os.chmod(os.path.join(d.logs, ".lock"), 0o666)
        with open(os.path.join(d.dir, "logd.conf"), "w") as f:
            f.write("[daemon]\nuser = nobody\n")
        conf = os.path.join(d.dir, "logd.conf")
        for wrap, config in ((as_nobody(), "/dev/null"), ([], conf)):
            r = run(wrap + [LOGD, "--config", config] + paths(d))
            check(r.returncode == 1, "exit %d, want 1: %s" % (r.returncode, r.stderr))
            check("ready:" not in r.stderr and "log directory %s is not writable for nobody" %
                  d.logs in r.stderr, "stderr: %s" % r.stderr)
            check("choose another log_dir (--log-dir)" in r.stderr, "what to do: %s" % r.stderr)
            check(not os.path.exists(d.sock), "the refused logd left its socket")


def test_a_socket_error_at_start_is_one_line():
    with Logd(start=False) as d:
        cases = [(os.path.join(d.dir, "run", "sock"),
                  "cannot listen on %s: directory %s does not exist; create it, or choose "
                  "another --socket"),
                 (os.path.join(d.dir, "file"),
                  "%s exists and is not a socket; remove it or choose another --socket")]
        open(cases[1][0], "w").close()
        for sock, text in cases:
            r = run([LOGD, "--config", "/dev/null", "--socket", sock, "--log-dir", d.logs,
                     "--control", d.control])
            lines = r.stderr.splitlines()
            want = text % ((sock, os.path.dirname(sock)) if "directory" in text else sock)
            check(r.returncode == 1 and len(lines) == 1 and lines[0].endswith("logd: " + want),
                  "exit %d, want one line %r: %s" % (r.returncode, want, r.stderr))


if __name__ == "__main__":
    main([test_a_log_dir_logd_cannot_write_is_refused_at_start,
          test_a_socket_error_at_start_is_one_line])
