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
from test_acl import as_user, need_root

NOBODY = 65534
QLEN = "/proc/sys/net/unix/max_dgram_qlen"
QLEN_NOTICE = "net.unix.max_dgram_qlen is "


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


def paths(d, logs=None):
    """logd's path flags for the temporary directory of d (a Logd not started)."""
    return ["--socket", d.sock, "--log-dir", logs or d.logs, "--control", d.control]


def check_config(d, *flags, wrap=()):
    return run(list(wrap) + [LOGD, "--check-config", "--config", d.conf] + paths(d) +
               list(flags))


def test_check_config_without_a_file_says_built_in_defaults():
    default = "/etc/logd/logd.conf"
    if os.path.exists(default):
        raise Skip("%s exists on this machine" % default)
    with Logd(start=False) as d:
        r = run([LOGD, "--check-config"] + paths(d))
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        out = r.stdout.splitlines()
        check(out[0] == "%s: not found; built-in defaults" % default, "stdout: %s" % r.stdout)
        check("socket %s: ok" % d.sock in out and
              "log_dir %s: ok (does not exist; logd creates it in %s)" % (d.logs, d.dir) in out,
              "the paths are not said to be checked: %s" % r.stdout)
        # A file that is there and right: "ok", and the paths as they are.
        with open(os.path.join(d.dir, "logd.conf"), "w") as f:
            f.write("[daemon]\nmax_streams = 10\n")
        d.conf = os.path.join(d.dir, "logd.conf")
        os.mkdir(d.logs)
        r = check_config(d)
        check(r.returncode == 0 and r.stdout.splitlines()[0] == "%s: ok" % d.conf and
              "log_dir %s: ok (writable for uid %d)" % (d.logs, os.geteuid()) in r.stdout,
              "exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))


def test_check_config_finds_a_missing_socket_directory():
    with Logd(start=False) as d:
        d.sock = os.path.join(d.dir, "run", "sock")
        r = check_config(d)
        check(r.returncode == 1, "exit %d: %s" % (r.returncode, r.stderr))
        check("logd: cannot listen on %s: directory %s does not exist; create it, or choose "
              "another --socket" % (d.sock, os.path.dirname(d.sock)) in r.stderr,
              "stderr: %s" % r.stderr)
        # The control socket logd can do without: said, not an error.
        d.sock = os.path.join(d.dir, "sock")
        d.control = os.path.join(d.dir, "run", "control")
        r = check_config(d)
        check(r.returncode == 0 and "choose another --control (logd would start without it)"
              in r.stderr, "exit %d: %s" % (r.returncode, r.stderr))


def test_check_config_finds_a_log_dir_its_user_cannot_write():
    need_root()
    with Logd(start=False) as d:
        os.chmod(d.dir, 0o1777)         # nobody may make its sockets there...
        os.mkdir(d.logs, 0o755)         # ...but not write in root's log dir
        want = ("logd: log directory %s is not writable for nobody (uid %d), whom logd writes "
                "as (Permission denied), so nothing could be logged; give it write access "
                "(chown nobody %s), or choose another log_dir (--log-dir)" %
                (d.logs, NOBODY, d.logs))
        # Started by nobody, or by root with user = nobody: the same answer.
        r = check_config(d, wrap=as_user(NOBODY, NOBODY))
        check(r.returncode == 1 and want in r.stderr, "as nobody: exit %d: %s" %
              (r.returncode, r.stderr))
        with open(os.path.join(d.dir, "logd.conf"), "w") as f:
            f.write("[daemon]\nuser = nobody\n")
        d.conf = os.path.join(d.dir, "logd.conf")
        r = check_config(d)
        check(r.returncode == 1 and want in r.stderr, "user = nobody: exit %d: %s" %
              (r.returncode, r.stderr))
        os.chown(d.logs, NOBODY, NOBODY)
        r = check_config(d)
        check(r.returncode == 0 and "log_dir %s: ok (writable for uid %d)" % (d.logs, NOBODY)
              in r.stdout, "once it is nobody's: exit %d: %s %s" %
              (r.returncode, r.stdout, r.stderr))


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
        for wrap, config in ((as_user(NOBODY, NOBODY), "/dev/null"), ([], conf)):
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


def qlen_notice(d):
    """logd's notice of a short socket queue, once it has stopped (it follows ready:)."""
    check(d.stop() == 0, "logd exit status: %s" % d.stderr())
    return [x for x in d.stderr().splitlines() if QLEN_NOTICE in x]


def test_a_short_socket_queue_is_said_once():
    with open(QLEN) as f:
        qlen = int(f.read())
    with Logd() as d:
        notes = qlen_notice(d)
        if qlen < 512:
            check(len(notes) == 1 and
                  "net.unix.max_dgram_qlen is %d: %s holds at most %d datagrams" %
                  (qlen, d.sock, qlen) in notes[0] and
                  "sysctl -w net.unix.max_dgram_qlen=512" in notes[0],
                  "max_dgram_qlen is %d here: %s" % (qlen, d.stderr()))
        else:
            check(notes == [], "max_dgram_qlen is %d here: %s" % (qlen, notes))
        check("ready:" in d.stderr().splitlines()[0], "the notice came before ready:")
    # A socket systemd passes is not logd's to judge (systemd made it at 512).
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        with Logd(start=False) as d:
            s.bind(d.sock)
            d.listen = [(s, "socket")]
            d.start()
            check(qlen_notice(d) == [], "with systemd's socket: %s" % d.stderr())
    finally:
        s.close()


def test_the_socket_queue_notice_follows_the_sysctl():
    """In a network namespace of its own, where the test may set the sysctl."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        raise Skip("not root, or no unshare: cannot set net.unix.max_dgram_qlen")
    r = run(["unshare", "-n", "sh", "-c", "echo 10 > %s" % QLEN])
    if r.returncode != 0:
        raise Skip("cannot make a network namespace and set its sysctl here: %s" %
                   r.stderr.strip())
    for qlen, said in ((10, True), (511, True), (512, False)):
        with Logd(start=False) as d:
            d.wrap = ["unshare", "-n", "sh", "-c", 'echo %d > %s && exec "$@"' % (qlen, QLEN),
                      "sh"]
            d.start()
            notes = qlen_notice(d)
            check(len(notes) == (1 if said else 0) and
                  (not said or "is %d: " % qlen in notes[0]),
                  "max_dgram_qlen %d: %s" % (qlen, d.stderr()))


def test_check_config_says_every_error_of_a_file_in_one_run():
    with Logd(config="[daemon]\n"
                     "queue_max_bytes = 12M\n"           # 2
                     "batch_bytes = 4M\n"                # 3: with line 2, one error
                     "flush_interval = 100ms # fast\n"   # 4: '#' after a value
                     "max_streams = 10 ; ten\n"          # 5: fine
                     "[defaults]\n"
                     "socket = /tmp/x\n"                 # 7: a [daemon] key
                     "format = xml\n"                    # 8: an error of its own
                     "[stream web]\n"
                     "stream_queue_max_bytes = 1M\n",    # 10: with lines 2 and 3
              start=False) as d:
        r = check_config(d)
        check(r.returncode == 1, "exit %d" % r.returncode)
        c = d.conf
        want = [
            "%s:4: [daemon]: flush_interval = 100ms # fast: a comment after a value starts "
            "with ';', not '#'; write \"flush_interval = 100ms ; ...\", or put the comment on "
            "a line of its own" % c,
            "%s:7: [defaults]: socket belongs in [daemon], not in this section; move it there"
            % c,
            "%s:8: [defaults]: format: \"xml\" is not one of text or json" % c,
            "%s:3: [daemon]: batch_bytes = 4M (line 3) must be at most a quarter of "
            "queue_max_bytes = 12M (line 2); lower batch_bytes, or raise queue_max_bytes to "
            "at least 16M" % c,
            "%s:10: [stream web]: stream_queue_max_bytes = 1M (line 10) must be between "
            "batch_bytes = 4M (line 3) and queue_max_bytes = 12M (line 2); raise it to at "
            "least 4M" % c]
        got = r.stderr.splitlines()
        check(got == want, "stderr:\n%s\nwant:\n%s" % (r.stderr, "\n".join(want)))
        # logd itself says the same, and does not start.
        r = run([LOGD, "--config", d.conf] + paths(d))
        check(r.returncode == 1 and r.stderr.splitlines() == want and
              not os.path.exists(d.sock), "logd: exit %d: %s" % (r.returncode, r.stderr))


if __name__ == "__main__":
    main([test_check_config_without_a_file_says_built_in_defaults,
          test_check_config_finds_a_missing_socket_directory,
          test_check_config_finds_a_log_dir_its_user_cannot_write,
          test_a_log_dir_logd_cannot_write_is_refused_at_start,
          test_a_socket_error_at_start_is_one_line,
          test_a_short_socket_queue_is_said_once,
          test_the_socket_queue_notice_follows_the_sysctl,
          test_check_config_says_every_error_of_a_file_in_one_run])
