#!/usr/bin/env python3
"""tests/bench/forward.py [--records N] [--outage S] [--rate R] [--build DIR] - forwarding.

Two numbers, against a real rsyslog (imtcp on 127.0.0.1, writing to a file; the
e2e tests' Rsyslog, started by this script and stopped by it):

  throughput: N records (4 senders x 100 B, one stream) written while the
    collector is down, then the collector started: records/s from then until
    rsyslog has written the last one (what the forwarder sends from disk).
  catch-up: the collector down for S seconds (default 60) while senders keep
    logging R records/s; then started: seconds until rsyslog has every record
    and the forwarder's lag is 0.

Run by hand (not in the test suite), after ./scripts/test builds build/.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))


def count_lines(path):
    try:
        r = subprocess.run(["wc", "-l", path], capture_output=True, text=True)
        return int(r.stdout.split()[0])
    except (ValueError, IndexError):
        return 0


def wait(cond, what, timeout):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            sys.exit("bench: timed out waiting for %s" % what)
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=400000)
    ap.add_argument("--outage", type=float, default=60)
    ap.add_argument("--rate", type=int, default=5000, help="records/s during the outage")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    os.environ.setdefault("LOGD", os.path.join(args.build, "daemon", "logd"))
    os.environ.setdefault("LOGCTL", os.path.join(args.build, "client", "logctl"))
    loadgen = os.path.join(args.build, "tests", "bench", "loadgen")
    import harness
    from test_forward import Rsyslog

    r = Rsyslog()
    conf = ("[daemon]\nkeep_free = 0\n[defaults]\nmax_files = 100000\n"
            "[forward central]\ntarget = tcp://127.0.0.1:%d\nstreams = b*\n"
            "reconnect = 1s\n" % r.port)
    d = harness.Logd(conf)
    env = dict(os.environ, LOGD_SOCKET=d.sock)

    def fwd():
        return harness.stats(d)["forwarders"]["central"]
    try:
        # Throughput: a backlog on disk, then the collector.
        n = args.records // 4 * 4
        subprocess.run([loadgen, "4", str(n // 4), "100", "1"], env=env, check=True,
                       capture_output=True)
        wait(lambda: fwd()["lag_bytes"] > 0, "the backlog", 30)
        r.start()
        t0 = time.monotonic()
        wait(lambda: count_lines(r.out) >= n, "%d records at rsyslog" % n, 600)
        t = time.monotonic() - t0
        print("throughput: %d records (100 B) from disk to rsyslog imtcp in %.2f s: "
              "%.0f records/s" % (n, t, n / t), flush=True)
        wait(lambda: fwd()["lag_bytes"] == 0 and fwd()["unacked"] == 0, "lag 0", 60)
        # Catch-up after an outage of args.outage seconds at args.rate records/s.
        base = count_lines(r.out)
        r.stop()
        wait(lambda: fwd()["connected"] == 0, "logd to see rsyslog gone", 30)
        sent = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.outage:
            subprocess.run([loadgen, "1", str(args.rate // 10), "100", "1"], env=env,
                           check=True, capture_output=True)
            sent += args.rate // 10
            time.sleep(max(0.0, t0 + sent / args.rate - time.monotonic()))
        lag = fwd()["lag_bytes"]
        r.start()
        t1 = time.monotonic()
        # rsyslog's file has what it wrote before the outage, what was sent again, and the rest.
        wait(lambda: count_lines(r.out) >= base + sent and fwd()["lag_bytes"] == 0,
             "the catch-up", 600)
        t = time.monotonic() - t1
        st = fwd()
        print("catch-up: a %.0f s outage at %d records/s (%d records, %.1f MB behind) "
              "caught up in %.2f s after the collector came back (%d sent again, counted)" %
              (args.outage, args.rate, sent, lag / 1e6, t, st["duplicates"]), flush=True)
        d.stop()
    finally:
        d.cleanup()
        r.cleanup()


if __name__ == "__main__":
    main()
