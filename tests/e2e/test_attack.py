"""The live daemon under attack: over 100,000 hostile datagrams (random bytes,
valid datagrams mutated: bit flips, truncation, lengths past the end or all
ones, bad stream names, datagrams over 64 KiB) sent at full speed from several
processes at once, among valid records that each carry a unique sequence
number.  logd must stay up and answer, write every valid record exactly once,
count every hostile datagram under the reason logd-protocol(7) gives for it,
create nothing outside its log dir, and keep its stderr rate-limited.  At the
same time 20,000 hostile datagrams (random bytes behind mangled syslog headers)
go to its syslog socket: syslog text is never malformed, so each must be one
record, one line, of the stream [syslog] stream names.

The expected reason of each datagram comes from reason() below, written again
from logd-protocol(7) ("Malformed datagrams"), not from proto.c.  The seed is
printed; LOGD_ATTACK_SEED=N runs the same datagrams again.  Under valgrind a
tenth of the datagrams (SLOW), never fewer than 10,000 hostile ones.

Run as "test_attack.py send FILE SOCKET", it is one sender: it sends the
datagrams in FILE (each a u32 length and its bytes) with blocking sends and
prints "sent=N refused=M" (M: refused with EMSGSIZE, too big for the socket).
"""
import collections
import errno
import os
import random
import re
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

from harness import (LOGCTL, SLOW, Logd, check, datagram, field, main, parse, record, stats,
                     unescape, wait_for)

HOSTILE = max(10000, 100000 // SLOW)    # hostile datagrams sent (not counting refused ones)
VALID = HOSTILE // 5                    # valid datagrams among them (1-3 records each)
OVERSIZE = max(10, 100 // SLOW)         # of the hostile ones: 65537 bytes and more
REFUSED = 3                             # larger than the socket takes: EMSGSIZE, never seen
SYSLOG = max(2000, 20000 // SLOW)       # hostile datagrams to the syslog socket: each a record
SYSLOG_STREAM = "attacked"              # [syslog] stream: where they all go
SENDERS = 3

VALID_STREAMS = [b"s0", b"s1", b"web.app", b"A-b_c.9", b"n" * 64]
BAD_NAMES = [b"..", b".x", b"a/b", b"a\0b", b"a\nb", b"n" * 65, b"", "\u00e9".encode(),
             b"\xff", b"."]

NAME_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
KEY_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
TAG_BYTES = frozenset(range(0x21, 0x7f)) - frozenset(b":[")
MAX_DROPPED = (1 << 53) - 1


# --- logd-protocol(7), "Malformed datagrams", as a checker ---

def fields_reason(f):
    """The reason the fields area f breaks, or None."""
    seen = set()
    off = 0
    while off < len(f):
        if len(f) - off < 3:
            return "field_truncated"
        ftype, flen = struct.unpack_from("<BH", f, off)
        off += 3
        if flen > len(f) - off:
            return "field_truncated"
        value = f[off:off + flen]
        if ftype == 0:
            return "field_type"
        if ftype in (1, 2, 3, 5, 6):
            if ftype in seen:
                return "field_duplicate"
            seen.add(ftype)
        if (ftype == 2 and flen != 4) or (ftype == 5 and flen != 8):
            return "field_size"
        if ftype == 5 and struct.unpack("<Q", value)[0] > MAX_DROPPED:
            return "implausible"    # taken as 2^53-1 and counted, but not rejected
        if ftype == 4:
            key, eq, _ = value.partition(b"=")
            if not eq or not 1 <= len(key) <= 64 or not set(key) <= KEY_BYTES:
                return "key_value"
        if ftype == 6 and (not 1 <= flen <= 48 or not set(value) <= TAG_BYTES):
            return "tag"
        off += flen
    return None


def reason(d):
    """The reason logd-protocol(7) gives for rejecting datagram d, or None if it
    is valid.  A datagram that breaks several rules: the first broken rule,
    reading from its start in the order of the man page's table."""
    if len(d) < 8:
        return "short"
    if len(d) > 65536:
        return "too_big"
    if d[:4] != b"logd":
        return "magic"
    if d[4] != 1:
        return "version"
    if d[5:8] != b"\0\0\0":
        return "header_reserved"
    if len(d) == 8:
        return "empty"
    off = 8
    while off < len(d):
        left = len(d) - off
        if left < 20:
            return "record_truncated"
        rec_len, prio, flags, name_len, res, _, fields_len, res2 = \
            struct.unpack_from("<IBBBBQHH", d, off)
        if rec_len > left:
            return "record_truncated"
        if rec_len < 20 + name_len + fields_len:
            return "record_short"
        if prio > 7:
            return "priority"
        if flags & ~3 or res or res2:
            return "record_flags"
        name = d[off + 20:off + 20 + name_len]
        if not 1 <= len(name) <= 64 or name[0] == ord(".") or not set(name) <= NAME_BYTES:
            return "name"
        r = fields_reason(d[off + 20 + name_len:off + 20 + name_len + fields_len])
        if r is not None:
            return r
        off += rec_len
    return None


# --- the datagrams ---

def some_fields(rng):
    """A valid fields area, often empty."""
    choice = rng.randrange(6)
    if choice == 0:
        return field(1, b"main.c") + field(2, struct.pack("<I", rng.randrange(1 << 32)))
    if choice == 1:
        return field(3, b"handler") + field(4, b"user_id=7") + field(4, b"k=") + field(99, b"?")
    if choice == 2:
        return field(5, bytes(8))      # a dropped count of 0: no marker line
    if choice == 3:
        return field(6, b"atk]tag") + field(1, b"a b.c") + field(2, b"\7\0\0\0")
    return b""


def payload(rng):
    """Message bytes after the sequence number: any byte values, some to be escaped."""
    n = rng.randrange(40)
    return bytes(rng.choice(b"abc \\\n\r\t\0\x1b\x7f\xc3\xa9\xff") for _ in range(n))


class Plan:
    """Everything the test sends, built once from a seed."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seq = 0
        self.valid = [[] for _ in range(SENDERS)]   # datagrams per sender, in order
        self.hostile = [[] for _ in range(SENDERS)]
        self.expect = {}            # seq -> (stream, message bytes)
        self.order = {}             # sender -> stream -> [seq] in the order sent
        self.kinds = collections.Counter()          # hostile datagrams by kind of mutation
        self.reasons = collections.Counter()        # ... by expected reason
        self.retries = 0

    def valid_datagram(self, sender):
        rng = self.rng
        recs = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            stream = rng.choice(VALID_STREAMS)
            msg = b"seq=%d " % self.seq + payload(rng)
            self.expect[self.seq] = (stream.decode(), msg)
            self.order.setdefault(sender, {}).setdefault(stream.decode(), []).append(self.seq)
            self.seq += 1
            ts = 0 if rng.random() < 0.8 else time.time_ns()
            recs.append(record(stream, msg, prio=rng.randrange(8), ts=ts,
                               fields=some_fields(rng)))
        return datagram(*recs)

    def base(self):
        """A valid datagram of one to three records, to be broken: their messages
        say "bad=", which no file may ever hold."""
        rng = self.rng
        return datagram(*[record(rng.choice(VALID_STREAMS + [b"m0"]), b"bad=%d" % i,
                                 prio=rng.randrange(8), fields=some_fields(rng))
                          for i in range(rng.choice((1, 1, 2, 3)))])

    @staticmethod
    def record_offsets(d):
        offs, off = [], 8
        while off < len(d):
            offs.append(off)
            off += struct.unpack_from("<I", d, off)[0]
        return offs

    def mutate(self, kind):
        rng = self.rng
        if kind == "random":
            return bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
        if kind == "random_after_header":
            return datagram() + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        if kind == "header_bytes":
            d = bytearray(self.base())
            d[rng.randrange(8)] = rng.randrange(256)
            return bytes(d)
        d = bytearray(self.base())
        off = rng.choice(self.record_offsets(d))
        if kind == "bitflip":
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(d) * 8)
                d[i // 8] ^= 1 << (i % 8)
        elif kind == "truncate":
            del d[rng.randrange(len(d)):]
        elif kind == "length_past_end":
            struct.pack_into("<I", d, off, len(d) - off + rng.randint(1, 70000))
        elif kind == "length_all_ones":
            what = rng.randrange(4)
            if what == 0:
                struct.pack_into("<I", d, off, 0xFFFFFFFF)
            elif what == 1:
                d[off + 6] = 0xFF                           # name_len
            elif what == 2:
                struct.pack_into("<H", d, off + 16, 0xFFFF)  # fields_len
            else:                                       # a field's len
                name_len = d[off + 6]
                flen = 12
                d[off + 20 + name_len:off + 20 + name_len] = field(1, b"x" * 9)
                struct.pack_into("<I", d, off, struct.unpack_from("<I", d, off)[0] + flen)
                struct.pack_into("<H", d, off + 16, struct.unpack_from("<H", d, off + 16)[0] +
                                 flen)
                struct.pack_into("<H", d, off + 20 + name_len + 1, 0xFFFF)
        elif kind.startswith("name "):
            name = BAD_NAMES[int(kind.split()[1])]
            rec_len, name_len = struct.unpack_from("<I", d, off)[0], d[off + 6]
            d[off + 20:off + 20 + name_len] = name
            struct.pack_into("<I", d, off, rec_len - name_len + len(name))
            d[off + 6] = len(name)
        elif kind == "bad_field":
            bad = rng.choice([field(0, b"a"), field(2, b"\1\2"), field(5, b"\1"),
                              field(1, b"a") + field(1, b"b"), field(4, b"novalue"),
                              field(4, b"a b=c"), field(4, b"=c"), field(4, b"k" * 65 + b"=v"),
                              b"\x01\x05", struct.pack("<BH", 3, 40) + b"ab",
                              field(6, b""), field(6, b"a b"), field(6, b"t" * 49),
                              field(6, b"a") + field(6, b"a")])
            name_len = d[off + 6]
            at = off + 20 + name_len
            d[at:at] = bad
            struct.pack_into("<I", d, off, struct.unpack_from("<I", d, off)[0] + len(bad))
            struct.pack_into("<H", d, off + 16, struct.unpack_from("<H", d, off + 16)[0] +
                             len(bad))
        elif kind == "oversize":
            # Half of them valid in their first 64 KiB, all logd can receive of
            # them: only MSG_TRUNC tells logd they were longer.
            stream = rng.choice(VALID_STREAMS)

            def of_size(size):
                return datagram(record(stream, b"bad=big " +
                                       b"y" * (size - 8 - 20 - len(stream) - 8)))
            if rng.random() < 0.5:
                return of_size(65536) + b"logd" * rng.randint(1, 30000)
            return of_size(rng.randint(65537, 200000))
        return bytes(d)

    def build(self):
        rng = self.rng
        kinds = (["random"] * 15 + ["random_after_header"] * 10 + ["header_bytes"] * 5 +
                 ["bitflip"] * 25 + ["truncate"] * 12 + ["length_past_end"] * 8 +
                 ["length_all_ones"] * 8 + ["bad_field"] * 7 +
                 ["name %d" % i for i in range(len(BAD_NAMES))])
        for i in range(HOSTILE):
            kind = "oversize" if i < OVERSIZE else rng.choice(kinds)
            while True:
                d = self.mutate(kind)
                r = reason(d)
                if r is not None and r != "implausible":
                    break
                self.retries += 1       # the mutation left it valid: another one
            self.kinds[kind.split()[0]] += 1
            self.reasons[r] += 1
            self.hostile[i % SENDERS].append(d)
        for i in range(VALID):
            d = self.valid_datagram(i % SENDERS)
            check(reason(d) is None, "a valid datagram the checker rejects: %r" % d)
            self.valid[i % SENDERS].append(d)
        # Four datagrams of exactly 64 KiB, valid: the largest logd takes.
        for i in range(4):
            stream = VALID_STREAMS[i]
            msg = b"seq=%d " % self.seq
            msg += b"z" * (65536 - 8 - 20 - len(stream) - len(msg))
            self.expect[self.seq] = (stream.decode(), msg)
            self.order.setdefault(i % SENDERS, {}).setdefault(stream.decode(), []).append(
                self.seq)
            self.seq += 1
            self.valid[i % SENDERS].append(datagram(record(stream, msg)))
        # Shuffle each sender's hostile datagrams in among its valid ones, which
        # keep their order (the test checks it per sender and stream).
        self.streams = []
        for s in range(SENDERS):
            mixed = [(rng.random(), 1, d) for d in self.hostile[s]]
            ranks = sorted(rng.random() for _ in self.valid[s])
            mixed += [(r, 0, d) for r, d in zip(ranks, self.valid[s])]
            mixed.sort(key=lambda x: (x[0], x[1]))
            big = b"logd" + bytes(300000)   # over SO_SNDBUF: the socket refuses it
            out = [d for _, _, d in mixed]
            for j in range(REFUSED if s == 0 else 0):
                out.insert(rng.randrange(len(out)), big)
            self.streams.append(out)


# --- the sender ---

def send_file(path, sock):
    with open(path, "rb") as f:
        data = f.read()
    dgrams, off = [], 0
    while off < len(data):
        n = struct.unpack_from("<I", data, off)[0]
        dgrams.append(data[off + 4:off + 4 + n])
        off += 4 + n
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(sock)
    sent = refused = 0
    for d in dgrams:
        try:
            s.send(d)
            sent += 1
        except OSError as e:
            if e.errno != errno.EMSGSIZE:
                raise
            refused += 1
    s.close()
    print("sent=%d refused=%d" % (sent, refused), flush=True)


# --- the test ---

def tree(top, skip=()):
    """{relative path: kind} of everything under top (lstat: links not followed)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if p in skip:
                dirnames[:] = [x for x in dirnames if os.path.join(dirpath, x) != p]
                continue
            mode = os.lstat(p).st_mode
            kind = ("dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else
                    "link" if stat.S_ISLNK(mode) else "other")
            out[os.path.relpath(p, top)] = kind
    return out


def syslog_junk(seed):
    """SYSLOG datagrams for the syslog socket: random bytes, mangled headers, no PRI, NULs."""
    rng = random.Random(seed ^ 0x5157)
    heads = [b"<13>", b"<191>1 ", b"<0>Dec  1 12:00:00 ", b"<13>1 2026-12-01T12:00:00Z h a p m [",
             b"<999>", b"<", b"", b"\xef\xbb\xbf", b"<13>Dec 99 99:99:99 x[99999999999]: "]
    out = []
    for _ in range(SYSLOG):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
        out.append(rng.choice(heads) + body)
    return out


def test_hostile_datagrams_are_counted_by_reason_and_valid_records_all_land():
    seed = int(os.environ.get("LOGD_ATTACK_SEED", random.SystemRandom().randrange(1 << 32)))
    print("seed %d (LOGD_ATTACK_SEED=%d runs these datagrams again)" % (seed, seed), flush=True)
    t0 = time.monotonic()
    plan = Plan(seed)
    plan.build()
    print("built %d hostile datagrams (%d mutations came out valid and were made again), "
          "%d valid datagrams with %d records, in %.1f s" %
          (HOSTILE, plan.retries, sum(map(len, plan.valid)), len(plan.expect),
           time.monotonic() - t0), flush=True)
    print("hostile by kind: %s" % dict(sorted(plan.kinds.items())), flush=True)
    print("hostile by expected reason: %s" % dict(sorted(plan.reasons.items())), flush=True)

    outer = tempfile.mkdtemp(prefix="logd-attack-")
    saved, tempfile.tempdir = tempfile.tempdir, outer
    try:
        # Its directory inside outer; hostile syslog text on a second socket.
        d = Logd(config="[syslog]\nstream = %s\n" % SYSLOG_STREAM, start=False)
        d.syslog = os.path.join(d.dir, "syslog")
        d.args += ["--syslog-socket", d.syslog]
        plan.syslog = syslog_junk(seed)
    finally:
        tempfile.tempdir = saved
    try:
        with d:
            run_attack(d, plan, outer)
    finally:
        shutil.rmtree(outer, ignore_errors=True)


def run_attack(d, plan, outer):
    data = os.path.join(outer, "data")
    os.mkdir(data)
    d.cwd = os.path.join(outer, "cwd")      # logd's working directory: must stay empty
    os.mkdir(d.cwd)
    files = []
    for i, dgrams in enumerate(plan.streams + [plan.syslog]):
        files.append(os.path.join(data, "sender%d" % i))
        with open(files[-1], "wb") as f:
            for dg in dgrams:
                f.write(struct.pack("<I", len(dg)) + dg)
    d.start()
    skip = {d.logs}
    before = tree(outer, skip)

    t0 = time.monotonic()
    senders = [d.spawn([sys.executable, os.path.abspath(__file__), "send", f, d.sock],
                       stdout=subprocess.PIPE, text=True) for f in files[:-1]]
    syslog_sender = d.spawn([sys.executable, os.path.abspath(__file__), "send", files[-1],
                             d.syslog], stdout=subprocess.PIPE, text=True)
    # While they send: logd answers, every time.
    polls, slowest = 0, 0.0
    while any(p.poll() is None for p in senders + [syslog_sender]):
        check(d.proc.poll() is None, "logd died under attack (exit %s): %s" %
              (d.proc.returncode, d.stderr()[-3000:]))
        t = time.monotonic()
        stats(d)
        slowest = max(slowest, time.monotonic() - t)
        polls += 1
        check(time.monotonic() - t0 < 120 * SLOW, "the senders are still sending after %d s "
              "(logd stalled?)" % (120 * SLOW))
        time.sleep(0.05)
    refused = 0
    for i, p in enumerate(senders):
        out = p.stdout.read()
        check(p.wait() == 0, "sender %d exited %s: %s" % (i, p.returncode, out))
        m = re.match(r"sent=(\d+) refused=(\d+)$", out.strip())
        check(m is not None, "sender %d said %r" % (i, out))
        check(int(m.group(1)) + int(m.group(2)) == len(plan.streams[i]),
              "sender %d: %s of %d datagrams" % (i, out.strip(), len(plan.streams[i])))
        refused += int(m.group(2))
    out = syslog_sender.stdout.read()
    check(syslog_sender.wait() == 0 and out.strip() == "sent=%d refused=0" % SYSLOG,
          "the syslog sender: %s" % out)
    send_s = time.monotonic() - t0
    check(refused == REFUSED, "%d datagrams refused with EMSGSIZE, want %d" % (refused, REFUSED))
    print("sent in %.1f s; logctl stats answered %d times while they sent, the slowest in "
          "%.2f s" % (send_s, polls, slowest), flush=True)

    # Once logd has read the sync record, it has read (and counted) everything before it.
    check(d.run([LOGCTL, "send", "-s", "sync", "sync"]).returncode == 0, "logctl send sync")
    wait_for(lambda: d.lines("sync"), "the sync record on disk", timeout=60)
    st = stats(d)
    total = sum(plan.reasons.values())
    by = st.get("malformed_by")
    check(isinstance(by, dict), "logctl stats --json has no malformed_by object: %s" %
          sorted(st))
    got = {k: v for k, v in by.items() if v}
    print("malformed_by: %s" % dict(sorted(got.items())), flush=True)
    check(got == dict(plan.reasons), "malformed by reason differs from what was sent:\n"
          "  got  %s\n  want %s" % (dict(sorted(got.items())), dict(sorted(plan.reasons.items()))))
    check(st["malformed"] == total, "malformed=%d, want %d" % (st["malformed"], total))
    check(st["dropped"]["too_large"] == plan.reasons["too_big"], "dropped.too_large=%d, want "
          "%d" % (st["dropped"]["too_large"], plan.reasons["too_big"]))

    check(d.proc.poll() is None, "logd died: %s" % d.stderr()[-3000:])
    check(d.stop() == 0, "logd did not exit 0 on SIGTERM: %s" % d.stderr()[-3000:])
    run_s = time.monotonic() - t0
    nvalid = sum(map(len, plan.valid))
    fin = d.stopped()
    print("stopped: %s" % " ".join("%s=%d" % kv for kv in fin.items()), flush=True)
    check(fin["malformed"] == total, "stopped: malformed=%d, want %d" % (fin["malformed"], total))
    # Syslog text is never malformed: each of those datagrams is one record.
    check(fin["datagrams"] == nvalid + 1 + SYSLOG, "stopped: datagrams=%d, want %d" %
          (fin["datagrams"], nvalid + 1 + SYSLOG))
    check(fin["records"] == len(plan.expect) + 1 + SYSLOG and fin["written"] == fin["records"],
          "stopped: records=%d written=%d, want %d" % (fin["records"], fin["written"],
                                                       len(plan.expect) + 1 + SYSLOG))
    junk = d.lines(SYSLOG_STREAM)
    check(len(junk) == SYSLOG, "%d lines in %s, want %d" % (len(junk), SYSLOG_STREAM, SYSLOG))
    for line in junk:
        parse(line)         # one of logd's lines, whatever the bytes
    check(fin["rejected"] == 0 and fin["client_dropped"] == 0, "stopped: rejected=%d "
          "client_dropped=%d, want 0" % (fin["rejected"], fin["client_dropped"]))

    # Every valid record exactly once, in its stream, in each sender's order.
    pids = {p.pid: i for i, p in enumerate(senders)}
    seen = collections.Counter()
    order = {}
    streams = sorted(set(s for s, _ in plan.expect.values()))
    for stream in streams:
        for line in d.lines(stream):
            # The records with a tag (extra()): "[pid] atk]tag: a\x20b.c:7 ?(): seq=..."
            r = parse(line, tagged=line.split("] ", 1)[-1].startswith("atk]tag: "))
            msg = unescape(r["msg"])
            check(not msg.startswith(b"bad="), "a record of a hostile datagram was written to "
                  "%s: %r" % (stream, line[:200]))
            check(msg.startswith(b"seq="), "%s: a line that no one sent: %r" % (stream, line))
            seq = int(msg[4:msg.index(b" ")])
            check(plan.expect.get(seq) == (stream, msg), "%s: record %d is not what was sent "
                  "(%r)" % (stream, seq, line[:200]))
            seen[seq] += 1
            check(r["pid"] in pids, "%s: pid %d is no sender's" % (stream, r["pid"]))
            order.setdefault(pids[r["pid"]], {}).setdefault(stream, []).append(seq)
    missing = sorted(set(plan.expect) - set(seen))
    check(not missing, "%d valid records lost, e.g. %s" % (len(missing), missing[:10]))
    twice = sorted(s for s, n in seen.items() if n > 1)
    check(not twice, "%d records written more than once, e.g. %s" % (len(twice), twice[:10]))
    check(order == plan.order, "some sender's records were reordered within a stream")

    # Nothing outside the log dir; in it, the valid streams, logd's own and .lock.
    after = tree(outer, skip)
    new = sorted(set(after.items()) - set(before.items()))
    check(not new, "created outside the log dir: %s" % new)
    check(os.listdir(d.cwd) == [], "created in logd's working directory: %s" %
          os.listdir(d.cwd))
    want = set(streams) | {"sync", "logd", ".lock", SYSLOG_STREAM}
    check(set(os.listdir(d.logs)) == want, "the log dir holds %s, want %s" %
          (sorted(os.listdir(d.logs)), sorted(want)))
    for name, kind in tree(d.logs).items():
        check(kind == "dir" if os.sep not in name and name != ".lock" else kind == "file",
              "log dir: %s is a %s" % (name, kind))

    # stderr: rate-limited, a few lines per reason every 5 s, not one per datagram.
    lines = d.stderr().splitlines()
    bound = 40 + int(4 * run_s)
    print("stderr: %d lines in %.1f s (bound %d)" % (len(lines), run_s, bound), flush=True)
    check(len(lines) <= bound, "%d stderr lines in %.1f s (bound %d): %s" %
          (len(lines), run_s, bound, "\n".join(lines[:50])))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "send":
        send_file(sys.argv[2], sys.argv[3])
        sys.exit(0)
    main([test_hostile_datagrams_are_counted_by_reason_and_valid_records_all_land])
