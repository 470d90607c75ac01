"""Who may write: a stream's allow_uids / allow_gids against SCM_CREDENTIALS,
create_streams = configured, max_streams_per_uid (also under a flood of
100,000 names from one uid), socket_mode / socket_group, and user = (logd
started as root drops to a user).  Senders run as real unprivileged uids
(setpriv, or a forked child that calls setuid): root is needed, else the
tests skip."""
import os
import re
import shutil
import socket
import stat
import time

from harness import (LOGCTL, LOGD, SANITIZED, Logd, Skip, check, datagram, dropped_sum, main,
                     parse, record, sync, wait_for)
from test_control import stats
from test_rotate import archives

# uids and gids no account on the machine has (setpriv takes any number).
ALLOWED, DENIED = 4242, 4343
ADM = 4         # Debian's adm group: a name to resolve in allow_gids and socket_group


def need_root():
    if os.geteuid() != 0:
        raise Skip("not root: cannot send as other uids")
    if shutil.which("setpriv") is None:
        raise Skip("setpriv (util-linux) is not installed")


def logd(config):
    """A logd whose temporary directory other uids can reach (its socket is 0666)."""
    d = Logd(config=config, start=False)
    os.chmod(d.dir, 0o755)
    d.start()
    return d


def as_user(uid, gid, groups=None):
    """setpriv's arguments to run a command as uid:gid with groups (none by default)."""
    g = ["--groups=" + ",".join(map(str, groups))] if groups else ["--clear-groups"]
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid] + g + ["--"]


def send_as(d, uid, gid, stream, *msgs, groups=None):
    """logctl send as uid:gid, one record per message."""
    for m in msgs:
        r = d.run(as_user(uid, gid, groups) + [LOGCTL, "send", "-s", stream, m])
        check(r.returncode == 0, "logctl send as uid %d: %s" % (uid, r.stderr))


def cat_as(d, uid, gid, stream, lines):
    """logctl cat as uid:gid: many records in few datagrams."""
    r = d.run(as_user(uid, gid) + [LOGCTL, "cat", "-s", stream],
              input="".join(x + "\n" for x in lines).encode())
    check(r.returncode == 0, "logctl cat as uid %d: %s" % (uid, r.stderr))


def send_dgrams_as(d, uid, dgrams):
    """Sends the datagrams from a child that became uid (gid the same, no groups)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(d.sock)
            for g in dgrams:
                s.send(g)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    check(os.waitstatus_to_exitcode(status) == 0, "the sender as uid %d failed" % uid)


def msgs(d, stream):
    return [parse(x)["msg"] for x in d.lines(stream)]


def prometheus(d):
    r = d.ctl("stats", "--prometheus")
    check(r.returncode == 0, "logctl stats --prometheus: %s" % r.stderr)
    return r.stdout


def test_allow_uids_lets_listed_uids_write_and_counts_the_rest():
    need_root()
    with logd("[stream web]\nallow_uids = %d, root\n" % ALLOWED) as d:
        send_as(d, ALLOWED, ALLOWED, "web", "from allowed")
        send_as(d, DENIED, DENIED, "web", "from denied")
        send_as(d, DENIED, DENIED, "other", "anywhere else")   # no ACL there
        check(d.run([LOGCTL, "send", "-s", "web", "from root"]).returncode == 0, "root send")
        wait_for(lambda: d.counters()["acl_denied"] == 1, "acl_denied=1")
        sync(d, "web")
        check(msgs(d, "web") == ["from allowed", "from root", "sync"], "web: %s" %
              msgs(d, "web"))
        # Another stream: written in the same flush as web's, not necessarily before it.
        wait_for(lambda: msgs(d, "other") == ["anywhere else"], "other's record")
        # Said once on stderr, naming the stream, the sender, and the key to change.
        wait_for(lambda: "may not write to it" in d.stderr(), "the refusal on stderr")
        line = [x for x in d.stderr().splitlines() if "may not write to it" in x]
        check(len(line) == 1 and "stream web: uid %d (gid %d, pid " % (DENIED, DENIED) in line[0]
              and "[stream web]" in line[0] and "allow_uids" in line[0],
              "stderr: %s" % line)
        st = stats(d)
        check(st["dropped"]["acl_denied"] == 1 and st["dropped"]["refused"] == 0,
              "logctl stats: %s" % st["dropped"])
        check('logd_dropped_records_total{reason="acl_denied"} 1' in prometheus(d),
              "no acl_denied in the Prometheus text")
        check(d.stop() == 0, "logd exit status")
        check(d.stopped()["acl_denied"] == 1 and d.stopped()["rejected"] == 1,
              "final counters: %s" % d.stopped())
        own = [x for x in d.lines("logd") if "may not write to it" in x]
        check(dropped_sum(own) == 1, "logd's own stream: %s" % own)


def test_denied_flood_is_said_once_a_second_not_once_a_record():
    need_root()
    n = 3000
    with logd("[defaults]\nallow_uids = 0\n") as d:
        t0 = time.monotonic()
        for k in range(3):
            cat_as(d, DENIED, DENIED, "web", ["denied %d.%d" % (k, i) for i in range(n // 3)])
        wait_for(lambda: d.counters()["acl_denied"] == n, "acl_denied=%d" % n)
        check(d.stop() == 0, "logd exit status")
        took = time.monotonic() - t0
        told = [x for x in d.stderr().splitlines() if "may not write to it" in x]
        check(1 <= len(told) <= int(took) + 2, "%d stderr lines for %d refused records in "
              "%.1f s" % (len(told), n, took))
        check(d.lines("web") == [], "a denied record landed")
        check(dropped_sum(d.lines("logd")) == n, "logd's own stream counts %d, want %d" %
              (dropped_sum(d.lines("logd")), n))


def test_allow_gids_takes_the_primary_gid_only():
    need_root()
    with logd("[stream ops]\nallow_gids = adm\nallow_uids = 0\n") as d:
        send_as(d, ALLOWED, ADM, "ops", "primary adm")
        # adm only as a supplementary group: SCM_CREDENTIALS carries the primary gid.
        send_as(d, DENIED, DENIED, "ops", "supplementary adm", groups=[ADM])
        wait_for(lambda: d.counters()["acl_denied"] == 1, "acl_denied=1")
        sync(d, "ops")
        check(msgs(d, "ops") == ["primary adm", "sync"], "ops: %s" % msgs(d, "ops"))
        check(d.stop() == 0, "logd exit status")


def test_reload_applies_a_changed_acl():
    need_root()
    with logd("[stream web]\nallow_uids = %d\n" % ALLOWED) as d:
        send_as(d, DENIED, DENIED, "web", "before")
        wait_for(lambda: d.counters()["acl_denied"] == 1, "acl_denied=1")
        with open(d.conf, "w") as f:
            f.write("[stream web]\nallow_uids = %d, %d\n" % (ALLOWED, DENIED))
        r = d.ctl("reload")
        check(r.returncode == 0, "logctl reload: %s" % r.stderr)
        send_as(d, DENIED, DENIED, "web", "after")
        wait_for(lambda: "after" in msgs(d, "web"), "the record after the reload")
        check("before" not in msgs(d, "web"), "the record before the reload landed")
        with open(d.conf, "w") as f:
            f.write("[stream web]\nallow_uids = %d\n" % ALLOWED)
        check(d.ctl("reload").returncode == 0, "logctl reload")
        send_as(d, DENIED, DENIED, "web", "revoked")
        wait_for(lambda: d.counters()["acl_denied"] == 2, "acl_denied=2 after revoking")
        check(d.stop() == 0, "logd exit status")
        check("revoked" not in msgs(d, "web"), "a revoked uid still wrote")


def test_bad_acl_names_are_config_errors_with_their_line():
    with Logd(start=False) as d:
        with open(os.path.join(d.dir, "bad.conf"), "w") as f:
            f.write("[stream web]\nallow_uids = nosuchuser-logd\nallow_gids = adm,,4\n"
                    "[daemon]\nsocket_mode = 0999\ncreate_streams = some\n")
        r = d.run([LOGD, "--check-config", "--config", os.path.join(d.dir, "bad.conf")],
                  text=True)
        check(r.returncode == 1, "exit %d" % r.returncode)
        for want in ('bad.conf:2: [stream web]: allow_uids: no user named "nosuchuser-logd"',
                     'bad.conf:3: [stream web]: allow_gids: an empty item in "adm,,4"',
                     'bad.conf:5: [daemon]: socket_mode: "0999" is not an octal mode',
                     'bad.conf:6: [daemon]: create_streams: "some" is not one of any or '
                     'configured'):
            check(want in r.stderr, "no %r in: %s" % (want, r.stderr))


def test_create_streams_configured_refuses_unconfigured_names():
    need_root()
    with logd("[daemon]\ncreate_streams = configured\n[stream known]\nmax_files = 3\n") as d:
        send_as(d, ALLOWED, ALLOWED, "known", "configured")
        send_as(d, ALLOWED, ALLOWED, "unknown", "not configured")
        check(d.run([LOGCTL, "send", "-s", "unknown2", "root too"]).returncode == 0, "send")
        wait_for(lambda: d.counters()["unconfigured"] == 2, "unconfigured=2")
        sync(d, "known")
        check(msgs(d, "known") == ["configured", "sync"], "known: %s" % msgs(d, "known"))
        # (logd's own may not be on disk yet: under valgrind its first line comes late.)
        check([s for s in d.streams() if s != "logd"] == ["known"],
              "streams: %s" % d.streams())
        wait_for(lambda: "could not be created for uid %d" % ALLOWED in d.stderr(),
                 "the refusal on stderr")
        check("no [stream unknown] section; add one, or set create_streams = any" in
              d.stderr(), "stderr: %s" % d.stderr())
        check(stats(d)["dropped"]["unconfigured"] == 2, "logctl stats")
        check(d.stop() == 0, "logd exit status")


def test_max_streams_per_uid_holds_for_users_not_for_root():
    need_root()
    with logd("[daemon]\nmax_streams_per_uid = 3\n") as d:
        for i in range(5):
            send_as(d, ALLOWED, ALLOWED, "u%d" % i, "user %d" % i)
        for i in range(5):
            check(d.run([LOGCTL, "send", "-s", "r%d" % i, "root %d" % i]).returncode == 0,
                  "root send")
        # Another uid has a budget of its own.
        send_as(d, DENIED, DENIED, "v0", "other uid")
        wait_for(lambda: d.counters()["uid_streams"] == 2, "uid_streams=2")
        # Every record is in; each stream's directory comes with its first write, and
        # one flush writes its streams in turn: wait for them all (u3 and u4 never).
        want = ["logd", "r0", "r1", "r2", "r3", "r4", "u0", "u1", "u2", "v0"]
        wait_for(lambda: d.streams() == want, "the streams %s" % want)
        # Existing streams of the uid still take its records.
        send_as(d, ALLOWED, ALLOWED, "u1", "again")
        wait_for(lambda: msgs(d, "u1") == ["user 1", "again"], "u1's second record")
        wait_for(lambda: "max_streams_per_uid (3)" in d.stderr(), "the refusal on stderr")
        check(re.search(r"stream u[34] could not be created: uid %d \(pid \d+\) has created "
                        r"max_streams_per_uid \(3\) streams; raise max_streams_per_uid"
                        % ALLOWED, d.stderr()), "stderr: %s" % d.stderr())
        check(stats(d)["dropped"]["uid_streams"] == 2, "logctl stats")
        check('logd_dropped_records_total{reason="uid_streams"} 2' in prometheus(d),
              "Prometheus")
        check(d.stop() == 0, "logd exit status")


def test_a_flood_of_100k_names_from_one_uid_is_bounded():
    need_root()
    n, per_uid, per_dgram = 100000, 64, 1000
    names = ["flood-%06d" % i for i in range(n)]
    dgrams = [datagram(*[record(x, "x") for x in names[i:i + per_dgram]])
              for i in range(0, n, per_dgram)]
    with logd("[daemon]\nmax_streams = 1024\nmax_streams_per_uid = %d\n" % per_uid) as d:
        send_dgrams_as(d, DENIED, [datagram(record("keep", "before"))])
        wait_for(lambda: msgs(d, "keep") == ["before"], "the existing stream")
        base = d.peak_rss()
        t0 = time.monotonic()
        # The flood, and records for the existing stream between its datagrams.
        for k in range(0, len(dgrams), 10):
            send_dgrams_as(d, ALLOWED, dgrams[k:k + 10])
            d.send(datagram(record("keep", "during %d" % k)))
        wait_for(lambda: d.counters()["uid_streams"] == n - per_uid, "every record taken in")
        took = time.monotonic() - t0
        d.send(datagram(record("keep", "after")))
        want = ["before"] + ["during %d" % k for k in range(0, len(dgrams), 10)] + ["after"]
        wait_for(lambda: msgs(d, "keep") == want, "keep's records during and after the flood")
        c = d.counters()
        check(c["streams"] == per_uid + 1, "streams=%d, want %d" % (c["streams"], per_uid + 1))
        check(c["rejected"] == n - per_uid and c["uid_streams"] == n - per_uid,
              "counters: %s" % c)
        peak = d.peak_rss()
        # The refused names cost nothing per name: 64 streams of 512-byte batches
        # and a few lines of logd's own.  ASan's shadow and quarantine inflate
        # the base, not the growth.
        check(peak - base < 16 << 20, "peak RSS grew by %d KiB (from %d KiB) in the flood" %
              ((peak - base) >> 10, base >> 10))
        check(SANITIZED or peak < 64 << 20, "peak RSS %d KiB" % (peak >> 10))
        told = [x for x in d.stderr().splitlines() if "max_streams_per_uid" in x]
        check(len(told) <= 17 * (int(took) + 2), "%d stderr lines in a %.1f s flood" %
              (len(told), took))
        check(d.stop() == 0, "logd exit status")
        check(len([x for x in d.streams() if x.startswith("flood-")]) == per_uid,
              "flood streams on disk: %d" % len(d.streams()))
        check(dropped_sum(d.lines("logd")) == n - per_uid, "logd's own stream counts %d" %
              dropped_sum(d.lines("logd")))
        print("flood: %d names in %.2f s, peak RSS %d KiB (base %d KiB)" %
              (n, took, peak >> 10, base >> 10))


def test_socket_mode_and_group_apply_to_the_socket_logd_binds():
    need_root()
    with logd("[daemon]\nsocket_mode = 0620\nsocket_group = adm\n") as d:
        sb = os.stat(d.sock)
        check(stat.S_ISSOCK(sb.st_mode) and stat.S_IMODE(sb.st_mode) == 0o620,
              "mode %o" % stat.S_IMODE(sb.st_mode))
        check(sb.st_gid == ADM, "group %d" % sb.st_gid)
        send_as(d, ALLOWED, ADM, "grp", "in the group")
        r = d.run(as_user(DENIED, DENIED) + [LOGCTL, "send", "-s", "grp", "not in it"],
                  text=True)
        check(r.returncode != 0 and "Permission denied" in r.stderr,
              "a sender outside the group reached the socket: %s" % r.stderr)
        sync(d, "grp")
        check(msgs(d, "grp") == ["in the group", "sync"], "grp: %s" % msgs(d, "grp"))
        check(d.stop() == 0, "logd exit status")


def proc_ids(pid):
    with open("/proc/%d/status" % pid) as f:
        st = dict(line.split(":", 1) for line in f)
    return ([int(x) for x in st["Uid"].split()], [int(x) for x in st["Gid"].split()],
            st["Groups"].split())


def test_user_drops_root_and_keeps_logging_rotating_and_creating():
    need_root()
    with logd("[daemon]\nuser = nobody\n[defaults]\nmax_file_size = 4K\n") as d:
        uids, gids, groups = proc_ids(d.proc.pid)
        check(uids == [65534] * 4 and gids == [65534] * 4, "ids: %s %s" % (uids, gids))
        check(groups == ["65534"], "groups: %s" % groups)  # nobody's own, by initgroups
        check("running as user nobody (uid 65534, gid 65534)" in d.stderr(), d.stderr())
        send_as(d, ALLOWED, ALLOWED, "app", "after the drop")
        wait_for(lambda: msgs(d, "app") == ["after the drop"], "a new stream after the drop")
        check(os.stat(d.path("app")).st_uid == 65534, "current.log is not nobody's")
        # Rotation at 4K, and logctl rotate (the control socket is nobody's now).
        check(d.ctl("rotate", "app").returncode == 0, "logctl rotate")
        wait_for(lambda: len(archives(d, "app")) == 1, "the archive")
        cat_as(d, ALLOWED, ALLOWED, "app", ["line %d %s" % (i, "y" * 100) for i in range(200)])
        wait_for(lambda: len(archives(d, "app")) >= 4, "rotation by size")
        check(d.stop() == 0, "logd exit status: %s" % d.stderr())
        check("write_errors=0" in d.stderr(), "write errors after the drop: %s" % d.stderr())


def test_user_refuses_to_start_when_it_cannot_drop():
    need_root()
    with Logd(config="[daemon]\nuser = daemon\n", start=False) as d:
        os.chmod(d.dir, 0o755)
        r = d.run(as_user(65534, 65534) + d.command(), text=True)
        check(r.returncode == 1, "exit %d: %s" % (r.returncode, r.stderr))
        check("user = daemon: logd runs as uid 65534, not root, so it cannot become uid 1"
              in r.stderr and "start it as root" in r.stderr, "stderr: %s" % r.stderr)
        check(not os.path.exists(d.logs), "it made the log dir before refusing")
    with Logd(config="[daemon]\nuser = nosuchuser-logd\n", start=False) as d:
        r = d.run(d.command(), text=True)
        check(r.returncode == 1 and 'user: no user named "nosuchuser-logd"' in r.stderr,
              "exit %d: %s" % (r.returncode, r.stderr))


def test_log_group_reads_what_logd_creates_whatever_the_umask():
    need_root()
    reader, group = 65534, 4321     # nobody, and a group number with no name
    with Logd(config="[defaults]\ncompress = zstd\n", args=["--log-group", str(group)],
              start=False) as d:
        os.chmod(d.dir, 0o755)      # the reader reaches the log dir through it
        d.wrap = ["sh", "-c", 'umask 077; exec "$@"', "sh"]
        d.start()
        send_as(d, 0, 0, "app", "for the group")
        wait_for(lambda: msgs(d, "app") == ["for the group"], "the line")
        check(d.ctl("rotate", "app").returncode == 0, "logctl rotate")
        wait_for(lambda: any(a.endswith(".zst") for a in archives(d, "app")), "the .zst")
        send_as(d, 0, 0, "app", "after the rotation")
        wait_for(lambda: len(msgs(d, "app")) == 1, "the new line")
        zst = [a for a in archives(d, "app") if a.endswith(".zst")][0]
        for path, mode in ((d.logs, 0o750), (os.path.join(d.logs, "app"), 0o750),
                           (d.path("app"), 0o640), (os.path.join(d.logs, "app", zst), 0o640)):
            st = os.stat(path)
            check(stat.S_IMODE(st.st_mode) == mode and st.st_gid == group,
                  "%s: mode %o gid %d, want %o and %d" % (path, stat.S_IMODE(st.st_mode),
                                                         st.st_gid, mode, group))
        show = [LOGCTL, "show", "--log-dir", d.logs, "app"]
        r = d.run(as_user(reader, reader, [group]) + show, text=True)
        check(r.returncode == 0 and "for the group" in r.stdout and
              "after the rotation" in r.stdout, "a member of the group: %s" % (r.stderr,))
        r = d.run(as_user(reader, reader) + show, text=True)
        check(r.returncode != 0 and "ermission denied" in r.stderr,
              "not a member: exit %d %s" % (r.returncode, r.stderr))
        check(d.stop() == 0, "logd exit status: %s" % d.stderr())
    # logd must be in the group to give it files: else it says so and does not start.
    with Logd(args=["--log-group", str(group)], start=False) as d:
        os.chmod(d.dir, 0o777)
        r = d.run(as_user(reader, reader) + d.command(), text=True)
        check(r.returncode == 1 and "log_group = %d: logd (uid %d) is not a member of that "
              "group" % (group, reader) in r.stderr, "exit %d: %s" % (r.returncode, r.stderr))
        check(not os.path.exists(d.logs), "it made the log dir before refusing")
    # Narrower modes: what logd creates from then on.
    with Logd(config="[daemon]\ndir_mode = 0700\nfile_mode = 0600\n") as d:
        send_as(d, 0, 0, "app", "private")
        wait_for(lambda: msgs(d, "app") == ["private"], "the line")
        check(stat.S_IMODE(os.stat(os.path.join(d.logs, "app")).st_mode) == 0o700 and
              stat.S_IMODE(os.stat(d.path("app")).st_mode) == 0o600, "dir_mode, file_mode")


if __name__ == "__main__":
    main([test_allow_uids_lets_listed_uids_write_and_counts_the_rest,
          test_denied_flood_is_said_once_a_second_not_once_a_record,
          test_allow_gids_takes_the_primary_gid_only,
          test_reload_applies_a_changed_acl,
          test_bad_acl_names_are_config_errors_with_their_line,
          test_create_streams_configured_refuses_unconfigured_names,
          test_max_streams_per_uid_holds_for_users_not_for_root,
          test_a_flood_of_100k_names_from_one_uid_is_bounded,
          test_socket_mode_and_group_apply_to_the_socket_logd_binds,
          test_user_drops_root_and_keeps_logging_rotating_and_creating,
          test_user_refuses_to_start_when_it_cannot_drop,
          test_log_group_reads_what_logd_creates_whatever_the_umask])
