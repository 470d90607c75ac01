"""Loss is accounted end to end.  A LOGD_NONBLOCK client whose daemon cannot
keep up (here: stopped with SIGSTOP) drops and counts, and its next delivered
record makes logd write a "[logd] dropped N records" marker (one for the
reports a sender makes in a row, within a flush interval); a blocking client
(liblogd or logctl cat) waits instead and loses nothing; a client that outlives its daemon counts what
it could not send and reconnects to the restarted daemon by itself."""
import json
import os
import re
import signal
import struct
import subprocess

from harness import (LOGCTL, SENDER, Logd, Repl, check, datagram, dropped_counts, dropped_sum,
                     feed_while_stopped, field, main, parse, proc_state, record, sync,
                     wait_for, write_lines)


def burst_while_stopped(d, c, n):
    """c sends n records "burst i" while logd is stopped: some must fail with
    EAGAIN.  Returns (sent, failed, dropped so far)."""
    d.proc.send_signal(signal.SIGSTOP)
    try:
        sent, failed, dropped, err = c.send(n, "burst")
    finally:
        d.proc.send_signal(signal.SIGCONT)
    check(failed > 0 and err == "EAGAIN",
          "no send failed with EAGAIN while logd was stopped (test premise): sent=%d" % sent)
    return sent, failed, dropped


def test_nonblocking_client_counts_drops_and_logd_writes_a_marker():
    n = 5000
    with Logd() as d:
        c = Repl(d, "nb", "nonblock")
        c.send(1, "warm-up")
        wait_for(lambda: len(d.lines("nb")) == 1, "the warm-up record on disk")
        sent, failed, dropped = burst_while_stopped(d, c, n)
        check(sent + failed == n and dropped == failed, "sent=%d failed=%d dropped=%d" %
              (sent, failed, dropped))
        wait_for(lambda: len(d.lines("nb")) == 1 + sent, "the %d delivered records" % sent)
        check(c.send(1, "after") == (1, 0, dropped, "0"), "the record after the loss")
        c.close()
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())

        lines = [parse(x) for x in d.lines("nb")]
        check(len(lines) == 1 + sent + 2, "%d lines, want warm-up + %d + after + marker" %
              (len(lines), sent))
        burst = [r["msg"] for r in lines[1:1 + sent]]
        check(burst == ["burst %d" % i for i in range(sent)],
              "the burst's delivered records are not its first %d, in order" % sent)
        # "after" carried the count; nothing followed it, so the flush wrote the marker.
        after, marker = lines[-2], lines[-1]
        check(marker["prio"] == "warning" and marker["own"] and marker["msg"] ==
              "dropped %d records: pid %d could not deliver them" % (failed, c.p.pid),
              "marker line: %s" % marker)
        check(after["msg"] == "after 0", "the record before the marker: %s" % after)
        st = d.stopped()
        check(st["client_dropped"] == failed, "client_dropped=%d, want %d" %
              (st["client_dropped"], failed))
        check(st["written"] == st["records"] + 1, "written=%d records=%d: one marker line" %
              (st["written"], st["records"]))


def test_threads_sharing_a_handle_report_every_drop_exactly_once():
    # 8 threads on one LOGD_NONBLOCK handle drop at once while logd is stopped,
    # then all send again at once, each send carrying what it finds unreported:
    # every drop must be reported in exactly one marker.  Ten rounds, as two
    # threads reporting the same drops is a race that one round may not lose.
    threads, n, rounds = 8, 2000, 10
    with Logd() as d:
        c = Repl(d, "thr", "nonblock", str(threads))

        def records():
            return [x for x in d.lines("thr") if not dropped_counts([x])]
        sent = failed = 0
        for _ in range(rounds):
            s, f, _ = burst_while_stopped(d, c, n)
            sent, failed = sent + s, failed + f
            wait_for(lambda: len(records()) == sent, "the %d delivered records" % sent)
            s, f, dropped, _ = c.send(20, "again")
            sent, failed = sent + s, failed + f
            wait_for(lambda: len(records()) == sent, "the %d delivered records" % sent)
        c.close()       # logd_close() reports what the last sends still dropped
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())

        check(dropped == failed, "logd_dropped()=%d, failed sends %d" % (dropped, failed))
        counts = dropped_counts(d.lines("thr"), c.p.pid)
        check(all(0 < k <= failed for k in counts), "a marker's N is not in 1..%d: %s" %
              (failed, [k for k in counts if not 0 < k <= failed][:5]))
        check(sum(counts) == failed, "the %d markers sum to %d, %d sends failed" %
              (len(counts), sum(counts), failed))
        check(len(records()) == sent, "%d records in the file, %d sent" % (len(records()), sent))
        check(d.stopped()["client_dropped"] == failed, "client_dropped=%d, want %d" %
              (d.stopped()["client_dropped"], failed))


def test_blocking_client_waits_for_a_stopped_daemon_and_loses_nothing():
    n = 3000
    with Logd() as d:
        d.proc.send_signal(signal.SIGSTOP)
        try:
            p = d.spawn([SENDER, "load", "blk", "0", str(n)])
            # The socket's queue holds far fewer than n datagrams: the sender must block.
            wait_for(lambda: proc_state(p.pid) == "S", "the sender to block in sendmsg")
            check(p.poll() is None, "the sender finished while logd was stopped")
        finally:
            d.proc.send_signal(signal.SIGCONT)
        check(p.wait(60) == 0, "the blocking sender failed or dropped records")
        check(d.stop() == 0, "logd exited non-zero")
        got = [parse(x)["msg"].split()[1] for x in d.lines("blk")]
        check(got == ["seq=%d" % i for i in range(n)], "%d of %d records, or reordered" %
              (len(got), n))
        check(d.stopped()["client_dropped"] == 0, "a drop was reported")


def test_client_outlives_a_daemon_restart_and_reports_its_loss():
    with Logd() as d:
        c = Repl(d, "rs")
        check(c.send(3, "first") == (3, 0, 0, "0"), "sends to the first logd")
        check(d.stop() == 0, "first logd exited non-zero")
        check([parse(x)["msg"] for x in d.lines("rs")] == ["first 0", "first 1", "first 2"],
              "the first logd's file")
        sent, failed, dropped, err = c.send(2, "nobody")
        check(sent == 0 and failed == 2 and dropped == 2 and err in ("ECONNREFUSED", "ENOENT"),
              "sends with no daemon: sent=%d failed=%d dropped=%d errno=%s" %
              (sent, failed, dropped, err))
        d.start()
        check(c.send(2, "second") == (2, 0, 2, "0"), "sends to the restarted logd")
        c.close()
        check(d.stop() == 0, "second logd exited non-zero")
        lines = [parse(x) for x in d.lines("rs")]
        msgs = [r["msg"] for r in lines]
        # "second 0" carried the count: its marker comes before the sender's next line.
        check(msgs[:4] == ["first 0", "first 1", "first 2", "second 0"] and
              msgs[5:] == ["second 1"], "after the restart: %s" % msgs)
        check(lines[4]["prio"] == "warning" and "dropped 2 records" in msgs[4],
              "marker for the 2 records sent while no daemon ran: %s" % msgs[4])
        check(d.stopped()["client_dropped"] == 2, "client_dropped in the second logd")


def test_close_delivers_the_loss_report_alone():
    with Logd(start=False) as d:
        c = Repl(d, "cl", "nonblock")
        sent, failed, dropped, err = c.send(5, "into the void")
        check((sent, failed, dropped, err) == (0, 5, 5, "ENOENT"),
              "sends with no daemon: %s" % ((sent, failed, dropped, err),))
        d.start()
        c.close()       # logd_close() reports the 5 in a record of its own
        wait_for(lambda: len(d.lines("cl")) == 1, "the loss report on disk")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        r = parse(d.lines("cl")[0])
        check(r["prio"] == "warning" and r["own"] and
              r["msg"] == "dropped 5 records: pid %d could not deliver them" % c.p.pid,
              "the report: %s" % r)


def test_json_dropped_key_sums_to_every_loss():
    """In JSON lines every loss is in one key: summing "dropped" over a file is exact
    (the count a record carried, and the report logd_close() sends alone)."""
    with Logd(config="[defaults]\nformat = json\n") as d:
        c = Repl(d, "js", "nonblock")
        c.send(1, "warm-up")
        wait_for(lambda: len(d.lines("js")) == 1, "the warm-up record on disk")
        failed_total = 0
        for burst in ("first", "second"):
            d.proc.send_signal(signal.SIGSTOP)
            try:
                sent, failed, _, _ = c.send(3000, burst)
            finally:
                d.proc.send_signal(signal.SIGCONT)
            check(failed > 0, "no send failed while logd was stopped (test premise)")
            failed_total += failed
            if burst == "first":
                wait_for(lambda: len(d.lines("js")) >= 1 + sent, "the delivered records")
                check(c.send(1, "carrier") == (1, 0, failed, "0"), "the record after the loss")
        c.close()       # the second burst's loss goes in logd_close()'s report
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        recs = [json.loads(x) for x in d.lines("js")]
        total = sum(r.get("dropped", 0) for r in recs)
        check(total == failed_total, "sum of \"dropped\" is %d, the sender lost %d" %
              (total, failed_total))
        for r in recs:
            check(("dropped" in r) == (r.get("logd") is True and
                                       r["message"].startswith("dropped ")),
                  "a line with the key is not a marker, or the reverse: %s" % r)


def test_a_senders_reports_in_a_row_are_one_marker_line():
    """Records that each report a loss, from one sender, give one marker with
    the sum; a report of 1 reads "dropped 1 record ... it"."""
    def rec(msg, lost):
        return datagram(record("rows", msg, fields=field(5, struct.pack("<Q", lost))))

    def child_sends(dgram):
        """Sends dgram from a child process (another sender); returns its pid."""
        pid = os.fork()
        if pid == 0:
            try:
                d.send(dgram)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        return pid
    # A flush interval long enough that the test, not the timer, decides.
    with Logd(config="[daemon]\nflush_interval = 1min\n") as d:
        d.send(rec("a", 3), rec("b", 1), rec("c", 5))
        child_sends(rec("from a child", 0))     # another sender's line: still one run
        d.send(rec("d", 0))                     # the sender reports nothing: the marker
        d.send(rec("e", 1))
        pid = child_sends(rec("f", 2))          # another sender's report ends the run
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        got = [(r["own"], r["msg"]) for r in map(parse, d.lines("rows"))]
        me = os.getpid()
        want = [(False, "a"), (False, "b"), (False, "c"), (False, "from a child"),
                (True, "dropped 9 records: pid %d could not deliver them" % me),
                (False, "d"), (False, "e"),
                (True, "dropped 1 record: pid %d could not deliver it" % me),
                (False, "f"),
                (True, "dropped 2 records: pid %d could not deliver them" % pid)]
        check(got == want, "lines:\n%s\nwant:\n%s" % ("\n".join(map(str, got)),
                                                       "\n".join(map(str, want))))
        check(dropped_counts(d.lines("rows")) == [9, 1, 2], "dropped_counts() reads both "
              "wordings: %s" % dropped_counts(d.lines("rows")))
        check(d.stopped()["client_dropped"] == 12, "client_dropped=%d, want 12" %
              d.stopped()["client_dropped"])


def test_logctl_cat_reports_what_it_lost_in_the_file_at_exit():
    n = 50000
    with Logd() as d:
        p = d.spawn([LOGCTL, "cat", "--nonblock", "-s", "lastloss"], stdin=subprocess.PIPE,
                    stderr=subprocess.PIPE, bufsize=0)
        feed_while_stopped(d, p, lambda stdin: write_lines(stdin, [b"line %d\n" % i
                                                                   for i in range(n)]))
        sync(d, "lastloss")     # logd has read its socket empty: the report has room
        p.stdin.close()     # nothing more to send: only the report at exit carries the loss
        err = p.stderr.read().decode()
        check(p.wait(60) == 1, "logctl cat exited %s: %s" % (p.returncode, err))
        lost = int(re.search(r"(\d+) records? could not be delivered", err).group(1))
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        lines = d.lines("lastloss")
        kept = [x for x in lines if not parse(x)["own"] and parse(x)["msg"] != "sync"]
        check(len(kept) + lost == n, "%d kept + %d lost != %d" % (len(kept), lost, n))
        check(dropped_sum(lines, p.pid) == lost, "the file says %d dropped, logctl lost %d" %
              (dropped_sum(lines, p.pid), lost))


def lines_file(d, n):
    """A file of n lines "line i" in d's directory, as logctl cat's standard input."""
    path = os.path.join(d.dir, "input")
    with open(path, "w") as f:
        f.write("".join("line %d\n" % i for i in range(n)))
    return open(path, "rb")


def test_logctl_cat_waits_for_a_stopped_daemon_and_loses_nothing():
    # logctl packs lines into 64 KiB datagrams: 100,000 lines are about 20 of
    # them, more than the kernel holds for one sender (its SO_SNDBUF).
    n = 100000
    with Logd() as d, lines_file(d, n) as stdin:
        d.proc.send_signal(signal.SIGSTOP)
        try:
            p = d.spawn([LOGCTL, "cat", "-s", "lc"], stdin=stdin, stderr=subprocess.PIPE)
            # Its input is a file, always readable: it can only sleep in sendmsg.
            wait_for(lambda: proc_state(p.pid) == "S", "logctl cat to block in sendmsg")
            check(p.poll() is None, "logctl cat finished while logd was stopped")
        finally:
            d.proc.send_signal(signal.SIGCONT)
        err = p.communicate(timeout=60)[1]
        check(p.returncode == 0, "logctl cat exited %d: %s" % (p.returncode, err))
        check(d.stop() == 0, "logd exited non-zero")
        got = [parse(x)["msg"] for x in d.lines("lc")]
        check(got == ["line %d" % i for i in range(n)], "%d of %d lines, or reordered" %
              (len(got), n))


def test_logctl_cat_nonblock_drops_counts_and_says_so():
    n = 100000
    with Logd() as d, lines_file(d, n) as stdin:
        d.proc.send_signal(signal.SIGSTOP)
        try:
            p = d.spawn([LOGCTL, "cat", "--nonblock", "-s", "lcn"], stdin=stdin,
                        stderr=subprocess.PIPE, text=True)
            err = p.communicate(timeout=60)[1]     # it must not wait for the daemon
        finally:
            d.proc.send_signal(signal.SIGCONT)
        m = re.search(r"(\d+) records? could not be delivered", err)
        check(p.returncode == 1 and m is not None and "busy" in err,
              "logctl cat --nonblock: exit %d: %s" % (p.returncode, err))
        lost = int(m.group(1))
        check(d.stop() == 0, "logd exited non-zero")
        got = [parse(x)["msg"] for x in d.lines("lcn")]
        check(len(got) + lost == n, "%d lines on disk + %d lost != %d" % (len(got), lost, n))
        nums = [int(x.split()[1]) for x in got]
        check(nums == sorted(set(nums)), "the delivered lines are reordered or duplicated")


if __name__ == "__main__":
    main([test_close_delivers_the_loss_report_alone,
          test_a_senders_reports_in_a_row_are_one_marker_line,
          test_json_dropped_key_sums_to_every_loss,
          test_nonblocking_client_counts_drops_and_logd_writes_a_marker,
          test_threads_sharing_a_handle_report_every_drop_exactly_once,
          test_blocking_client_waits_for_a_stopped_daemon_and_loses_nothing,
          test_client_outlives_a_daemon_restart_and_reports_its_loss,
          test_logctl_cat_waits_for_a_stopped_daemon_and_loses_nothing,
          test_logctl_cat_nonblock_drops_counts_and_says_so,
          test_logctl_cat_reports_what_it_lost_in_the_file_at_exit])
