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
    main([test_a_socket_error_at_start_is_one_line])
