"""Command lines, usage errors, configuration errors, sockets in use and stale sockets."""
import os
import shutil
import signal
import subprocess
import tempfile

from harness import LOGCTL, LOGD, Logd, check, main, parse, unescape, wait_for


def run(argv, env=None, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, **kw)


class TempDir:
    """A temporary directory removed at the end of the with block."""

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="logd-e2e-cli-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def test_logd_help_and_version():
    r = run([LOGD, "--help"])
    check(r.returncode == 0 and "--socket" in r.stdout and "--check-config" in r.stdout,
          "logd --help: %s" % r.stdout)
    r = run([LOGD, "--version"])
    check(r.returncode == 0 and r.stdout.startswith("logd "), "logd --version: %s" % r.stdout)


def test_logd_unknown_flag_is_a_usage_error():
    r = run([LOGD, "--frobnicate"])
    check(r.returncode == 2 and "--frobnicate" in r.stderr, "exit %d: %s" %
          (r.returncode, r.stderr))
    r = run([LOGD, "--socket"])
    check(r.returncode == 2 and "--socket" in r.stderr, "missing value: %s" % r.stderr)


def test_check_config_reports_every_error_with_file_and_line():
    with TempDir() as d:
        check_config_in(d)


def check_config_in(d):
    path = os.path.join(d, "logd.conf")
    with open(path, "w") as f:
        f.write("[daemon]\n"
                "queue_max_bytes = 64Q\n"            # 2: not a size
                "flush_ms = 5\n"                     # 3: unknown key, with a hint
                "batch_bytes = 1K\n"                 # 4: out of range
                "[defaults]\n"
                "format = xml\n")                    # 6: not a format
    r = run([LOGD, "--check-config", "--config", path])
    check(r.returncode == 1, "exit %d, want 1" % r.returncode)
    lines = r.stderr.strip().splitlines()
    check(len(lines) == 4, "want 4 error lines, got: %s" % r.stderr)
    for n, line in zip([2, 3, 4, 6], lines):
        check(line.startswith("%s:%d: " % (path, n)), "line %r lacks %s:%d:" % (line, path, n))
    check("did you mean flush_interval" in r.stderr, "no hint for flush_ms: %s" % r.stderr)
    with open(path, "w") as f:
        f.write("# comment\n[daemon]\nqueue_max_bytes = 32M\nflush_interval = 50ms\n"
                "[defaults]\nformat = json\n")
    # Paths it can use (--check-config checks them too; see test_startup.py).
    r = run([LOGD, "--check-config", "--config", path, "--socket", os.path.join(d, "s"),
             "--log-dir", os.path.join(d, "logs"), "--control", os.path.join(d, "c")])
    check(r.returncode == 0 and "ok" in r.stdout, "valid file: %d %s" % (r.returncode, r.stderr))
    r = run([LOGD, "--check-config", "--config", os.path.join(d, "missing.conf")])
    check(r.returncode == 1 and "missing.conf" in r.stderr, "missing file: %s" % r.stderr)


def test_missing_log_dir_parent_is_a_clear_error():
    with TempDir() as d:
        logs = os.path.join(d, "no", "such", "logs")
        r = run([LOGD, "--config", "/dev/null", "--socket", os.path.join(d, "s"),
                 "--log-dir", logs])
        check(r.returncode == 1 and logs in r.stderr, "exit %d: %s" % (r.returncode, r.stderr))
        check(not os.path.exists(os.path.join(d, "s")), "the failed logd left its socket")
        # One missing level is created.
        with Logd(start=False) as l:
            l.logs = os.path.join(l.dir, "new")
            l.start()
            check(os.path.isdir(l.logs), "the log dir was not created")
            check(l.stop() == 0, "logd exit status")


def test_second_logd_on_a_live_socket_exits_and_first_keeps_working():
    with Logd() as d:
        r = run([LOGD, "--config", "/dev/null", "--socket", d.sock, "--log-dir", d.logs + "2"])
        check(r.returncode == 1 and "already" in r.stderr, "second logd: %d %s" %
              (r.returncode, r.stderr))
        r = d.run([LOGCTL, "send", "-s", "still", "alive"])
        check(r.returncode == 0, "send to the first logd failed")
        check(d.stop() == 0, "first logd exit status")
        check([parse(x)["msg"] for x in d.lines("still")] == ["alive"], "first logd's file")


def test_config_naming_a_directory_says_so():
    with TempDir() as d:
        for flags in ([], ["--check-config"]):
            r = run([LOGD, "--config", d] + flags)
            check(r.returncode == 1 and "%s: Is a directory" % d in r.stderr,
                  "--config DIR %s: exit %d: %s" % (flags, r.returncode, r.stderr))


def test_second_logd_on_the_same_log_dir_refuses_and_names_the_first():
    with Logd() as d:
        other = os.path.join(d.dir, "other-sock")
        r = run([LOGD, "--config", "/dev/null", "--socket", other, "--log-dir", d.logs])
        check(r.returncode == 1, "second logd on the same log dir: exit %d: %s" %
              (r.returncode, r.stderr))
        check("log directory %s is in use by another logd (pid %d)" % (d.logs, d.proc.pid)
              in r.stderr, "the message does not name the first logd: %s" % r.stderr)
        check(not os.path.exists(other), "the refused logd left its socket")
        r = d.run([LOGCTL, "send", "-s", "still", "alive"])
        check(r.returncode == 0, "send to the first logd failed")
        check(d.stop() == 0, "first logd exit status")
        check([parse(x)["msg"] for x in d.lines("still")] == ["alive"], "first logd's file")
        # Once the first has gone, the log dir is free again.
        with Logd(start=False) as e:
            e.logs = d.logs
            e.start()
            check(e.stop() == 0, "logd on the freed log dir")


def test_stale_socket_after_kill_9_is_replaced():
    with Logd() as d:
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        check(os.path.exists(d.sock), "the killed logd left no socket file (test premise)")
        d.start()
        check("stale socket" in d.stderr(), "no notice about the stale socket")
        r = d.run([LOGCTL, "send", "-s", "again", "works"])
        check(r.returncode == 0, "send to the new logd failed: %s" % r.stderr)
        check(d.stop() == 0, "new logd exit status")
        check([parse(x)["msg"] for x in d.lines("again")] == ["works"], "new logd's file")


def test_a_regular_file_at_the_socket_path_is_left_alone():
    with TempDir() as d:
        path = os.path.join(d, "precious")
        with open(path, "w") as f:
            f.write("keep me\n")
        r = run([LOGD, "--config", "/dev/null", "--socket", path, "--log-dir",
                 os.path.join(d, "logs")])
        check(r.returncode == 1 and path in r.stderr and "not a socket" in r.stderr,
              "exit %d: %s" % (r.returncode, r.stderr))
        with open(path) as f:
            check(f.read() == "keep me\n", "logd changed the file at its socket path")


def test_relative_paths_work_and_the_socket_is_removed_at_exit():
    # As scripts/run starts it: --socket ./run/socket --log-dir ./run/logs.
    with Logd(start=False, args=["--socket", "./sock", "--log-dir", "./logs"]) as d:
        d.cwd = d.dir
        d.start()
        check(os.path.exists(d.sock), "no socket at ./sock")
        r = d.run([LOGCTL, "send", "-s", "rel", "relative"])
        check(r.returncode == 0, "send: %s" % r.stderr)
        check(d.stop() == 0, "logd exit status")
        check([parse(x)["msg"] for x in d.lines("rel")] == ["relative"], "./logs/rel")
        check(not os.path.exists(d.sock), "the socket file is left after a clean exit")


def test_logctl_usage_errors():
    r = run([LOGCTL, "--help"])
    check(r.returncode == 0 and "cat" in r.stdout and "send" in r.stdout, "logctl --help")
    r = run([LOGCTL, "--version"])
    check(r.returncode == 0 and r.stdout.startswith("logctl "), "logctl --version: %s" %
          r.stdout)
    for argv, what in [([LOGCTL], "missing command"), ([LOGCTL, "frob"], "frob"),
                       ([LOGCTL, "send", "-p", "loud", "x"], "loud"),
                       ([LOGCTL, "send", "-p", "8", "x"], "8"),
                       ([LOGCTL, "send", "-s", "a/b", "x"], "a/b"),
                       ([LOGCTL, "send", "-s", ".hidden", "x"], ".hidden"),
                       ([LOGCTL, "send", "-s", "n" * 65, "x"], "n" * 65),
                       ([LOGCTL, "send", "--bogus", "x"], "--bogus"),
                       ([LOGCTL, "send"], "MESSAGE"),
                       ([LOGCTL, "cat", "-p", "bogus"], "bogus"),
                       ([LOGCTL, "cat", "--stderr-priority", "loud", "--", "true"], "loud"),
                       ([LOGCTL, "cat", "-s", "a b", "--", "true"], "a b")]:
        r = run(argv)
        check(r.returncode == 2 and what in r.stderr, "%s: exit %d: %s" %
              (argv, r.returncode, r.stderr))


def test_logctl_against_a_dead_daemon_fails_clearly():
    with TempDir() as d:
        sock = os.path.join(d, "nobody-here")
        env = dict(os.environ, LOGD_SOCKET=sock)
        r = run([LOGCTL, "send", "hello"], env=env)
        check(r.returncode == 1 and sock in r.stderr and "1 record" in r.stderr,
              "send: %d %s" % (r.returncode, r.stderr))
        r = run([LOGCTL, "cat", "--", "sh", "-c", "echo one; echo two"], env=env)
        check(r.returncode == 1 and "could not be delivered" in r.stderr,
              "cat -- sh: %d %s" % (r.returncode, r.stderr))
        r = run([LOGCTL, "cat", "--nonblock"], env=env, input="a\nb\n")
        check(r.returncode == 1 and sock in r.stderr, "cat --nonblock: %d %s" %
              (r.returncode, r.stderr))
        # A socket file nobody receives on (a killed daemon's) is the same.
        with Logd() as l:
            l.proc.kill()
            l.proc.wait()
            r = l.run([LOGCTL, "send", "hello"], text=True)
            check(r.returncode == 1 and l.sock in r.stderr, "stale socket: %d %s" %
                  (r.returncode, r.stderr))


def test_logctl_exit_status_and_default_streams():
    with Logd() as d:
        check(d.run([LOGCTL, "cat", "--", "false"]).returncode == 1, "cat -- false")
        check(d.run([LOGCTL, "cat", "--", "sh", "-c", "exit 7"]).returncode == 7, "exit 7")
        check(d.run([LOGCTL, "cat", "--", "sh", "-c", "kill -TERM $$"]).returncode == 128 + 15,
              "a command killed by SIGTERM")
        check(d.run([LOGCTL, "cat", "--", "/no/such/program"]).returncode == 127,
              "a command that cannot run")
        check(d.run([LOGCTL, "cat"], input=b"from stdin\n").returncode == 0, "cat stdin")
        check(d.run([LOGCTL, "cat", "--", "echo", "from echo"]).returncode == 0, "cat -- echo")
        check(d.run([LOGCTL, "send", "-p", "3", "to user"]).returncode == 0, "send")
        check(d.run([LOGCTL, "cat", "-s", "prios", "-p", "notice", "--stderr-priority",
                     "warning", "--nonblock", "--", "sh", "-c",
                     "echo o; echo e >&2; printf 'no newline'"]).returncode == 0, "cat -p")
        wait_for(lambda: d.lines("stdin") and d.lines("echo") and d.lines("user"),
                 "the three default streams")
        check(d.stop() == 0, "logd exit status")
        check(parse(d.lines("stdin")[0])["msg"] == "from stdin", "stream stdin")
        check(parse(d.lines("echo")[0], tagged=True)["msg"] == "from echo", "stream echo (basename)")
        r = parse(d.lines("user")[0])
        check(r["msg"] == "to user" and r["prio"] == "err", "stream user, priority 3")
        got = sorted((r["prio"], r["msg"]) for r in (parse(x, tagged=True)
                                                   for x in d.lines("prios")))
        check(got == [("notice", "no newline"), ("notice", "o"), ("warning", "e")],
              "-p and --stderr-priority, last line without newline: %s" % got)
        check(not os.path.exists(os.path.join(d.logs, "sh")), "-s was ignored for -- sh")


def test_logctl_cat_passes_sigterm_to_the_command():
    with Logd() as d:
        p = d.spawn([LOGCTL, "cat", "-s", "sig", "--", "sh", "-c",
                     'trap "echo got TERM; exit 5" TERM; echo ready; '
                     'while :; do sleep 0.05; done'])
        wait_for(lambda: d.lines("sig"), "the command's first line on disk")
        p.send_signal(signal.SIGTERM)
        check(p.wait(30) == 5, "logctl exited %s, want the command's 5" % p.returncode)
        check(d.stop() == 0, "logd exit status")
        check([parse(x, tagged=True)["msg"] for x in d.lines("sig")] == ["ready", "got TERM"],
              "lines: %s" % d.lines("sig"))


def test_logctl_cat_runs_the_command_with_default_signals_and_an_empty_mask():
    # logctl ignores SIGPIPE itself, and here its own parent ignores SIGUSR2 and
    # blocks SIGUSR1: the command must inherit none of it.
    def ignore_and_block():
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    with Logd() as d:
        r = d.run([LOGCTL, "cat", "-s", "status", "--", "cat", "/proc/self/status"],
                  preexec_fn=ignore_and_block)
        check(r.returncode == 0, "cat /proc/self/status: exit %d: %s" % (r.returncode, r.stderr))
        # Killed by SIGPIPE, yes ends quietly; with SIGPIPE ignored it says "Broken pipe".
        r = d.run([LOGCTL, "cat", "-s", "epipe", "--", "sh", "-c", "yes | head -n 1"])
        check(r.returncode == 0, "yes | head: exit %d: %s" % (r.returncode, r.stderr))
        check(d.stop() == 0, "logd exit status")
        status = dict(unescape(parse(x, tagged=True)["msg"]).decode().split(":", 1)
                      for x in d.lines("status"))
        for key in "SigIgn", "SigBlk":
            check(int(status[key], 16) == 0, "the command's %s: %s" % (key, status[key].strip()))
        check([parse(x, tagged=True)["msg"] for x in d.lines("epipe")] == ["y"],
              "yes | head -n 1: %s" % d.lines("epipe"))


def test_logctl_cat_gets_the_status_even_if_its_parent_ignores_sigchld():
    # SIGCHLD ignored is inherited across exec: the kernel would reap the command
    # itself, and logctl's waitpid() fail (today: its status read uninitialised).
    def ignore_sigchld():
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    with Logd() as d:
        r = d.run([LOGCTL, "cat", "-s", "chld", "--", "sh", "-c", "echo ran; exit 7"],
                  preexec_fn=ignore_sigchld, text=True)
        check(r.returncode == 7 and r.stderr == "", "exit %d, want 7: %s" %
              (r.returncode, r.stderr))
        check(d.stop() == 0, "logd exit status")
        check([parse(x, tagged=True)["msg"] for x in d.lines("chld")] == ["ran"], "the command's line")


if __name__ == "__main__":
    main([test_logd_help_and_version, test_logd_unknown_flag_is_a_usage_error,
          test_check_config_reports_every_error_with_file_and_line,
          test_missing_log_dir_parent_is_a_clear_error,
          test_second_logd_on_a_live_socket_exits_and_first_keeps_working,
          test_config_naming_a_directory_says_so,
          test_second_logd_on_the_same_log_dir_refuses_and_names_the_first,
          test_stale_socket_after_kill_9_is_replaced,
          test_a_regular_file_at_the_socket_path_is_left_alone,
          test_relative_paths_work_and_the_socket_is_removed_at_exit, test_logctl_usage_errors,
          test_logctl_against_a_dead_daemon_fails_clearly,
          test_logctl_exit_status_and_default_streams,
          test_logctl_cat_passes_sigterm_to_the_command,
          test_logctl_cat_runs_the_command_with_default_signals_and_an_empty_mask,
          test_logctl_cat_gets_the_status_even_if_its_parent_ignores_sigchld])
