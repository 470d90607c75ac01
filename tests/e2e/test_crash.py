"""Crash recovery: after kill -9 at any moment, logd starts again on the same
paths (the stale socket is replaced) and every line of every file is whole; a
current.log whose last line was torn gets that line terminated and a marker."""
import os
import signal
import subprocess

from harness import SENDER, Logd, check, datagram, main, parse, record, wait_for


def test_torn_last_line_is_terminated_and_marked():
    with Logd(start=False) as d:
        os.makedirs(os.path.join(d.logs, "s"))
        with open(d.path("s"), "w") as f:
            f.write("2026-11-22T12:00:00.000000Z info [1] a whole line\n"
                    "2026-11-22T12:00:00.000001Z info [1] a line cut sh")
        d.start()
        d.send(datagram(record("s", "after the restart")))
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = [parse(x) for x in d.lines("s")]
        check([r["msg"] for r in lines] ==
              ["a whole line", "a line cut sh",
               "previous run ended uncleanly; the line before this one was cut short",
               "after the restart"], "lines: %s" % lines)
        check(lines[2]["prio"] == "warning" and lines[2]["own"],
              "marker: %s" % lines[2])
        # Stamped with the file's last write, the marker keeps the file's lines in time order.
        check([r["ts"] for r in lines] == sorted(r["ts"] for r in lines),
              "lines out of time order: %s" % [r["ts"] for r in lines])


def test_whole_file_gets_no_marker():
    with Logd(start=False) as d:
        os.makedirs(os.path.join(d.logs, "s"))
        with open(d.path("s"), "w") as f:
            f.write("2026-11-22T12:00:00.000000Z info [1] a whole line\n")
        d.start()
        d.send(datagram(record("s", "next")))
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        check([parse(x)["msg"] for x in d.lines("s")] == ["a whole line", "next"],
              "lines: %s" % d.lines("s"))


def test_kill_9_during_a_flood_then_restart():
    count = 30000
    with Logd(config="[daemon]\nflush_interval = 1ms\n") as d:
        senders = [d.spawn([SENDER, "load", "k%d" % i, str(i), str(count)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for i in range(3)]
        wait_for(lambda: all(len(d.lines("k%d" % i)) > 2000 for i in range(3)),
                 "the flood to be on disk")
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        for p in senders:
            p.kill()
            p.wait()
        check(os.path.exists(d.sock), "the socket file is gone (test premise: stale socket)")
        d.start()
        check("replacing stale socket" in d.stderr(), "no stale-socket notice: %s" % d.stderr())
        for i in range(3):
            d.send(datagram(record("k%d" % i, "after the crash")))
        wait_for(lambda: all(d.lines("k%d" % i)[-1].endswith("after the crash")
                             for i in range(3)), "the new records on disk")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        for i in range(3):
            raw = d.lines("k%d" % i)
            torn = [j for j, x in enumerate(raw) if "[logd] previous run ended uncleanly" in x]
            # A torn line, if any, was the last before the restart and is followed by the marker.
            check(len(torn) <= 1 and all(j == len(raw) - 2 for j in torn),
                  "k%d: markers at %s of %d lines" % (i, torn, len(raw)))
            # Every other line is whole; the records before the crash are the first ones.
            before = [parse(x) for x in raw[:len(raw) - 1 - 2 * len(torn)]]
            seqs = [int(r["msg"].split()[1][4:]) for r in before]
            check(seqs == list(range(len(seqs))),
                  "k%d: records before the crash lost or reordered" % i)


if __name__ == "__main__":
    main([test_torn_last_line_is_terminated_and_marked,
          test_whole_file_gets_no_marker,
          test_kill_9_during_a_flood_then_restart])
