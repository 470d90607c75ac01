"""One stream's fault never stops the others.  Obstacles planted in the log dir
(a file where a stream's directory goes, a directory where current.log goes, a
symlink loop, a read-only mount of the stream's own) fail their streams alone:
their records are dropped and counted, every other stream keeps flowing under
overflow = block, SIGTERM drains the rest and exits 0, and the loss is in a
file.  A failed stream is retried (1 s, then 2, 4... apart, at once on SIGHUP)
and the first line it gets back is the marker with the exact count it lost."""
import os
import re
import shutil
import signal
import subprocess

from harness import (LOGCTL, SENDER, SLOW, Fail, Logd, Skip, check, datagram, dropped_sum, main,
                     mount_tmpfs, parse, record, umount, wait_for)


def plant(d, kind, stream):
    """An obstacle in the way of stream's files."""
    path = os.path.join(d.logs, stream)
    if kind == "notdir":        # a file where the directory goes: ENOTDIR
        with open(path, "w") as f:
            f.write("not a directory\n")
    elif kind == "isdir":       # a directory where current.log goes: EISDIR
        os.makedirs(os.path.join(path, "current.log"))
    elif kind == "loop":        # a symlink that points at itself: ELOOP
        os.symlink(stream, path)
    elif kind == "dirlink":     # a symlink to a directory outside the log dir: never followed
        os.makedirs(outside(d), exist_ok=True)
        os.symlink(outside(d), path)
    elif kind == "filelink":    # current.log a symlink to a file outside: never written
        os.makedirs(path)
        os.makedirs(outside(d), exist_ok=True)
        with open(outside(d, "file"), "w") as f:
            f.write("not logd's\n")
        os.symlink(outside(d, "file"), os.path.join(path, "current.log"))
    elif kind == "fifo":        # current.log a FIFO nobody reads: refused, never opened
        os.makedirs(path)
        os.mkfifo(os.path.join(path, "current.log"))
    elif kind == "readonly":    # a read-only file system of the stream's own: EROFS
        mount_tmpfs(path, "1m", ",ro")
    else:
        raise ValueError(kind)


def outside(d, name=""):
    """A path beside the log dir, where a planted link points."""
    return os.path.join(d.dir, "outside", name)


def clear(d, kind, stream):
    """Takes the obstacle away again."""
    path = os.path.join(d.logs, stream)
    if kind == "isdir":
        os.rmdir(os.path.join(path, "current.log"))
    elif kind in ("filelink", "fifo"):
        os.unlink(os.path.join(path, "current.log"))
    elif kind == "readonly":
        umount(path)
    else:
        os.unlink(path)


# What stderr says of each: the path in the way, and why.
SYMLINK = "it is a symbolic link, which logd never follows"
ERRORS = {"notdir": ("", "it is not a directory"), "isdir": ("/current.log", "Is a directory"),
          "loop": ("", SYMLINK), "dirlink": ("", SYMLINK), "filelink": ("/current.log", SYMLINK),
          "fifo": ("/current.log", "it is not a regular file \\(a FIFO, socket or device\\), "
                   "which logd never writes to"),
          "readonly": ("/current.log", "Read-only file system")}


def own(d):
    return [parse(x)["msg"] for x in d.lines("logd")]


def test_an_obstacle_fails_its_stream_alone_while_the_others_take_load():
    # A queue small enough that a stuck writer would stop logd reading at once.
    conf = "[daemon]\nqueue_max_bytes = 1M\nbatch_bytes = 64K\n"
    kinds = ["notdir", "isdir", "loop", "dirlink", "filelink", "fifo"]
    count, nbad = 20000, 300
    with Logd(config=conf, start=False) as d:
        os.makedirs(d.logs)
        for k in kinds:
            plant(d, k, "bad-" + k)
        d.start()
        good = [d.spawn([SENDER, "load", "good%d" % i, str(i), str(count), "6"],
                        stdout=subprocess.PIPE, text=True) for i in range(3)]
        for k in kinds:
            for i in range(0, nbad, 50):
                d.send(*[datagram(record("bad-" + k, "lost %d" % j)) for j in range(i, i + 50)])
        for i, p in enumerate(good):
            out = p.communicate(timeout=60 * SLOW)[0]
            check(p.returncode == 0 and out.strip() == "sent=%d failed=0" % count,
                  "good%d, a blocking sender, did not get through: %r" % (i, out))
        wait_for(lambda: d.counters()["records"] == 3 * count + len(kinds) * nbad,
                 "every record taken in")
        # Taken in is not yet written: the writer may still be behind, short of the
        # bad streams' batches, so what it says of them is waited for.
        said = {k: r"stream bad-%s: cannot write %s/bad-%s%s: %s; .*dropping its records "
                   r"\(counted\) and trying again in \d+ s, or at SIGHUP" %
                   (k, re.escape(d.logs), k, ERRORS[k][0], ERRORS[k][1]) for k in kinds}

        def unsaid():
            return [k for k in kinds if not re.search(said[k], d.stderr())]

        try:
            wait_for(lambda: not unsaid(), "stderr to say which stream, path and error")
        except Fail:
            check(False, "stderr does not say which stream, path and error (%s): %s" %
                  (", ".join(unsaid()), d.stderr()))
        rc = d.stop(timeout=30)
        check(rc == 0, "SIGTERM with failed streams: exit %d, want 0: %s" % (rc, d.stderr()))
        for i in range(3):
            seqs = [int(parse(x)["msg"].split()[1][4:]) for x in d.lines("good%d" % i)]
            check(seqs == list(range(count)), "good%d: %d records, lost or reordered" %
                  (i, len(seqs)))
        st = d.stopped()
        check(st["unwritable"] == len(kinds) * nbad, "unwritable=%d, want %d" %
              (st["unwritable"], len(kinds) * nbad))
        # Every loss is in a file: these streams' files cannot take it, logd's own does.
        for k in kinds:
            check(any(re.match(r"stream bad-%s cannot be written \(%s/bad-%s%s: %s\)" %
                               (k, re.escape(d.logs), k, ERRORS[k][0], ERRORS[k][1]), m)
                      for m in own(d)),
                  "logd's stream does not say bad-%s failed: %s" % (k, own(d)))
            check(any(m.startswith("dropped %d records: stream bad-%s could not be "
                                   "written until logd stopped" % (nbad, k)) for m in own(d)),
                  "logd's stream does not count what bad-%s lost: %s" % (k, own(d)))
        check(dropped_sum(d.lines("logd")) == len(kinds) * nbad, "logd's stream: %s" % own(d))
        # Nothing went through the links: what they point at is as it was.
        check(os.listdir(outside(d)) == ["file"], "written through a link: %s" %
              os.listdir(outside(d)))
        with open(outside(d, "file")) as f:
            check(f.read() == "not logd's\n", "the file a link points at was written to")


def recovered(d, stream):
    lines = d.lines(stream)
    return lines and "could not be written" in lines[0]


def test_a_failed_stream_recovers_with_the_exact_count_first():
    with Logd(start=False) as d:
        os.makedirs(d.logs)
        plant(d, "notdir", "by-timer")
        plant(d, "isdir", "by-sighup")
        d.start()
        for stream, n in (("by-timer", 7), ("by-sighup", 5)):
            for i in range(n):
                r = d.run([LOGCTL, "send", "-s", stream, "lost %d" % i])
                check(r.returncode == 0, "logctl send: %s" % r.stderr)
        wait_for(lambda: d.counters()["unwritable"] == 12, "both streams' records dropped")
        # Retried 1 s after it failed, then 2 s after that, and said so each time.
        wait_for(lambda: "stream by-timer: cannot write" in d.stderr() and
                 "trying again in 2 s" in d.stderr(), "the second retry", timeout=10)
        clear(d, "notdir", "by-timer")
        wait_for(lambda: recovered(d, "by-timer"), "by-timer retried by itself", timeout=10)
        clear(d, "isdir", "by-sighup")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: recovered(d, "by-sighup"), "by-sighup retried at SIGHUP", timeout=2)
        for stream in ("by-timer", "by-sighup"):
            check(d.run([LOGCTL, "send", "-s", stream, "back"]).returncode == 0, "send")
        check(d.stop() == 0, "logd exit status: %s" % d.stderr())
        for stream, n, err in (("by-timer", 7, "it is not a directory"),
                               ("by-sighup", 5, "Is a directory")):
            lines = [parse(x) for x in d.lines(stream)]
            check(re.match(r"dropped %d records: the stream could not be written for "
                           r"\d+\.\d{3} s: %s$" % (n, err), lines[0]["msg"]) and
                  lines[0]["prio"] == "warning" and lines[0]["own"],
                  "%s: the first line is not the exact count: %s" % (stream, lines[0]))
            check([r["msg"] for r in lines[1:]] == ["back"], "%s: %s" % (stream, lines))
            check(any(m.startswith("stream %s can be written again after" % stream)
                      for m in own(d)), "logd's stream does not say %s recovered" % stream)
        # The streams' own files carry the loss now; logd's stream does not count it again.
        check(dropped_sum(d.lines("logd")) == 0, "logd's stream: %s" % own(d))
        check(d.stopped()["unwritable"] == 12, "unwritable counter")


def test_a_read_only_mount_of_one_stream_fails_that_stream_alone():
    with Logd(start=False) as d:
        os.makedirs(d.logs)
        try:
            plant(d, "readonly", "ro")
            d.start()
            d.send(datagram(record("ro", "lost")), datagram(record("fine", "kept")))
            wait_for(lambda: len(d.lines("fine")) == 1 and d.counters()["unwritable"] == 1,
                     "the writable stream written, the read-only one failed")
            check(d.stop() == 0, "logd exit status: %s" % d.stderr())
            check("stream ro: cannot write %s/ro/current.log: Read-only file system" % d.logs
                  in d.stderr(), "stderr: %s" % d.stderr())
            check(d.stopped()["stalls"] == 0, "a read-only mount of one stream stalled all")
        finally:
            try:
                d.cleanup()
            finally:
                umount(os.path.join(d.logs, "ro"))


def test_eacces_as_an_unprivileged_logd():
    with Logd(start=False) as d:
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            raise Skip("needs root and setpriv (util-linux) to run logd as another user")
        os.chmod(d.dir, 0o777)      # nobody binds its socket there
        os.makedirs(d.logs)
        os.chmod(d.logs, 0o777)
        os.makedirs(os.path.join(d.logs, "locked"), mode=0o700)    # root's, not nobody's
        d.wrap = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        d.start()
        d.send(datagram(record("locked", "lost")), datagram(record("open", "kept")))
        wait_for(lambda: d.counters()["unwritable"] == 1 and len(d.lines("open")) == 1,
                 "the open stream written, the locked one failed")
        check(d.stop() == 0, "logd exit status: %s" % d.stderr())
        check(re.search(r"stream locked: cannot write .*/locked: Permission denied; "
                        r"give logd's user write access to it", d.stderr()),
              "stderr: %s" % d.stderr())


if __name__ == "__main__":
    main([test_an_obstacle_fails_its_stream_alone_while_the_others_take_load,
          test_a_failed_stream_recovers_with_the_exact_count_first,
          test_a_read_only_mount_of_one_stream_fails_that_stream_alone,
          test_eacces_as_an_unprivileged_logd])
