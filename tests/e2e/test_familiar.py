"""logctl and liblogd shaped like the tools a new user knows: logger's -t and
-p FACILITY.LEVEL, systemd-cat's --level-prefix and command name, key=value
fields, the command's pid, each command's --help, and precise usage errors;
liblogd's fields, va_list and caller, shown in text lines and kept in JSON."""
import json
import re
import shutil

from harness import FIELDS, LOGCTL, Logd, check, main, parse, sends_as_another_pid, wait_for

# Text streams but these, which write JSON lines.
CONFIG = "".join("[stream %s]\nformat = json\n" % s for s in ("j", "p", "cj", "lj"))


def ok(r, what):
    check(r.returncode == 0, "%s: exit %d: %s" % (what, r.returncode, r.stderr))


def jlines(d, stream):
    return [json.loads(x) for x in d.lines(stream)]


def test_send_tags_and_fields_in_text_and_json():
    with Logd(CONFIG) as d:
        ok(d.run([LOGCTL, "send", "-s", "t", "-t", "myapp", "--field", "user=alice",
                  "hello: world"], text=True), "send -t to a text stream")
        ok(d.run([LOGCTL, "send", "-s", "j", "--tag", "my-app.2", "--field", "user=alice",
                  "--field", "n=2", "--field", "empty=", "hello"], text=True),
           "send -t --field to a JSON stream")
        ok(d.run([LOGCTL, "send", "-s", "t", "error: no tag here"], text=True), "send")
        wait_for(lambda: len(d.lines("t")) == 2 and d.lines("j"), "the three records")
        line, plain = d.lines("t")
        r = parse(line, tagged=True)
        check(line.endswith(" info [%d] myapp: hello: world" % r["pid"]),
              "the tag at the message's start, as syslog intake has it: %s" % line)
        check(r["tag"] == "myapp" and r["msg"] == "hello: world", "parsed: %s" % r)
        r = parse(plain)
        check(r["msg"] == "error: no tag here", "untagged: %s" % r)
        o = jlines(d, "j")[0]
        check(o["ident"] == "my-app.2" and o["message"] == "hello" and
              o["fields"] == {"user": "alice", "n": "2", "empty": ""}, "JSON: %s" % o)
        # A text line's tag stays in its message when logctl reads it back: "[1] error:
        # disk full" could be a tag or a message, and logctl does not guess (logline.h).
        r = d.run([LOGCTL, "show", "--json", "--log-dir", d.logs, "t"], text=True)
        ok(r, "show --json")
        shown = [json.loads(x) for x in r.stdout.splitlines()]
        check([(o.get("ident"), o["message"]) for o in shown] ==
              [(None, "myapp: hello: world"), (None, "error: no tag here")],
              "show --json: %s" % r.stdout)
        r = d.run([LOGCTL, "show", "-g", "^myapp: hello", "--log-dir", d.logs, "t"], text=True)
        check(r.stdout.strip() == line, "show -g matches the tag and message: %r" % r.stdout)


def test_priorities_in_any_case_and_as_facility_level():
    prios = [("WARNING", "warning", None), ("Err", "err", None), ("0", "emerg", None),
             ("local0.warning", "warning", "local0"), ("LOCAL7.Debug", "debug", "local7"),
             ("daemon.5", "notice", "daemon"), ("user.panic", "emerg", "user"),
             ("solaris-cron.info", "info", "solaris-cron")]
    with Logd(CONFIG) as d:
        for arg, _, _ in prios:
            ok(d.run([LOGCTL, "send", "-s", "p", "-p", arg, arg], text=True), "-p %s" % arg)
        ok(d.run([LOGCTL, "cat", "-s", "p", "-p", "local1.NOTICE", "--stderr-priority",
                  "WARNING", "--", "sh", "-c", "echo out; echo err >&2"], text=True),
           "cat -p local1.NOTICE --stderr-priority WARNING")
        wait_for(lambda: len(d.lines("p")) == len(prios) + 2, "every record")
        got = [(o["priority"], o.get("fields", {}).get("facility"), o["message"])
               for o in jlines(d, "p")]
        want = [(prio, fac, arg) for arg, prio, fac in prios]
        check(got[:len(prios)] == want, "send -p: %s" % got)
        check(sorted(got[len(prios):]) == [("notice", "local1", "out"),
                                           ("warning", "local1", "err")], "cat: %s" % got)


def test_cat_tags_with_the_commands_name_and_names_its_pid():
    with Logd(CONFIG) as d:
        ok(d.run([LOGCTL, "cat", "--", "sh", "-c", "echo $$"], text=True), "cat -- sh")
        ok(d.run([LOGCTL, "cat", "-s", "cj", "-t", "mine", "--field", "job=7", "--", "sh",
                  "-c", "echo $$"], text=True), "cat -t --field")
        ok(d.run([LOGCTL, "cat", "-s", "in"], input="from stdin\n", text=True), "cat stdin")
        wait_for(lambda: d.lines("sh") and d.lines("cj") and d.lines("in"), "three records")
        passes_pid = sends_as_another_pid()
        r = parse(d.lines("sh")[0], tagged=True)
        cmd = int(r["msg"])
        check(r["tag"] == "sh", "the command's name is the tag: %s" % r)
        check((r["pid"] == cmd) == passes_pid, "line pid %d, command %d, CAP_SYS_ADMIN %s" %
              (r["pid"], cmd, passes_pid))
        o = jlines(d, "cj")[0]
        check(o["ident"] == "mine" and o["fields"] == {"job": "7", "cmd_pid": o["message"]},
              "-t, --field and cmd_pid: %s" % o)
        check((o["pid"] == int(o["message"])) == passes_pid, "JSON pid: %s" % o)
        r = parse(d.lines("in")[0])
        check(r["msg"] == "from stdin", "no tag without COMMAND: %s" % r)
        if not passes_pid or shutil.which("setpriv") is None:
            return
        # Without CAP_SYS_ADMIN the kernel refuses another pid: logctl's own, silently.
        p = d.spawn(["setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin", "--",
                     LOGCTL, "cat", "-s", "cj", "--", "sh", "-c", "echo $$"])
        check(p.wait(60) == 0, "logctl under setpriv exited %s" % p.returncode)
        wait_for(lambda: len(d.lines("cj")) == 2, "the record sent without CAP_SYS_ADMIN")
        o = jlines(d, "cj")[1]
        check(o["pid"] == p.pid and o["fields"] == {"cmd_pid": o["message"]} and
              o["ident"] == "sh", "logctl's pid, cmd_pid the command's: %s" % o)


def test_level_prefix_keeps_the_commands_levels():
    # The last line in two parts: the first goes alone (continued) once it has
    # waited its 100 ms; the command waits for it to be in the file.
    script = ('echo "<3>boom"; echo "<7>dbg"; echo plain; echo "<8>not a level"; echo "<5>"; '
              'echo "<4>on stderr" >&2; printf "<2>first part"; i=0; '
              'until grep -qs "first part" "$0" || [ $i -ge 3000 ]; do sleep 0.01; i=$((i+1)); '
              'done; echo " and the rest"')
    with Logd() as d:
        ok(d.run([LOGCTL, "cat", "--level-prefix", "-s", "lp", "--", "sh", "-c", script,
                  d.path("lp")], text=True), "cat --level-prefix")
        ok(d.run([LOGCTL, "cat", "-s", "nolp", "--", "sh", "-c", 'echo "<3>boom"'], text=True),
           "cat without --level-prefix")
        wait_for(lambda: len(d.lines("lp")) == 8 and d.lines("nolp"), "every line")
        got = [(r["prio"], r["more"], r["msg"])
               for r in (parse(x, tagged=True) for x in d.lines("lp"))]
        out = [g for g in got if g[2] != "on stderr"]
        check(out == [("err", False, "boom"), ("debug", False, "dbg"), ("info", False, "plain"),
                      ("info", False, "<8>not a level"), ("notice", False, ""),
                      ("crit", True, "first part"), ("crit", False, " and the rest")],
              "stdout's lines: %s" % got)
        check(("warning", False, "on stderr") in got, "stderr's line: %s" % got)
        r = parse(d.lines("nolp")[0], tagged=True)
        check((r["prio"], r["msg"]) == ("info", "<3>boom"), "without --level-prefix: %s" % r)


def test_liblogd_fields_va_list_and_caller():
    with Logd(CONFIG) as d:
        runs = [d.run([FIELDS, s], text=True) for s in ("lf", "lj")]
        for r in runs:
            ok(r, "e2e_fields")
            check("bad_key=-22\n" in r.stdout, "a bad key is -EINVAL: %s" % r.stdout)
        line = int(re.search(r"info_line=(\d+)", runs[0].stdout).group(1))
        wait_for(lambda: len(d.lines("lf")) == 3 and len(d.lines("lj")) == 3, "six records")
        check(d.stop() == 0, "logd exit status")
        text = d.lines("lf")
        check(re.search(r" info \[\d+\] \S*e2e_fields\.c:%d main\(\): started 4 workers$" %
                        line, text[0]), "the caller before the message: %s" % text[0])
        a, b, c = map(parse, text)
        check(a["file"].endswith("e2e_fields.c") and a["line"] == line and
              a["func"] == "main" and a["msg"] == "started 4 workers", "LOGD_INFO: %s" % a)
        check((b["prio"], b["file"], b["msg"]) == ("notice", None, "login"), "fields: %s" % b)
        check((c["prio"], c["msg"]) == ("err", "disk 93% full"), "logd_vprintf: %s" % c)
        a, b, c = jlines(d, "lj")
        check(a["file"].endswith("e2e_fields.c") and a["line"] == line and
              a["func"] == "main" and a["message"] == "started 4 workers", "JSON caller: %s" % a)
        check(b["priority"] == "notice" and b["message"] == "login" and
              b["fields"] == {"user": "alice", "remote": "10.0.0.7"}, "JSON fields: %s" % b)
        check(c["priority"] == "err" and c["message"] == "disk 93% full", "JSON vprintf: %s" % c)
        # The text line read back as JSON has what logd's JSON line has.
        r = d.run([LOGCTL, "show", "--json", "--log-dir", d.logs, "lf"], text=True)
        o = json.loads(r.stdout.splitlines()[0])
        check({k: o.get(k) for k in ("file", "line", "func", "message")} ==
              {k: a[k] for k in ("file", "line", "func", "message")}, "show --json: %s" % o)


def test_send_and_cat_help_and_precise_usage_errors():
    with Logd() as d:
        r = d.run([LOGCTL, "send", "--help"], text=True)
        check(r.returncode == 0 and r.stdout.startswith("Usage: logctl send ") and
              all(o in r.stdout for o in ("--tag", "--field", "--nonblock", "local0.warning")) and
              "--level-prefix" not in r.stdout, "send --help: %s" % r.stdout)
        r = d.run([LOGCTL, "cat", "--help"], text=True)
        check(r.returncode == 0 and r.stdout.startswith("Usage: logctl cat ") and
              all(o in r.stdout for o in ("--tag", "--field", "--level-prefix", "cmd_pid",
                                          "--stderr-priority", "--nonblock")),
              "cat --help: %s" % r.stdout)
        r = d.run([LOGCTL, "--help"], text=True)
        check(r.returncode == 0 and "logctl send --help" in r.stdout and
              "--level-prefix" in r.stdout, "logctl --help: %s" % r.stdout)
        for argv, what in [
                (["send", "-p", "bogus", "x"], 'bad priority "bogus"'),
                (["send", "-p", "locl0.warning", "x"], 'bad facility "locl0" in "locl0.warning"'),
                (["send", "-p", "local0.loud", "x"], 'bad priority "loud"'),
                (["send", "-p", "local0.", "x"], 'bad priority ""'),
                (["send", "-t", "a b", "x"], 'bad tag "a b"'),
                (["send", "-t", "a:b", "x"], 'bad tag "a:b"'),
                (["send", "-t", "t" * 49, "x"], 'bad tag "%s"' % ("t" * 49)),
                (["send", "--field", "bad key=1", "x"], 'bad field key "bad key"'),
                (["send", "--field", "=v", "x"], 'bad field key ""'),
                (["send", "--field", "k" * 65 + "=v", "x"], "bad field key"),
                (["send", "--field", "novalue", "x"], 'bad field "novalue": use KEY=VALUE'),
                (["send", "--field", "k=" + "v" * 20000, "x"], "more than 16384 bytes"),
                (["send", "--level-prefix", "x"], "only logctl cat has option '--level-prefix'"),
                (["send", "--stderr-priority", "err", "x"], "only logctl cat has option"),
                (["send", "-t"], "missing value for option"),
                (["send", "--tag", "x"], "send: no MESSAGE"),
                (["cat", "--field", "a-b=1", "--", "true"], 'bad field key "a-b"'),
                (["cat", "--stderr-priority", "local0.err", "--", "true"],
                 'bad priority "local0.err"')]:
            r = d.run([LOGCTL] + argv, text=True)
            check(r.returncode == 2 and what in r.stderr, "%.200s: exit %d, want 2 and %r: %s" %
                  (argv, r.returncode, what, r.stderr[:300]))
        # None of them sent anything: the next record is the stream's first.
        ok(d.run([LOGCTL, "send", "-t", "x", "sentinel"], text=True), "send")
        wait_for(lambda: d.lines("user"), "the sentinel")
        check(d.streams() == ["logd", "user"] and len(d.lines("user")) == 1,
              "a usage error sent something: %s %s" % (d.streams(), d.lines("user")))


if __name__ == "__main__":
    main([test_send_tags_and_fields_in_text_and_json,
          test_priorities_in_any_case_and_as_facility_level,
          test_cat_tags_with_the_commands_name_and_names_its_pid,
          test_level_prefix_keeps_the_commands_levels,
          test_liblogd_fields_va_list_and_caller,
          test_send_and_cat_help_and_precise_usage_errors])
