"""Rotation, retention, compression, per-stream settings and SIGHUP, against
the real logd: archives are <UTC time>.log (.log.zst compressed) beside
current.log, and together they hold every record once, in order."""
import os
import re
import signal
import subprocess

from harness import SENDER, Logd, check, datagram, main, parse, record, wait_for

# keep_free = 0: a test machine with little free disk must not remove archives.
KEEP = "[daemon]\nkeep_free = 0\n"
ARCHIVE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\.log(\.zst)?$")


def archives(d, stream):
    """The stream's archive names, oldest first."""
    try:
        names = os.listdir(os.path.join(d.logs, stream))
    except FileNotFoundError:
        return []
    # A .zst.tmp is a compression under way, .current.log.swap a rotation.
    names = [n for n in names if not n.endswith(".zst.tmp") and n != ".current.log.swap"]
    for n in names:
        check(n == "current.log" or ARCHIVE_RE.match(n), "%s: stray file %s" % (stream, n))
    return sorted(n for n in names if n != "current.log")


def read_archive(d, stream, name):
    path = os.path.join(d.logs, stream, name)
    if name.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
    else:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            # Between a rotation's rename and the new current.log: nothing yet.
            check(name == "current.log", "%s/%s vanished" % (stream, name))
            data = b""
    return data.decode("utf-8", "surrogateescape")


def all_lines(d, stream):
    """Every line of the stream, archives first, each file ending in a newline."""
    out = []
    for name in archives(d, stream) + ["current.log"]:
        data = read_archive(d, stream, name)
        check(data == "" or data.endswith("\n"), "%s/%s does not end in a newline" %
              (stream, name))
        out += data.splitlines()
    return out


def seqs_by_sender(lines):
    by = {}
    for r in map(parse, lines):
        if r["own"]:
            continue
        fields = dict(kv.split("=", 1) for kv in r["msg"].split())
        by.setdefault(fields["id"], []).append(int(fields["seq"]))
    return by


def test_size_rotation_under_load_loses_and_duplicates_nothing():
    conf = KEEP + "[defaults]\nmax_file_size = 1M\nmax_files = 1000\n"
    n, count = 4, 70000
    with Logd(config=conf) as d:
        ps = [d.spawn([SENDER, "load", "big", str(i), str(count), "6"],
                      stdout=subprocess.DEVNULL) for i in range(n)]
        for p in ps:
            check(p.wait(120) == 0, "a sender failed")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        names = archives(d, "big")
        check(len(names) >= 20, "%d archives, want at least 20" % len(names))
        for name in names:
            size = os.path.getsize(os.path.join(d.logs, "big", name))
            check(size <= 1 << 20, "%s is %d bytes, over 1 MiB" % (name, size))
        by = seqs_by_sender(all_lines(d, "big"))
        for i in range(n):
            check(by.get(str(i)) == list(range(count)),
                  "sender %d: %d records, lost, duplicated or reordered across files" %
                  (i, len(by.get(str(i), []))))
        check(d.stopped()["rotations"] == len(names), "rotations != archives")


def send_lines(d, stream, first, n, size=200):
    for i in range(first, first + n, 10):
        d.send(datagram(*[record(stream, "%06d %s" % (j, "x" * size)) for j in
                          range(i, min(i + 10, first + n))]))


def test_max_files_keeps_that_many():
    conf = KEEP + "[defaults]\nmax_file_size = 4K\n[stream few]\nmax_files = 3\n"
    with Logd(config=conf) as d:
        send_lines(d, "few", 0, 400)
        wait_for(lambda: d.counters()["rotations"] >= 10, "ten rotations")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        names = archives(d, "few")
        check(len(names) == 3, "%d archives kept, want 3: %s" % (len(names), names))
        # The newest three, then current.log: the last records, in order.
        nums = [int(parse(x)["msg"].split()[0]) for x in all_lines(d, "few")]
        check(nums == list(range(400 - len(nums), 400)), "the kept records are not the newest")


def test_max_use_removes_the_oldest_archives_across_streams():
    conf = KEEP + "max_use = 1M\n[defaults]\nmax_file_size = 64K\nmax_files = 1000\n"
    with Logd(config=conf) as d:
        send_lines(d, "old", 0, 3000)           # about 650 KiB: 10 archives
        wait_for(lambda: d.counters()["written"] == 3000, "the old stream written")
        old_before = archives(d, "old")
        send_lines(d, "new", 0, 3000)
        wait_for(lambda: d.counters()["written"] == 6000, "the new stream written")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        old, new = archives(d, "old"), archives(d, "new")
        total = sum(os.path.getsize(os.path.join(d.logs, s, n))
                    for s, names in (("old", old), ("new", new)) for n in names)
        check(total <= 1 << 20, "archives hold %d bytes, over max_use" % total)
        check(len(old) < len(old_before), "nothing of the old stream was removed")
        check(old == old_before[len(old_before) - len(old):],
              "the old stream lost other archives than its oldest")
        check(len(new) >= 9, "the new stream lost archives while older ones existed")
        check(all(o < n for o in old for n in new[:1]), "archives not removed oldest-first")


def test_max_file_age_rotates_an_idle_file():
    with Logd(config=KEEP + "[defaults]\nmax_file_age = 1s\n") as d:
        d.send(datagram(record("aged", "one")))
        wait_for(lambda: len(archives(d, "aged")) == 1, "the file to be rotated by age")
        check([parse(x)["msg"] for x in all_lines(d, "aged")] == ["one"], "lines")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())


def test_sigusr2_rotates_now():
    with Logd(config=KEEP) as d:
        d.send(datagram(record("u", "before")))
        wait_for(lambda: len(d.lines("u")) == 1, "the record on disk")
        d.proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: len(archives(d, "u")) == 1, "the rotation")
        d.send(datagram(record("u", "after")))
        wait_for(lambda: len(d.lines("u")) == 1, "the new record on disk")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        check([parse(x)["msg"] for x in all_lines(d, "u")] == ["before", "after"], "lines")


def test_zstd_archives_decompress_to_complete_data():
    conf = KEEP + "[defaults]\nmax_file_size = 64K\nmax_files = 1000\ncompress = zstd\n"
    with Logd(config=conf) as d:
        send_lines(d, "z", 0, 3000)
        wait_for(lambda: d.counters()["written"] == 3000, "every record written")
        # Compression is the compressor thread's, a moment after each rotation.
        wait_for(lambda: d.counters()["archives_compressed"] == d.counters()["rotations"],
                 "every archive compressed")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        names = archives(d, "z")
        check(len(names) >= 5 and all(n.endswith(".log.zst") for n in names),
              "archives: %s" % names)
        nums = [int(parse(x)["msg"].split()[0]) for x in all_lines(d, "z")]
        check(nums == list(range(3000)), "records lost or reordered through compression")
        plain = sum(len(read_archive(d, "z", n)) for n in names)
        packed = sum(os.path.getsize(os.path.join(d.logs, "z", n)) for n in names)
        print("zstd level 3 on test lines: %d -> %d bytes (ratio %.1f)" %
              (plain, packed, plain / packed))


def test_crash_during_compression_leaves_complete_data():
    conf = "[defaults]\ncompress = zstd\n"
    with Logd(config=conf, start=False) as d:
        sdir = os.path.join(d.logs, "c")
        os.makedirs(sdir)
        a1, a2 = "2026-11-20T10:00:00.000000Z.log", "2026-11-20T11:00:00.000000Z.log"
        lines1 = "".join("2026-11-20T10:00:00.000000Z info [1] first %d\n" % i
                         for i in range(100))
        lines2 = "".join("2026-11-20T11:00:00.000000Z info [1] second %d\n" % i
                         for i in range(100))
        # a1: the crash came while its .zst.tmp was being written.
        with open(os.path.join(sdir, a1), "w") as f:
            f.write(lines1)
        with open(os.path.join(sdir, a1 + ".zst.tmp"), "wb") as f:
            f.write(b"\x28\xb5\x2f\xfd half a frame")
        # a2: the crash came after the rename, before the plain file was removed.
        with open(os.path.join(sdir, a2), "w") as f:
            f.write(lines2)
        subprocess.run(["zstd", "-q", os.path.join(sdir, a2), "-o",
                        os.path.join(sdir, a2 + ".zst")], check=True)
        d.start()
        # The compressor cleans up after READY=1, on a thread of its own.
        wait_for(lambda: sorted(os.listdir(sdir)) == [a1 + ".zst", a2 + ".zst"],
                 "the clean-up after the start")
        check(read_archive(d, "c", a1 + ".zst") == lines1, "a1 is not complete")
        check(read_archive(d, "c", a2 + ".zst") == lines2, "a2 is not complete")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())


def test_sighup_reopens_after_an_outside_rename():
    with Logd() as d:
        d.send(datagram(record("r", "one")))
        wait_for(lambda: len(d.lines("r")) == 1, "the first record")
        os.rename(d.path("r"), os.path.join(d.logs, "r", "moved.log"))
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "SIGHUP: reloaded" in d.stderr(), "the reload")
        d.send(datagram(record("r", "two")))
        wait_for(lambda: len(d.lines("r")) == 1, "the second record in a new current.log")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())
        with open(os.path.join(d.logs, "r", "moved.log")) as f:
            check([parse(x)["msg"] for x in f.read().splitlines()] == ["one"], "moved.log")
        check([parse(x)["msg"] for x in d.lines("r")] == ["two"], "current.log")


def test_sighup_applies_new_settings_and_keeps_the_old_on_errors():
    with Logd(config="[defaults]\nformat = text\n") as d:
        d.send(datagram(record("h", "as text")))
        wait_for(lambda: len(d.lines("h")) == 1, "the first record")
        with open(d.conf, "w") as f:
            f.write("[defaults]\nformat = text\n[stream h]\nformat = json\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "SIGHUP: reloaded" in d.stderr(), "the reload")
        d.send(datagram(record("h", "as json")))
        # The new format starts a new file (archives hold the old one).
        wait_for(lambda: len(all_lines(d, "h")) == 2, "the second record")
        check(all_lines(d, "h")[1].startswith('{"ts":'), "not JSON after the reload: %s" %
              all_lines(d, "h")[1])
        with open(d.conf, "w") as f:
            f.write("[defaults]\nformat = xml\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "keeping the configuration in use" in d.stderr(), "the refusal")
        check("%s:2: [defaults]: format: \"xml\" is not one of text or json" % d.conf
              in d.stderr(), "no FILE:LINE message: %s" % d.stderr())
        d.send(datagram(record("h", "still json")))
        wait_for(lambda: len(all_lines(d, "h")) == 3, "the third record")
        check(all_lines(d, "h")[2].startswith('{"ts":'), "the old settings were not kept")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())


def open_logs(pid, stream):
    """The stream's current.log, if process pid has it open."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except FileNotFoundError:
            pass
    return [p for p in out if p.endswith("/%s/current.log" % stream)]


def test_idle_files_are_closed():
    with Logd(config="[daemon]\nidle_close = 1s\n") as d:
        d.send(datagram(record("idle", "one")))
        wait_for(lambda: len(d.lines("idle")) == 1, "the record")
        check(len(open_logs(d.proc.pid, "idle")) == 1, "current.log is not open (test premise)")
        wait_for(lambda: open_logs(d.proc.pid, "idle") == [], "the idle file to be closed")
        d.send(datagram(record("idle", "two")))
        wait_for(lambda: len(d.lines("idle")) == 2, "the file reopened")
        check(d.stop() == 0, "logd exited non-zero: %s" % d.stderr())


if __name__ == "__main__":
    main([test_size_rotation_under_load_loses_and_duplicates_nothing,
          test_max_files_keeps_that_many,
          test_max_use_removes_the_oldest_archives_across_streams,
          test_max_file_age_rotates_an_idle_file,
          test_sigusr2_rotates_now,
          test_zstd_archives_decompress_to_complete_data,
          test_crash_during_compression_leaves_complete_data,
          test_sighup_reopens_after_an_outside_rename,
          test_sighup_applies_new_settings_and_keeps_the_old_on_errors,
          test_idle_files_are_closed])
