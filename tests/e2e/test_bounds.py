"""Bounds from the configuration: max_streams rejects and counts; a tiny queue
holds senders back (backpressure) without losing or reordering anything; the
json format writes one valid object per line."""
import json
import re
import subprocess
import time

from harness import (LOGCTL, SENDER, Logd, check, datagram, dropped_sum, main, parse, record,
                     wait_for, write_lines)


def test_max_streams_rejects_and_counts_new_streams():
    with Logd(config="[daemon]\nmax_streams = 2\n") as d:
        for stream, n in [("one", 3), ("two", 2), ("three", 4), ("one", 1)]:
            for i in range(n):
                r = d.run([LOGCTL, "send", "-s", stream, "%s %d" % (stream, i)])
                check(r.returncode == 0, "logctl send failed: %s" % r.stderr)
        wait_for(lambda: "max_streams" in d.stderr(), "the max_streams message")
        check(d.stop() == 0, "logd exit status")
        check(len(d.lines("one")) == 4 and len(d.lines("two")) == 2, "streams within the bound")
        check(d.lines("three") == [], "a third stream was written")
        st = d.stopped()
        check(st["rejected"] == 4, "rejected=%d, want 4" % st["rejected"])
        check("stream three" in d.stderr() and "raise max_streams" in d.stderr(),
              "stderr names the stream and the setting: %s" % d.stderr())
        # Every loss is in a file: logd's own stream, which max_streams does not count.
        # (At most once a second: the four may be told in more than one line.)
        own = [parse(x)["msg"] for x in d.lines("logd")]
        # "dropped 1 record: ..." or "dropped 3 records: ...".
        three = [x for x in d.lines("logd") if re.search(
                 r" records?: stream three could not be created: max_streams \(2\) reached; "
                 r"raise max_streams in logd.conf$", parse(x)["msg"])]
        check(dropped_sum(three) == 4, "logd/current.log does not say what stream three lost: "
              "%s" % own)
        check(dropped_sum(d.lines("logd")) == 4, "logd's stream reports other losses: %s" % own)


def test_a_busy_flush_holds_quiet_streams_until_busy_flush_interval():
    """More than busy_streams streams waiting: each is written busy_flush_interval after
    its first record, not flush_interval after; none is lost, and shutdown writes them all."""
    conf = "[daemon]\nflush_interval = 20ms\nbusy_streams = 2\nbusy_flush_interval = 1500ms\n"
    with Logd(config=conf) as d:
        t0 = time.monotonic()
        for name in ("a", "b", "c"):
            d.send(datagram(record(name, "quiet " + name)))
        wait_for(lambda: all(d.lines(n) for n in ("a", "b", "c")), "the three lines")
        # The records were received after t0, so their 1.5 s ended after t0 + 1.5 s,
        # less one flush tick (20 ms) and the coarse clock's (4 ms).
        waited = time.monotonic() - t0
        check(waited >= 1.45, "written %.2f s after sending, before busy_flush_interval" % waited)
        # And at SIGTERM a busy stream is written at once, not a second and a half later.
        for name in ("a", "b", "c"):
            d.send(datagram(record(name, "last " + name)))
        wait_for(lambda: d.counters()["records"] == 6, "logd to take the last three")
        check(d.stop() == 0, "logd exit status")
        for name in ("a", "b", "c"):
            check([parse(x)["msg"] for x in d.lines(name)] == ["quiet " + name, "last " + name],
                  "stream %s: %s" % (name, d.lines(name)))


def test_senders_cannot_write_to_logds_own_stream():
    with Logd() as d:
        r = d.run([LOGCTL, "send", "-s", "logd", "logd: forged"])
        check(r.returncode == 0, "logctl send failed: %s" % r.stderr)
        wait_for(lambda: "logd's own stream" in d.stderr(), "the rejection on stderr")
        check(d.stop() == 0, "logd exit status")
        own = [parse(x) for x in d.lines("logd")]
        check(not any(r["msg"] == "logd: forged" for r in own) and all(r["own"] for r in own),
              "a sender wrote to logd's own stream: %s" % own)
        check(any(r["msg"].startswith("dropped 1 record: stream logd could not be "
                                      "created: the name is logd's own stream's")
                  for r in own), "no record of it: %s" % own)
        check(own[0]["msg"].startswith("started: ") and own[-1]["msg"].startswith(
              "stopped: records=1 "), "start and stop lines: %s" % own)
        check(d.stopped()["rejected"] == 1, "the record was not counted as rejected")


def test_a_flood_of_new_names_gives_logds_stream_a_few_lines_with_every_loss():
    with Logd(config="[daemon]\nmax_streams = 1\n") as d:
        n = 2000
        t0 = time.monotonic()
        for i in range(0, n, 100):
            d.send(datagram(*[record("name%d" % j, "x") for j in range(i, i + 100)]))
        wait_for(lambda: d.counters()["rejected"] == n - 1, "every record taken in")
        check(d.stop() == 0, "logd exit status")
        took = time.monotonic() - t0
        lines = d.lines("logd")
        # At most 16 names and one line for the rest, once a second (and at the stop).
        bound = 17 * (int(took) + 2) + 2
        check(len(lines) <= bound, "%d lines in logd's stream for a flood of %.1f s (at most %d)"
              % (len(lines), took, bound))
        check(dropped_sum(lines) == n - 1, "logd's stream reports %d lost, want %d" %
              (dropped_sum(lines), n - 1))
        check(d.stopped()["backpressure"] == 0, "rejected records held up reading: %s" %
              d.stopped())


def test_tiny_queue_applies_backpressure_and_loses_nothing():
    # Eight streams whose 256K batches cannot all be open in a 1M budget:
    # ingest must stop reading, hand everything to the writer, and resume.
    # No flush timer and no crit records, which would seal small batches early.
    conf = "[daemon]\nqueue_max_bytes = 1M\nbatch_bytes = 256K\nflush_interval = 1min\n"
    n = 8
    with Logd(config=conf) as d:
        senders = [d.spawn([SENDER, "load", "bp%d" % i, str(i), "5000", "6"])
                   for i in range(n)]
        for p in senders:
            check(p.wait(120) == 0, "a blocking sender failed")
        check(d.stop() == 0, "logd exit status: %s" % d.stderr())
        st = d.stopped()
        check(st["backpressure"] > 0, "the queue never filled: the test did not test")
        check(st["queue_high_water"] <= 1 << 20, "queue grew to %d bytes, past its 1M cap" %
              st["queue_high_water"])
        for i in range(n):
            seqs = [int(parse(x)["msg"].split()[1][4:]) for x in d.lines("bp%d" % i)]
            check(seqs == list(range(5000)), "bp%d: %d records, lost or reordered" %
                  (i, len(seqs)))


def test_tiny_queue_resumes_inside_a_datagram_without_loss_or_duplicates():
    # logctl cat packs hundreds of records into one datagram, so the memory
    # budget runs out in the middle of one: ingest must resume at that record.
    conf = "[daemon]\nqueue_max_bytes = 1M\nbatch_bytes = 256K\nflush_interval = 1min\n"
    n, count = 6, 30000
    want = [b"line %d %s" % (k, b"x" * (k % 50)) for k in range(count)]
    with Logd(config=conf) as d:
        ps = [d.spawn([LOGCTL, "cat", "-s", "c%d" % i], stdin=subprocess.PIPE, bufsize=0)
              for i in range(n)]
        for j in range(0, count, 1000):
            for p in ps:
                write_lines(p.stdin, [x + b"\n" for x in want[j:j + 1000]])
        for p in ps:
            p.stdin.close()
        for p in ps:
            check(p.wait(120) == 0, "logctl cat failed")
        check(d.stop() == 0, "logd exit status: %s" % d.stderr())
        st = d.stopped()
        check(st["backpressure"] > 0, "the queue never filled: the test did not test")
        check(st["records"] > 10 * st["datagrams"], "records were not packed (test premise)")
        for i in range(n):
            got = [parse(x)["msg"].encode() for x in d.lines("c%d" % i)]
            check(got == want, "c%d: %d lines, lost, duplicated or reordered" % (i, len(got)))


def test_json_format_writes_one_object_per_line():
    with Logd(config="[defaults]\nformat = json\n") as d:
        p = d.spawn([SENDER, "caller", "js"])
        check(p.wait(30) == 0, "sender failed")
        check(d.run([LOGCTL, "send", "-s", "js", 'quote " and \x01']).returncode == 0, "send")
        check(d.stop() == 0, "logd exit status")
        objs = [json.loads(x) for x in d.lines("js")]
        check(len(objs) == 2, "%d lines" % len(objs))
        a, b = objs
        check(a["priority"] == "warning" and a["message"] == "from caller" and
              a["stream"] == "js" and a["pid"] == p.pid and a["func"] == "main" and
              a["file"].endswith("e2e_sender.c") and a["line"] > 0, "caller record: %s" % a)
        check(b["message"] == 'quote " and \x01' and b["priority"] == "info", "send: %s" % b)
        check(a["ts"].endswith("Z") and "uid" in a and "gid" in a, "ts/uid/gid: %s" % a)


if __name__ == "__main__":
    main([test_max_streams_rejects_and_counts_new_streams,
          test_a_busy_flush_holds_quiet_streams_until_busy_flush_interval,
          test_senders_cannot_write_to_logds_own_stream,
          test_a_flood_of_new_names_gives_logds_stream_a_few_lines_with_every_loss,
          test_tiny_queue_applies_backpressure_and_loses_nothing,
          test_tiny_queue_resumes_inside_a_datagram_without_loss_or_duplicates,
          test_json_format_writes_one_object_per_line])
