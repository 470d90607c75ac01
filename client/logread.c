/*
 * logread.c - a stream's files as one sequence of lines (see logread.h).
 *
 * The files: a snapshot holds current.log open and lists the archives; an
 * archive that is the file held open (current.log rotated between the open
 * and the listing) ends the list there, so no line is read twice.  An
 * archive is opened when its turn comes: one compressed since the listing
 * is read as its .zst, one that retention removed is reported and skipped.
 * A .zst archive is decompressed as a stream into the line buffer, never to
 * disk; it cannot be seeked in, so show decompresses the whole of each one
 * it needs (their names still skip the ones outside the range).
 *
 * Following: at the end of current.log the reader compares the file it
 * holds with the name.  Another file there means a rotation (logd swaps a
 * new file in, then names the old one) or a file renamed over it.  logd
 * writes nothing to a file after that, so the reader reads the old one to
 * its end, then the archives rotated after it (named after the newest one
 * it has accounted for; see next_files()), then the new current.log from
 * its start: no line is lost or read twice.  No file under the name (an
 * older logd, or a file system without RENAME_EXCHANGE, renames first and
 * creates after) means wait.
 *
 * Single-threaded; no globals.  A reader owns at most four descriptors:
 * the stream directory, the file it reads, current.log or a start file
 * that logread_tail() found, and the file it read before.
 */
#include "logread.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "clock.h"
#include "logtime.h"
#include "proto.h"

#define CHUNK		65536	/* a read; the line buffer keeps this much room */
#define BUF_MAX		(LOGREAD_LINE_MAX + CHUNK)
#define SEEK_LINEAR	65536	/* the binary search reads on from here */
#define HEAD		96	/* a line's first bytes: its time and priority */
#define ARCHIVE_NAME_MAX 48	/* "2026-11-25T12:00:00.123456Z.log.zst" and more, with NUL */
#define LOGREAD_SWAP	".current.log.swap"	/* where rotation swaps files (logd(8)) */
#define LOGREAD_SWAP_WAIT_MS	1000	/* how long a follower waits for its name */

struct file {
	char	name[ARCHIVE_NAME_MAX];	/* "<time>.log" (also for a .zst), or "current.log" */
	int64_t	until_ns;	/* an archive's time: it holds lines up to it; INT64_MAX */
	int	zst;		/* only the .zst is there */
};

/* One file read line by line. */
struct source {
	int		 fd;		/* -1: none */
	ZSTD_DCtx	*zd;		/* NULL: a plain file */
	ZSTD_inBuffer	 zin;
	size_t		 zret;		/* the decoder's last hint; 0 at a frame's end */
	char		*buf;		/* [start, end): read, not yet returned */
	size_t		 cap, start, end;
	size_t		 scanned;	/* [start, scanned) has no newline */
	uint64_t	 off;		/* plain: the file offset of buf[end] */
	int		 skipping;	/* in the rest of a cut line */
};

struct logread {
	int			 dfd;
	char			 stream[PROTO_MAX_NAME + 1];
	char			 path[PROTO_MAX_NAME + 1 + ARCHIVE_NAME_MAX + 4];
	struct logread_filter	 flt;
	int64_t			 seek_ns;	/* since, less the skew: where reading starts */
	int64_t			 stop_ns;	/* until, plus the skew: where it ends */
	int			 follow;
	struct file		*files;		/* archives oldest first, then current.log */
	size_t			 nfiles, files_cap;
	size_t			 next_file;	/* the one to open next */
	int			 live_fd;	/* current.log of the snapshot, until it is read */
	int			 start_fd;	/* the file logread_tail() starts in, or -1 */
	uint64_t		 start_off;	/* ... and where in it */
	uint64_t		 skip;		/* ... or how many lines to pass over in it */
	struct source		 src;
	int			 src_live;	/* src is current.log */
	int			 draining;	/* it has been replaced: read it to its end */
	int			 prev_fd;	/* the file read to its end before src */
	uint64_t		 swap_since_ms;	/* when a half-done rotation was seen, or 0 */
	char			 newest[ARCHIVE_NAME_MAX];	/* the last archive accounted for */
	int			 done;
	int64_t			 last_ts;
	ZSTD_DCtx		*zd;		/* made for the first .zst */
	char			*zin_buf;
	size_t			 zin_cap;
	char			*msg;		/* a message unescaped for --grep */
};

/* Whether name is an archive's ("<time>.log", "<time>-N.log", ".log.zst"); its time. */
static int
archive_name(const char *name, int *zst, int64_t *until_ns)
{
	size_t	len = strlen(name);

	if (len < 31 || len >= ARCHIVE_NAME_MAX || logtime_stamp(name, len, until_ns) < 0)
		return 0;
	*zst = strcmp(name + len - 8, ".log.zst") == 0;
	return *zst || strcmp(name + len - 4, ".log") == 0;
}

static void
set_path(struct logread *r, const char *name, int zst)
{
	snprintf(r->path, sizeof(r->path), "%s/%s%s", r->stream, name, zst ? ".zst" : "");
}

/* A regular file of the stream directory, read-only.  fd or -errno (-EINVAL: not regular). */
static int
open_file(struct logread *r, const char *name, int zst)
{
	char		zname[ARCHIVE_NAME_MAX];
	struct stat	st;
	int		fd;

	snprintf(zname, sizeof(zname), "%s%s", name, zst ? ".zst" : "");
	/* O_NONBLOCK: a FIFO planted here must not hang the open. */
	if ((fd = openat(r->dfd, zname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int
add_file(struct logread *r, const char *name, int zst, int64_t until_ns)
{
	struct file	*f;
	size_t		 ncap;

	if (r->nfiles == r->files_cap) {
		ncap = r->files_cap ? r->files_cap * 2 : 16;
		if ((f = realloc(r->files, ncap * sizeof(*f))) == NULL)
			return -ENOMEM;
		r->files = f;
		r->files_cap = ncap;
	}
	f = &r->files[r->nfiles++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->zst = zst;
	f->until_ns = until_ns;
	return 0;
}

/* By name; the plain file before the .zst of the same name. */
static int
file_cmp(const void *a, const void *b)
{
	const struct file	*x = a, *y = b;
	int			 c = strcmp(x->name, y->name);

	return c != 0 ? c : x->zst - y->zst;
}

/* Whether st is the same file as one of the n in sts. */
static int
same_file(const struct stat *st, const struct stat *sts, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (st->st_dev == sts[i].st_dev && st->st_ino == sts[i].st_ino)
			return 1;
	return 0;
}

/* Raises newest to name if name is later. */
static void
raise_newest(char newest[ARCHIVE_NAME_MAX], const char *name)
{
	if (strcmp(name, newest) > 0)
		snprintf(newest, ARCHIVE_NAME_MAX, "%.47s", name);
}

/*
 * Lists the archives named after r->newest, oldest first, but for those
 * that are files already read (read[0..nread): by inode, with their .zst),
 * up to the one that is live (the open current.log) if it is there; raises
 * r->newest to the last one it accounts for.
 */
static int
list_archives(struct logread *r, const struct stat *live, const struct stat *read, size_t nread)
{
	char		 stem[ARCHIVE_NAME_MAX], cut[ARCHIVE_NAME_MAX] = "";
	char		 done[2][ARCHIVE_NAME_MAX] = { "", "" };
	struct dirent	*de;
	struct stat	 st;
	int64_t		 until_ns;
	size_t		 i, n, ndone = 0;
	DIR		*d;
	int		 fd, zst, rc = 0;

	if ((fd = dup(r->dfd)) < 0)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	rewinddir(d);	/* the dup shares the position of dfd */
	while ((de = readdir(d)) != NULL) {
		if (!archive_name(de->d_name, &zst, &until_ns))
			continue;
		snprintf(stem, sizeof(stem), "%.*s", (int)(strlen(de->d_name) - (zst ? 4 : 0)),
		    de->d_name);
		if (strcmp(stem, r->newest) <= 0)
			continue;
		if (!zst && (live != NULL || nread > 0) &&
		    fstatat(r->dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (live != NULL && same_file(&st, live, 1)) {
				snprintf(cut, sizeof(cut), "%s", stem);
				continue;
			}
			if (same_file(&st, read, nread) && ndone < 2) {
				snprintf(done[ndone++], sizeof(done[0]), "%s", stem);
				continue;
			}
		}
		if ((rc = add_file(r, stem, zst, until_ns)) < 0)
			break;
	}
	closedir(d);
	if (rc < 0)
		return rc;
	if (r->nfiles > 1)
		qsort(r->files, r->nfiles, sizeof(*r->files), file_cmp);
	for (i = n = 0; i < r->nfiles; i++) {
		if (cut[0] != '\0' && strcmp(r->files[i].name, cut) >= 0)
			break;
		if ((n > 0 && strcmp(r->files[n - 1].name, r->files[i].name) == 0) ||
		    strcmp(r->files[i].name, done[0]) == 0 || strcmp(r->files[i].name, done[1]) == 0)
			continue;	/* being compressed: read the plain one, if not read yet */
		r->files[n++] = r->files[i];
	}
	r->nfiles = n;
	raise_newest(r->newest, done[0]);
	raise_newest(r->newest, done[1]);
	if (n > 0)
		raise_newest(r->newest, r->files[n - 1].name);
	raise_newest(r->newest, cut);
	return 0;
}

/*
 * Holds current.log open (if it is there) and makes the list of files to
 * read: the archives named after r->newest but the files already read
 * (read[0..nread)), then current.log.
 */
static int
snapshot(struct logread *r, const struct stat *read, size_t nread)
{
	struct stat	live;
	int		rc;

	r->nfiles = r->next_file = 0;
	if (r->live_fd >= 0)
		close(r->live_fd);
	set_path(r, "current.log", 0);
	if ((r->live_fd = open_file(r, "current.log", 0)) < 0) {
		rc = r->live_fd;
		r->live_fd = -1;
		if (rc != -ENOENT)
			return rc;
	}
	if (r->live_fd >= 0 && fstat(r->live_fd, &live) < 0)
		return -errno;
	if ((rc = list_archives(r, r->live_fd >= 0 ? &live : NULL, read, nread)) < 0)
		return rc;
	return add_file(r, "current.log", 0, INT64_MAX);
}

static void
source_start(struct source *s, int fd, ZSTD_DCtx *zd)
{
	s->fd = fd;
	s->zd = zd;
	s->zin.size = s->zin.pos = 0;
	s->zret = 0;
	s->start = s->end = s->scanned = 0;
	s->off = 0;
	s->skipping = 0;
	if (zd != NULL)
		ZSTD_DCtx_reset(zd, ZSTD_reset_session_only);
}

static void
source_close(struct source *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* read() that retries on EINTR: bytes, 0 at the end, -errno. */
static ssize_t
read_some(int fd, void *buf, size_t len)
{
	ssize_t	n;

	while ((n = read(fd, buf, len)) < 0 && errno == EINTR)
		;
	return n < 0 ? -errno : n;
}

/*
 * Reads more of the file after buf[end], making room first (the caller has
 * seen to it that the unreturned bytes are at most LOGREAD_LINE_MAX).
 * Bytes read, 0 at the end of the file, -errno; -EBADMSG for zstd data that
 * is corrupt or cut short.
 */
static ssize_t
source_read(struct source *s, char *zin_buf, size_t zin_cap)
{
	ZSTD_outBuffer	 out;
	ssize_t		 n;
	size_t		 ncap;
	char		*nb;
	int		 eof;

	if (s->cap - s->end < CHUNK && s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->scanned -= s->start;
		s->start = 0;
	}
	if (s->cap - s->end < CHUNK && s->cap < BUF_MAX) {
		ncap = s->cap * 2 < BUF_MAX ? s->cap * 2 : BUF_MAX;
		if ((nb = realloc(s->buf, ncap)) == NULL)
			return -ENOMEM;
		s->buf = nb;
		s->cap = ncap;
	}
	if (s->zd == NULL) {
		if ((n = read_some(s->fd, s->buf + s->end, s->cap - s->end)) > 0) {
			s->end += (size_t)n;
			s->off += (uint64_t)n;
		}
		return n;
	}
	for (;;) {
		eof = 0;
		if (s->zin.pos == s->zin.size) {
			if ((n = read_some(s->fd, zin_buf, zin_cap)) < 0)
				return n;
			eof = n == 0;
			s->zin.src = zin_buf;
			s->zin.size = (size_t)n;
			s->zin.pos = 0;
		}
		if (eof && s->zret == 0)
			return 0;	/* every frame whole and flushed */
		out.dst = s->buf + s->end;
		out.size = s->cap - s->end;
		out.pos = 0;
		s->zret = ZSTD_decompressStream(s->zd, &out, &s->zin);
		if (ZSTD_isError(s->zret))
			return -EBADMSG;
		if (out.pos > 0) {
			s->end += out.pos;
			return (ssize_t)out.pos;
		}
		if (eof)
			return -EBADMSG;	/* the last frame is cut short */
	}
}

/*
 * The next line of s: 1 with *text and *len (valid until the next call),
 * 0 at the end of what the file has now, or -errno.  A last line without a
 * newline comes out only if the file is final (no one writes it any more).
 * A line longer than LOGREAD_LINE_MAX comes out cut, *cut set; the rest of
 * it is passed over.
 */
static int
source_line(struct source *s, int final, char *zin_buf, size_t zin_cap, const char **text,
    size_t *len, int *cut)
{
	ssize_t	 n;
	char	*nl;

	*cut = 0;
	for (;;) {
		if ((nl = memchr(s->buf + s->scanned, '\n', s->end - s->scanned)) != NULL) {
			*text = s->buf + s->start;
			*len = (size_t)(nl - *text);
			s->start = s->scanned = (size_t)(nl - s->buf) + 1;
			if (!s->skipping)
				return 1;
			s->skipping = 0;
			continue;
		}
		s->scanned = s->end;
		if (s->skipping) {
			s->start = s->end;
		} else if (s->end - s->start > LOGREAD_LINE_MAX) {
			*text = s->buf + s->start;
			*len = LOGREAD_LINE_MAX;
			*cut = 1;
			s->skipping = 1;
			s->start = s->scanned = s->end;
			return 1;
		}
		if ((n = source_read(s, zin_buf, zin_cap)) > 0)
			continue;
		if (n < 0)
			return (int)n;
		if (!final)
			return 0;
		s->skipping = 0;
		if (s->end == s->start)
			return 0;
		*text = s->buf + s->start;
		*len = s->end - s->start;
		s->start = s->scanned = s->end;
		return 1;
	}
}

/* The first line start at or after pos (the byte before it is a newline), or hi. */
static int
line_start(int fd, uint64_t pos, uint64_t hi, uint64_t *out)
{
	char	 buf[4096];
	char	*nl;
	ssize_t	 n;

	*out = hi;
	if (pos == 0) {
		*out = 0;
		return 0;
	}
	for (pos--; pos < hi; pos += (uint64_t)n) {
		n = pread(fd, buf, hi - pos < sizeof(buf) ? hi - pos : sizeof(buf), (off_t)pos);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if ((nl = memchr(buf, '\n', (size_t)n)) != NULL) {
			*out = pos + (uint64_t)(nl - buf) + 1;
			return 0;
		}
	}
	return 0;
}

/* The time of the line at pos: 1, or 0 if it has none. */
static int
time_at(int fd, uint64_t pos, int64_t *ts)
{
	char	buf[HEAD];
	ssize_t	n;

	if ((n = pread(fd, buf, sizeof(buf), (off_t)pos)) < 0)
		return -errno;
	return logline_time(buf, (size_t)n, ts) == 0;
}

/*
 * A line start in the plain file fd at or before the first line whose time
 * is target or later, found by binary search on the lines' times; at most
 * SEEK_LINEAR bytes (or the longest line) before it.  A line without a time
 * takes the next one's.
 */
static int
seek_time(int fd, int64_t target, uint64_t *out)
{
	struct stat	st;
	uint64_t	lo = 0, hi, mid, s;
	int64_t		ts = 0;
	int		rc = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	hi = (uint64_t)st.st_size;
	/* lo is a line start with every line before it earlier than target. */
	while (hi - lo > SEEK_LINEAR) {
		mid = lo + (hi - lo) / 2;
		if ((rc = line_start(fd, mid, hi, &s)) < 0)
			return rc;
		while (s < hi && (rc = time_at(fd, s, &ts)) == 0)
			if ((rc = line_start(fd, s + 1, hi, &s)) < 0)
				return rc;
		if (rc < 0)
			return rc;
		if (s >= hi)
			hi = mid;	/* no line starts in [mid, hi): look before mid */
		else if (ts < target)
			lo = s;
		else
			hi = s;
	}
	*out = lo;
	return 0;
}

/*
 * Raises r->newest to the archive name the file fd has now, if it has one
 * (readlink of /proc/self/fd: compressed and removed, the name it had).
 */
static void
newest_of(struct logread *r, int fd)
{
	char		 link[64], target[PATH_MAX];
	const char	*base;
	int64_t		 until_ns;
	ssize_t		 n;
	int		 zst;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, target, sizeof(target) - 1)) < 0)
		return;
	target[n] = '\0';
	if (n > 10 && strcmp(target + n - 10, " (deleted)") == 0)
		target[n - 10] = '\0';
	base = strrchr(target, '/');
	base = base != NULL ? base + 1 : target;
	if (archive_name(base, &zst, &until_ns) && !zst)
		raise_newest(r->newest, base);
}

/*
 * The switch to what came after the file read to its end (src): the
 * archives rotated after it, then current.log.  Archives named after
 * r->newest are new; of those, the old file is left out, and the one read
 * before it: each is kept open until the next switch, as logd may not have
 * named it yet (it sits at .current.log.swap for a moment, or longer if the
 * rename failed), so that it is known, by name or inode, when it has one.
 */
static int
next_files(struct logread *r)
{
	struct stat	read[2];
	size_t		nread = 0;

	if (r->prev_fd >= 0) {
		newest_of(r, r->prev_fd);
		if (fstat(r->prev_fd, &read[nread]) == 0)
			nread++;
		close(r->prev_fd);
	}
	newest_of(r, r->src.fd);
	if (fstat(r->src.fd, &read[nread]) == 0)
		nread++;
	r->prev_fd = r->src.fd;
	r->src.fd = -1;
	return snapshot(r, read, nread);
}

/*
 * At the end of current.log, following: 0 to wait; 1 to read on (the file
 * was replaced: read it to its end; or, read to its end, go on to what came
 * after it); -ESTALE if it shrank and is read again from its start.
 */
static int
live_end(struct logread *r)
{
	struct stat	name, cur;
	uint64_t	unfinished, now_ms;
	int		rc;

	if (r->draining) {
		/*
		 * A rotation half done (the old file swapped out, not named yet):
		 * wait for the name, which comes at once, or go on after
		 * LOGREAD_SWAP_WAIT_MS without it (logd could not rename; it will
		 * name it at its next rotation, and it is read then).
		 */
		now_ms = clock_ms(CLOCK_MONOTONIC);
		if (faccessat(r->dfd, LOGREAD_SWAP, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			if (r->swap_since_ms == 0)
				r->swap_since_ms = now_ms;
			if (now_ms - r->swap_since_ms < LOGREAD_SWAP_WAIT_MS)
				return 0;
		}
		r->swap_since_ms = 0;
		r->draining = 0;
		rc = next_files(r);
		return rc < 0 ? rc : 1;
	}
	if (fstatat(r->dfd, "current.log", &name, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(r->src.fd, &cur) < 0)
		return -errno;
	if (name.st_dev != cur.st_dev || name.st_ino != cur.st_ino) {
		r->draining = 1;
		return 1;
	}
	if ((uint64_t)cur.st_size >= r->src.off)
		return 0;
	/*
	 * Shorter than what was read.  logd cuts a partial line away after a
	 * failed write (a full disk) and writes it again: read on from the
	 * line's start.  Anything shorter was truncated by someone else.
	 */
	unfinished = r->src.off - (r->src.end - r->src.start);
	r->src.start = r->src.end = r->src.scanned = 0;
	r->src.skipping = 0;
	r->src.off = (uint64_t)cur.st_size >= unfinished ? unfinished : 0;
	if (lseek(r->src.fd, (off_t)r->src.off, SEEK_SET) < 0)
		return -errno;
	return r->src.off > 0 ? 1 : -ESTALE;
}

/* An archive: fd or -errno (-ENOENT: retention removed it). */
static int
open_archive(struct logread *r, struct file *f)
{
	int	fd;

	set_path(r, f->name, f->zst);
	if ((fd = open_file(r, f->name, f->zst)) == -ENOENT && !f->zst) {
		f->zst = 1;	/* compressed since it was listed */
		set_path(r, f->name, 1);
		fd = open_file(r, f->name, 1);
	}
	return fd;
}

/* Opens the next file: 1, or 0 if there is none (now), or -errno (it is skipped). */
static int
open_next(struct logread *r)
{
	struct file	*f;
	uint64_t	 off = 0;
	int		 fd, live, rc;

	if (r->next_file >= r->nfiles) {
		r->done = 1;
		return 0;
	}
	f = &r->files[r->next_file];
	live = r->next_file == r->nfiles - 1;
	set_path(r, f->name, f->zst);
	if (r->start_fd >= 0) {
		fd = r->start_fd;
		r->start_fd = -1;
	} else if (live) {
		if (r->live_fd < 0 && (r->live_fd = open_file(r, f->name, 0)) < 0) {
			rc = r->live_fd;
			r->live_fd = -1;
			if (rc == -ENOENT && r->follow)
				return 0;	/* between a rotation's rename and create */
			r->done = 1;
			return rc == -ENOENT ? 0 : rc;
		}
		fd = r->live_fd;
		r->live_fd = -1;
	} else if ((fd = open_archive(r, f)) < 0) {
		r->next_file++;
		return fd;
	}
	r->next_file++;
	if (f->zst && r->zd == NULL && (r->zd = ZSTD_createDCtx()) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	source_start(&r->src, fd, f->zst ? r->zd : NULL);
	r->src_live = live;
	if (r->start_off > 0) {
		off = r->start_off;
		r->start_off = 0;
	} else if (!f->zst && r->seek_ns != INT64_MIN && (rc = seek_time(fd, r->seek_ns, &off)) < 0) {
		source_close(&r->src);
		return rc;
	}
	if (off > 0 && lseek(fd, (off_t)off, SEEK_SET) < 0) {
		rc = -errno;
		source_close(&r->src);
		return rc;
	}
	r->src.off = off;
	return 1;
}

/*
 * Whether a line read passes the filter; fills *l.  A line later than the
 * end of the range (and the skew) ends the reading.
 */
static int
keep(struct logread *r, const char *text, size_t len, int cut, struct logread_line *l)
{
	const struct logread_filter	*flt = &r->flt;
	const char			*s = text;
	regmatch_t			 m = { 0, (regoff_t)len };

	l->text = text;
	l->len = len;
	l->cut = cut;
	l->parsed = logline_parse(text, len, &l->f) == 0;
	if (l->parsed)
		r->last_ts = l->f.ts_ns;
	l->ts_ns = r->last_ts;
	if (l->ts_ns > r->stop_ns) {
		r->done = 1;
		return 0;
	}
	if (l->ts_ns < flt->since_ns || l->ts_ns > flt->until_ns)
		return 0;
	if (flt->max_priority < PROTO_MAX_PRIORITY &&
	    (!l->parsed || l->f.priority > flt->max_priority))
		return 0;
	if (flt->grep != NULL) {
		if (l->parsed) {
			m.rm_eo = (regoff_t)logline_message(&l->f, r->msg);
			s = r->msg;
		}
		if (regexec(flt->grep, s, 1, &m, REG_STARTEND) != 0)
			return 0;
	}
	if (r->skip > 0) {
		r->skip--;
		return 0;
	}
	return 1;
}

int
logread_next(struct logread *r, struct logread_line *line)
{
	const char	*text;
	size_t		 len;
	int		 rc, cut;

	for (;;) {
		if (r->done)
			return 0;
		if (r->src.fd < 0 && (rc = open_next(r)) <= 0)
			return rc;
		rc = source_line(&r->src, !r->src_live || r->draining, r->zin_buf, r->zin_cap,
		    &text, &len, &cut);
		if (rc < 0) {
			source_close(&r->src);
			return rc;
		}
		if (rc == 0) {
			if (!r->src_live) {
				source_close(&r->src);
				continue;
			}
			if (!r->follow) {
				r->done = 1;
				return 0;
			}
			if ((rc = live_end(r)) < 0 && rc != -ESTALE)
				r->done = 1;	/* the stream directory failed: said once */
			if (rc <= 0)
				return rc;
			continue;
		}
		if (keep(r, text, len, cut, line))
			return 1;
	}
}

/* A window on a file read backwards. */
struct back {
	char		buf[CHUNK];
	uint64_t	off;	/* the file offset of buf[0] */
	size_t		len;
};

/* The start of the line that ends just before pos: after the last newline before pos, or 0. */
static int
back_line_start(int fd, struct back *b, uint64_t pos, uint64_t *out)
{
	uint64_t	 from;
	ssize_t		 n;
	char		*nl;

	while (pos > 0) {
		if (pos <= b->off || pos > b->off + b->len) {
			from = pos > CHUNK ? pos - CHUNK : 0;
			if ((n = pread(fd, b->buf, (size_t)(pos - from), (off_t)from)) < 0)
				return -errno;
			if ((uint64_t)n != pos - from)
				return -EIO;	/* shorter than it was a moment ago */
			b->off = from;
			b->len = (size_t)n;
		}
		if ((nl = memrchr(b->buf, '\n', (size_t)(pos - b->off))) != NULL) {
			*out = b->off + (uint64_t)(nl - b->buf) + 1;
			return 0;
		}
		pos = b->off;
	}
	*out = 0;
	return 0;
}

/* Whether the line [start, end) has a priority of max_priority or more important. */
static int
back_keep(int fd, struct back *b, uint64_t start, uint64_t end, int max_priority)
{
	struct logline	 l;
	char		 head[HEAD];
	const char	*p = head;
	size_t		 n = end - start < HEAD ? (size_t)(end - start) : HEAD;
	ssize_t		 got;

	if (max_priority >= PROTO_MAX_PRIORITY)
		return 1;
	if (start >= b->off && start + n <= b->off + b->len) {
		p = b->buf + (start - b->off);
	} else {
		if ((got = pread(fd, head, n, (off_t)start)) < 0)
			return -errno;
		n = (size_t)got;
	}
	return logline_parse(p, n, &l) == 0 && l.priority <= max_priority;
}

/*
 * Counts back from end in the plain file fd the lines that pass
 * max_priority, until *need of them are found; takes them off *need.
 * *start is where the earliest one found begins.
 */
static int
count_back(int fd, struct back *b, uint64_t end, int max_priority, uint64_t *need,
    uint64_t *start)
{
	uint64_t	pos = end, s;
	int		rc;

	b->off = b->len = 0;
	while (pos > 0 && *need > 0) {
		if ((rc = back_line_start(fd, b, pos - 1, &s)) < 0 ||
		    (rc = back_keep(fd, b, s, pos, max_priority)) < 0)
			return rc;
		*need -= (uint64_t)rc;
		pos = s;
	}
	*start = pos;
	return 0;
}

/* Counts the lines of the .zst archive fd that pass max_priority. */
static int
count_zst(struct logread *r, int fd, int max_priority, uint64_t *count)
{
	struct logline	 l;
	const char	*text;
	size_t		 len;
	int		 rc, cut;

	*count = 0;
	if (r->zd == NULL && (r->zd = ZSTD_createDCtx()) == NULL)
		return -ENOMEM;
	source_start(&r->src, fd, r->zd);
	while ((rc = source_line(&r->src, 1, r->zin_buf, r->zin_cap, &text, &len, &cut)) > 0)
		*count += max_priority >= PROTO_MAX_PRIORITY ||
		    (logline_parse(text, len, &l) == 0 && l.priority <= max_priority);
	r->src.fd = -1;		/* the caller keeps fd */
	if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
		rc = -errno;
	return rc;
}

int
logread_tail(struct logread *r, uint64_t n)
{
	struct back	*b;
	struct stat	 st;
	struct file	*f;
	uint64_t	 need = n, start = 0, count, end;
	size_t		 i;
	int		 fd, rc = 0, live;

	if ((b = malloc(sizeof(*b))) == NULL)
		return -ENOMEM;
	b->off = b->len = 0;
	if (n == 0)
		r->next_file = r->nfiles - 1;	/* current.log from its end, when it is there */
	for (i = r->nfiles; i-- > 0 && (n > 0 || i == r->nfiles - 1);) {
		f = &r->files[i];
		live = i == r->nfiles - 1;
		if (live) {
			set_path(r, f->name, 0);
			if ((fd = r->live_fd) < 0)
				continue;	/* no current.log yet */
		} else if ((fd = open_archive(r, f)) == -ENOENT) {
			continue;		/* removed by retention: nothing to count */
		} else if (fd < 0) {
			rc = fd;
			break;
		}
		if (f->zst) {
			if ((rc = count_zst(r, fd, r->flt.max_priority, &count)) == 0) {
				r->skip = count > need ? count - need : 0;
				need -= count < need ? count : need;
			}
		} else if (fstat(fd, &st) < 0) {
			rc = -errno;
		} else {
			end = (uint64_t)st.st_size;
			/* Not a partial line at the end of current.log: it is being written. */
			if (!live || (rc = back_line_start(fd, b, end, &end)) == 0)
				rc = count_back(fd, b, end, r->flt.max_priority, &need, &start);
			if (n == 0)
				start = end;
		}
		if (rc < 0) {
			/* Said once by the caller: reading starts after the file. */
			if (!live)
				close(fd);
			r->next_file = i + 1;
			r->skip = 0;
			break;
		}
		if (need == 0 || i == 0) {
			if (!live)
				r->start_fd = fd;
			r->next_file = i;
			r->start_off = start;
			break;
		}
		if (!live)
			close(fd);
	}
	free(b);
	return rc;
}

const char *
logread_path(const struct logread *r)
{
	return r->path;
}

static int64_t
add_sat(int64_t a, int64_t b)
{
	int64_t	sum;

	if (__builtin_add_overflow(a, b, &sum))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return sum;
}

int
logread_open(int log_dir_fd, const char *stream, const struct logread_filter *flt, int follow,
    struct logread **out)
{
	struct logread	*r;
	int		 rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->live_fd = r->start_fd = r->src.fd = r->prev_fd = -1;
	snprintf(r->stream, sizeof(r->stream), "%s", stream);
	snprintf(r->path, sizeof(r->path), "%s", stream);
	r->flt = *flt;
	r->follow = follow;
	r->last_ts = INT64_MIN;
	r->seek_ns = flt->since_ns == INT64_MIN ? INT64_MIN : add_sat(flt->since_ns, -LOGREAD_SKEW_NS);
	r->stop_ns = flt->until_ns == INT64_MAX ? INT64_MAX : add_sat(flt->until_ns, LOGREAD_SKEW_NS);
	r->src.cap = 2 * CHUNK;
	r->zin_cap = ZSTD_DStreamInSize();
	if ((r->dfd = openat(log_dir_fd, stream, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0) {
		rc = errno == ELOOP ? -ENOTDIR : -errno;
		free(r);
		return rc;
	}
	if ((r->src.buf = malloc(r->src.cap)) == NULL || (r->zin_buf = malloc(r->zin_cap)) == NULL ||
	    (flt->grep != NULL && (r->msg = malloc(LOGREAD_LINE_MAX)) == NULL)) {
		logread_free(r);
		return -ENOMEM;
	}
	if ((rc = snapshot(r, NULL, 0)) < 0) {
		logread_free(r);
		return rc;
	}
	/* The first archive that can hold lines of the range: names are times. */
	while (r->next_file < r->nfiles - 1 && r->files[r->next_file].until_ns < r->seek_ns)
		r->next_file++;
	*out = r;
	return 0;
}

int
logread_check(const struct logread *r)
{
	const struct source	*s = &r->src;
	size_t			 i;

	if (s->start > s->scanned || s->scanned > s->end || s->end > s->cap || s->cap > BUF_MAX ||
	    r->next_file > r->nfiles || r->nfiles > r->files_cap)
		return -EINVAL;
	if (r->nfiles > 0 && strcmp(r->files[r->nfiles - 1].name, "current.log") != 0)
		return -EINVAL;
	for (i = 1; i + 1 < r->nfiles; i++)
		if (strcmp(r->files[i - 1].name, r->files[i].name) >= 0)
			return -EINVAL;
	return 0;
}

void
logread_free(struct logread *r)
{
	if (r == NULL)
		return;
	source_close(&r->src);
	if (r->live_fd >= 0)
		close(r->live_fd);
	if (r->start_fd >= 0)
		close(r->start_fd);
	if (r->prev_fd >= 0)
		close(r->prev_fd);
	close(r->dfd);
	ZSTD_freeDCtx(r->zd);
	free(r->src.buf);
	free(r->zin_buf);
	free(r->msg);
	free(r->files);
	free(r);
}
