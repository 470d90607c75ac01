#!/usr/bin/env python3
"""show_since.py - how long `logctl show --since` takes for the last 1% of a
1 GiB stream, and how much it reads.  Run by hand (after ./scripts/test):

    tests/bench/show_since.py [LOGCTL [GIB]]

It writes one stream in logd's text format into a `mktemp -d` directory: 100-byte
lines 10 ms apart, in 4 archives and current.log of equal size.  Then it runs
`logctl show big --since T` for the last 1% of the lines 3 times and prints the
median wall time, and the bytes logctl read: rchar of /proc/self/io (every byte
read() and pread() returned, from the page cache or the disk alike), which a
parent gets from a child it has waited for.  With the page cache dropped first
(as root, where /proc/sys/vm/drop_caches can be written) it also says how much
came from the disk (read_bytes).  For scale, one run of the whole stream.
The directory is removed at the end.
"""
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

LOGCTL = sys.argv[1] if len(sys.argv) > 1 else "build/client/logctl"
GIB = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
LINE = 100                      # bytes, newline included
STEP_US = 10000                 # 10 ms between lines
FILES = 5                       # 4 archives and current.log
T0 = (int(time.time()) - 7 * 86400) * 10**6     # a week ago, in us


def stamp(us):
    t = datetime.datetime.fromtimestamp(us // 10**6, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 10**6)


def write_stream(d, n):
    """n lines in FILES files; returns the paths."""
    per = n // FILES
    pad = "x" * (LINE - 40 - 17 - 1)
    paths = []
    for f in range(FILES):
        lo, hi = f * per, (n if f == FILES - 1 else (f + 1) * per)
        last = T0 + (hi - 1) * STEP_US
        name = "current.log" if f == FILES - 1 else stamp(last + STEP_US // 2) + ".log"
        path = os.path.join(d, name)
        with open(path, "w") as out:
            sec, prefix, chunk = None, "", []
            for i in range(lo, hi):
                us = T0 + i * STEP_US
                if us // 10**6 != sec:
                    sec = us // 10**6
                    prefix = stamp(sec * 10**6)[:20]
                chunk.append("%s%06dZ info [4242] record %09d %s\n" % (prefix, us % 10**6, i, pad))
                if len(chunk) == 100000:
                    out.write("".join(chunk))
                    chunk = []
            out.write("".join(chunk))
        paths.append(path)
    return paths


def io():
    with open("/proc/self/io") as f:
        return {k: int(v) for k, v in (line.split(": ") for line in f)}


def run(args, out=subprocess.PIPE):
    """Runs logctl; returns (seconds, bytes it read, bytes from the disk, lines out)."""
    before = io()
    t0 = time.monotonic()
    r = subprocess.run([LOGCTL] + args, stdout=out, stderr=subprocess.PIPE)
    took = time.monotonic() - t0
    after = io()
    if r.returncode != 0:
        sys.exit("logctl failed: %s" % r.stderr.decode())
    stdout = r.stdout or b""
    # Less what this process read: logctl's output through the pipe.
    return (took, after["rchar"] - before["rchar"] - len(stdout),
            after["read_bytes"] - before["read_bytes"], stdout.count(b"\n"))


def drop_caches():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def main():
    top = tempfile.mkdtemp(prefix="logd-bench-show-")
    try:
        os.mkdir(os.path.join(top, "big"))
        n = int(GIB * (1 << 30)) // LINE
        t = time.monotonic()
        paths = write_stream(os.path.join(top, "big"), n)
        total = sum(os.path.getsize(p) for p in paths)
        print("stream: %d lines, %d bytes (%.2f GiB) in %d files, written in %.0f s" %
              (n, total, total / (1 << 30), len(paths), time.monotonic() - t))
        since = stamp(T0 + (n - n // 100) * STEP_US)
        args = ["show", "big", "--log-dir", top, "--since", since]
        runs = [run(args) for _ in range(3)]
        took = statistics.median(r[0] for r in runs)
        print("show --since %s (the last 1%%, %d lines): median %.3f s of %s; "
              "read %d bytes (%.2f%% of the stream; the range is %d bytes)" %
              (since, runs[0][3], took, " ".join("%.3f" % r[0] for r in runs), runs[0][1],
               100.0 * runs[0][1] / total, (n // 100) * LINE))
        if drop_caches():
            c = run(args)
            print("cold cache: %.3f s, %d bytes from the disk" % (c[0], c[2]))
        else:
            print("cold cache: not measured (cannot write /proc/sys/vm/drop_caches)")
        w = run(["show", "big", "--log-dir", top], subprocess.DEVNULL)
        print("for scale, the whole stream (to /dev/null): %.3f s, read %d bytes" %
              (w[0], w[1]))
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
