"""The flush timer: one record to an idle daemon reaches the file without a signal."""
import os

from harness import LOGCTL, Logd, check, main, parse, wait_for


def test_single_record_reaches_file_by_flush_timer():
    with Logd(config="[daemon]\nflush_interval = 100ms\n") as d:
        r = d.run([LOGCTL, "send", "-s", "idle", "lonely record"])
        check(r.returncode == 0, "logctl send failed: %s" % r.stderr)
        wait_for(lambda: os.path.exists(d.path("idle")) and d.lines("idle"),
                 "the record to reach current.log", timeout=5)
        check(parse(d.lines("idle")[0])["msg"] == "lonely record", "line content")
        check(d.stop() == 0, "logd exited non-zero")


if __name__ == "__main__":
    main([test_single_record_reaches_file_by_flush_timer])
