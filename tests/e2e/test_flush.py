"""The flush timer: one record to an idle daemon reaches the file without a
signal, and how soon depends on flush_interval (so it is the timer that writes)."""
import os
import time

from harness import LOGCTL, Logd, check, main, parse, wait_for


def first_line_latency(d, stream, deadline):
    """Sends one record; returns the seconds until its line is in current.log."""
    t0 = time.monotonic()
    r = d.run([LOGCTL, "send", "-s", stream, "lonely record"])
    check(r.returncode == 0, "logctl send failed: %s" % r.stderr)
    wait_for(lambda: os.path.exists(d.path(stream)) and d.lines(stream),
             "the record to reach %s/current.log with no signal" % stream, timeout=deadline)
    latency = time.monotonic() - t0
    check(d.proc.poll() is None, "logd exited")
    check([parse(x)["msg"] for x in d.lines(stream)] == ["lonely record"], "line content")
    return latency


def test_single_record_reaches_file_by_flush_timer():
    with Logd(config="[daemon]\nflush_interval = 100ms\n") as d:
        latency = first_line_latency(d, "idle", 5)
        check(d.stop() == 0, "logd exited non-zero")
        print("flush_interval 100ms: on disk after %.3f s" % latency)


def test_default_flush_interval_is_short():
    with Logd() as d:            # --config /dev/null: built-in defaults (100 ms)
        latency = first_line_latency(d, "idle", 5)
        check(d.stop() == 0, "logd exited non-zero")
        print("default flush_interval: on disk after %.3f s" % latency)
        check(latency < 1.0, "on disk only after %.3f s with the 100 ms default" % latency)


def test_record_waits_for_a_long_flush_interval():
    # With 1.5 s, the batch stays in memory for 1.5 s after the record arrived
    # (which was after t0), then the timer seals it.
    with Logd(config="[daemon]\nflush_interval = 1500ms\n") as d:
        latency = first_line_latency(d, "slow", 10)
        check(d.stop() == 0, "logd exited non-zero")
        print("flush_interval 1500ms: on disk after %.3f s" % latency)
        check(latency >= 1.4, "on disk after %.3f s, before the 1.5 s flush interval" % latency)


if __name__ == "__main__":
    main([test_single_record_reaches_file_by_flush_timer, test_default_flush_interval_is_short,
          test_record_waits_for_a_long_flush_interval])
