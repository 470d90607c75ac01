/*
 * test_logread.c - a stream's files read as one sequence: archives (plain
 * and zstd) then current.log, the binary search by time, lines too long,
 * tail's count back, and following across renames, on files made here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "logread.h"
#include "unit.h"

#define S		1000000000LL
#define BASE_S		1763812800LL	/* 2025-11-22T12:00:00Z: line i is at BASE_S + i s */

static char	dir[64];
static int	dfd = -1;

static void
setup(void)
{
	char	path[128];

	snprintf(dir, sizeof(dir), "/tmp/logread-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	ck_assert_int_eq(mkdir(path, 0750), 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
}

static void
teardown(void)
{
	char	cmd[128];

	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The path of name in the stream; two calls in one expression get two buffers. */
static char *
path_of(const char *name)
{
	static char	path[4][256];
	static int	next;

	next = (next + 1) % 4;
	snprintf(path[next], sizeof(path[next]), "%s/s/%s", dir, name);
	return path[next];
}

/* logd's stamp of BASE_S + i seconds + us microseconds into out[28]. */
static char *
stamp(char *out, long i, long us)
{
	time_t		t = (time_t)(BASE_S + i);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, 28, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 9, ".%06ldZ", us);
	return out;
}

/* The archive name for lines up to i. */
static char *
archive(long i, const char *ext)
{
	static char	name[64];
	char		ts[28];

	snprintf(name, sizeof(name), "%s%s", stamp(ts, i, 500000), ext);
	return name;
}

/* Line i: at BASE_S + i, priority i % 8, message "m<i>". */
static int
put_line(char *buf, size_t cap, long i)
{
	static const char	*prio[] = { "emerg", "alert", "crit", "err", "warning", "notice",
		"info", "debug" };
	char			 ts[28];

	return snprintf(buf, cap, "%s %s [7] m%ld\n", stamp(ts, i, 0), prio[i % 8], i);
}

/* Lines from..to-1 appended to the file name. */
static void
write_lines(const char *name, long from, long to)
{
	char	buf[128];
	FILE	*f = fopen(path_of(name), "a");
	long	i;

	ck_assert_ptr_nonnull(f);
	for (i = from; i < to; i++) {
		put_line(buf, sizeof(buf), i);
		fputs(buf, f);
	}
	ck_assert_int_eq(fclose(f), 0);
}

static void
write_bytes(const char *name, const char *s, size_t len)
{
	FILE	*f = fopen(path_of(name), "a");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(s, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Lines from..to-1 as a .zst archive of two frames (as zstd -dc of two files reads). */
static void
write_zst(const char *name, long from, long to)
{
	size_t	 cap = (size_t)(to - from) * 64 + 64, len = 0, half = 0, n, zcap;
	char	*plain = malloc(cap), *z;
	FILE	*f;
	long	 i;

	for (i = from; i < to; i++) {
		len += (size_t)put_line(plain + len, cap - len, i);
		if (i == from + (to - from) / 2)
			half = len;
	}
	zcap = ZSTD_compressBound(len) * 2;
	z = malloc(zcap);
	n = ZSTD_compress(z, zcap, plain, half, 3);
	ck_assert(!ZSTD_isError(n));
	n += ZSTD_compress(z + n, zcap - n, plain + half, len - half, 3);
	f = fopen(path_of(name), "w");
	ck_assert_uint_eq(fwrite(z, 1, n, f), n);
	fclose(f);
	free(plain);
	free(z);
}

static struct logread *
reader(int64_t since, int64_t until, int prio, int follow)
{
	struct logread_filter	 flt = { since, until, prio, NULL };
	struct logread		*r;

	ck_assert_int_eq(logread_open(dfd, "s", &flt, follow, &r), 0);
	ck_assert_int_eq(logread_check(r), 0);
	return r;
}

/*
 * The numbers of the next lines (up to max; -1 for a line without a time)
 * until logread_next() says 0; their count.
 */
static size_t
collect(struct logread *r, long *got, size_t max)
{
	struct logread_line	l;
	size_t			n = 0;
	int			rc, bad = 0;

	/* One assertion at the end: Check records each one it makes (a write per call). */
	while ((rc = logread_next(r, &l)) == 1 && n < max) {
		bad |= logread_check(r) != 0;
		got[n++] = l.parsed ? strtol(l.f.msg + 1, NULL, 10) : -1;
	}
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(rc, 0);
	return n;
}

static void
check_range(const long *got, size_t n, long from, long to)
{
	size_t	i;

	ck_assert_uint_eq(n, (size_t)(to - from));
	for (i = 0; i < n && got[i] == from + (long)i; i++)
		;
	ck_assert_msg(i == n, "line %zu is %ld, want %ld", i, i < n ? got[i] : 0, from + (long)i);
}

START_TEST(reads_archives_plain_and_zstd_then_current_in_order)
{
	static long	got[1000];
	struct logread	*r;

	write_lines(archive(99, ".log"), 0, 100);
	write_zst(archive(199, ".log.zst"), 100, 200);
	write_lines(archive(299, ".log"), 200, 300);
	write_lines("current.log", 300, 400);
	write_lines(".hidden", 0, 10);
	write_lines("notes.log", 0, 10);
	r = reader(INT64_MIN, INT64_MAX, 7, 0);
	check_range(got, collect(r, got, 1000), 0, 400);
	logread_free(r);
	/* A range, both bounds included. */
	r = reader((BASE_S + 150) * S, (BASE_S + 250) * S, 7, 0);
	check_range(got, collect(r, got, 1000), 150, 251);
	logread_free(r);
	/* Only what is more important than notice. */
	r = reader(INT64_MIN, INT64_MAX, 2, 0);
	ck_assert_uint_eq(collect(r, got, 1000), 150);
	logread_free(r);
}
END_TEST

START_TEST(prefers_the_plain_archive_while_it_is_being_compressed)
{
	static long	got[100];
	struct logread	*r;

	write_lines(archive(49, ".log"), 0, 50);
	write_zst(archive(49, ".log.zst"), 0, 50);
	write_lines("current.log", 50, 60);
	r = reader(INT64_MIN, INT64_MAX, 7, 0);
	check_range(got, collect(r, got, 100), 0, 60);
	logread_free(r);
	/* Compressed (and the plain one removed) after the listing: the .zst is read. */
	r = reader(INT64_MIN, INT64_MAX, 7, 0);
	ck_assert_int_eq(unlink(path_of(archive(49, ".log"))), 0);
	check_range(got, collect(r, got, 100), 0, 60);
	logread_free(r);
}
END_TEST

START_TEST(reports_an_archive_removed_before_its_turn_and_goes_on)
{
	static long		 got[100];
	struct logread		*r = NULL;
	struct logread_line	 l;

	write_lines(archive(9, ".log"), 0, 10);
	write_lines(archive(19, ".log"), 10, 20);
	write_lines("current.log", 20, 30);
	r = reader(INT64_MIN, INT64_MAX, 7, 0);
	ck_assert_int_eq(unlink(path_of(archive(9, ".log"))), 0);
	ck_assert_int_eq(logread_next(r, &l), -ENOENT);
	ck_assert_str_eq(logread_path(r), "s/2025-11-22T12:00:09.500000Z.log.zst");
	check_range(got, collect(r, got, 100), 10, 30);
	logread_free(r);
}
END_TEST

START_TEST(says_a_corrupt_zst_archive_is_one)
{
	static long		 got[100];
	struct logread		*r;
	struct logread_line	 l;
	struct stat		 st;
	int			 rc, n = 0;

	write_zst(archive(49, ".log.zst"), 0, 50);
	ck_assert_int_eq(stat(path_of(archive(49, ".log.zst")), &st), 0);
	ck_assert_int_eq(truncate(path_of(archive(49, ".log.zst")), st.st_size - 5), 0);
	write_lines("current.log", 50, 60);
	r = reader(INT64_MIN, INT64_MAX, 7, 0);
	while ((rc = logread_next(r, &l)) == 1)
		n++;
	ck_assert_int_eq(rc, -EBADMSG);
	ck_assert_int_gt(n, 0);
	check_range(got, collect(r, got, 100), 50, 60);
	logread_free(r);
}
END_TEST

/* The bytes this process has read so far (/proc/self/io rchar). */
static long long
bytes_read(void)
{
	char		 line[128];
	long long	 v = -1;
	FILE		*f = fopen("/proc/self/io", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "rchar: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

START_TEST(seeks_by_time_and_reads_little_more_than_the_range)
{
	static long	 got[300000];
	const long	 n = 200000;	/* 200,000 lines, 13 MB, one every second */
	struct logread	*r;
	long long	 before;
	long		 from, to, k;
	unsigned	 seed = 7;

	write_lines("current.log", 0, n);
	/* Ranges anywhere, open at either end, past both ends. */
	for (k = 0; k < 60; k++) {
		from = rand_r(&seed) % (n + 200) - 100;
		to = from + rand_r(&seed) % 3000;
		r = reader(k % 7 == 0 ? INT64_MIN : (BASE_S + from) * S,
		    k % 5 == 0 ? INT64_MAX : (BASE_S + to) * S, 7, 0);
		if (k % 7 == 0)
			from = 0;
		if (k % 5 == 0)
			to = n;
		from = from < 0 ? 0 : from > n ? n : from;
		to = to < 0 ? -1 : to >= n ? n - 1 : to;
		check_range(got, collect(r, got, 300000), from, to + 1 > from ? to + 1 : from);
		logread_free(r);
	}
	/* The last 1%: the skew (60 s) more, and the search's few probes. */
	before = bytes_read();
	r = reader((BASE_S + n - n / 100) * S, INT64_MAX, 7, 0);
	check_range(got, collect(r, got, 300000), n - n / 100, n);
	if (before >= 0)
		ck_assert_int_lt(bytes_read() - before, (n / 100 + 60) * 67 + 3 * 65536 + 40 * 4096);
	logread_free(r);
}
END_TEST

START_TEST(seeks_past_lines_without_a_time_and_long_lines)
{
	static long	 got[20000];
	char		*big = malloc(300000);
	struct logread	*r;
	long		 i, want = 5000;
	size_t		 n, k, untimed = 0;

	memset(big, 'x', 299999);
	big[299999] = '\n';
	for (i = 0; i < 10000; i += 100) {
		write_lines("current.log", i, i + 100);
		write_bytes("current.log", "no time on this line\n", 21);
		if (i % 2000 == 0)
			write_bytes("current.log", big, 300000);
	}
	/* A line without a time has the time of the line before it: 10 of them are in range. */
	r = reader((BASE_S + 5000) * S, (BASE_S + 5999) * S, 7, 0);
	n = collect(r, got, 20000);
	for (k = 0; k < n; k++) {
		if (got[k] < 0)
			untimed++;
		else
			ck_assert_int_eq(got[k], want++);
	}
	ck_assert_int_eq(want, 6000);
	ck_assert_uint_eq(untimed, 10);
	logread_free(r);
	free(big);
}
END_TEST

START_TEST(cuts_a_line_longer_than_the_bound_and_says_so)
{
	const size_t		 len = 3 * LOGREAD_LINE_MAX + 17;
	char			*big = malloc(len + 1);
	struct logread		*r;
	struct logread_line	 l;

	write_lines("current.log", 0, 1);
	memset(big, 'y', len);
	big[len] = '\n';
	write_bytes("current.log", big, len + 1);
	memset(big, 'z', LOGREAD_LINE_MAX);	/* exactly the bound: whole */
	big[LOGREAD_LINE_MAX] = '\n';
	write_bytes("current.log", big, LOGREAD_LINE_MAX + 1);
	write_lines("current.log", 1, 2);
	r = reader(INT64_MIN, INT64_MAX, 7, 0);
	ck_assert_int_eq(logread_next(r, &l), 1);
	ck_assert(!l.cut && l.parsed);
	ck_assert_int_eq(logread_next(r, &l), 1);
	ck_assert(l.cut && !l.parsed && l.len == LOGREAD_LINE_MAX && l.text[l.len - 1] == 'y');
	ck_assert_int_eq(logread_next(r, &l), 1);
	ck_assert(!l.cut && l.len == LOGREAD_LINE_MAX && l.text[0] == 'z');
	ck_assert_int_eq(logread_next(r, &l), 1);
	ck_assert(l.parsed && l.f.msg[1] == '1');
	ck_assert_int_eq(logread_check(r), 0);
	ck_assert_int_eq(logread_next(r, &l), 0);
	logread_free(r);
	free(big);
}
END_TEST

START_TEST(tail_counts_back_across_zstd_and_plain_files_by_priority)
{
	static long	 got[1000];
	struct logread	*r;
	size_t		 n, i;

	write_lines(archive(99, ".log"), 0, 100);
	write_zst(archive(199, ".log.zst"), 100, 200);
	write_lines("current.log", 200, 210);
	write_bytes("current.log", "2025-11-22T12:10:00.000000Z info [7] partial", 44);
	for (n = 0; n < 3; n++) {
		static const long	want[] = { 205, 150, 0 };
		static const uint64_t	ask[] = { 5, 60, 1000 };

		r = reader(INT64_MIN, INT64_MAX, 7, 0);
		ck_assert_int_eq(logread_tail(r, ask[n]), 0);
		check_range(got, collect(r, got, 1000), want[n], 210);
		logread_free(r);
	}
	/* err and worse: i % 8 <= 3, four lines of every eight. */
	r = reader(INT64_MIN, INT64_MAX, 3, 0);
	ck_assert_int_eq(logread_tail(r, 30), 0);
	n = collect(r, got, 1000);
	ck_assert_uint_eq(n, 30);
	for (i = 0; i < n; i++)
		ck_assert_int_le(got[i] % 8, 3);
	ck_assert_int_eq(got[n - 1], 209);
	ck_assert_int_eq(got[0], 152);
	logread_free(r);
	/* n = 0: nothing now. */
	r = reader(INT64_MIN, INT64_MAX, 7, 0);
	ck_assert_int_eq(logread_tail(r, 0), 0);
	ck_assert_uint_eq(collect(r, got, 1000), 0);
	logread_free(r);
}
END_TEST

START_TEST(follows_across_rotations_a_replacement_and_a_missing_file)
{
	static long		 got[1000];
	struct logread		*r;
	struct logread_line	 l;
	struct stat		 st;
	char			 a1[64], a2[64];
	int			 fd;

	write_lines("current.log", 0, 10);
	r = reader(INT64_MIN, INT64_MAX, 7, 1);
	ck_assert_int_eq(logread_tail(r, 3), 0);
	check_range(got, collect(r, got, 1000), 7, 10);
	/* A partial line waits for its newline. */
	write_bytes("current.log", "2025-11-22T12:00:10.000000Z info [7] m1", 39);
	ck_assert_uint_eq(collect(r, got, 1000), 0);
	write_bytes("current.log", "0\n", 2);
	check_range(got, collect(r, got, 1000), 10, 11);
	/* A rotation: the old file's last lines, then the new file from its start. */
	write_lines("current.log", 11, 15);
	snprintf(a1, sizeof(a1), "%s", archive(14, ".log"));
	ck_assert_int_eq(rename(path_of("current.log"), path_of(a1)), 0);
	ck_assert_uint_eq(collect(r, got, 1000), 4);	/* briefly missing: the old one's end */
	check_range(got, 4, 11, 15);
	ck_assert_uint_eq(collect(r, got, 1000), 0);
	write_lines("current.log", 15, 20);
	check_range(got, collect(r, got, 1000), 15, 20);
	/* Two rotations before the reader looks, the first archive compressed and gone. */
	write_lines("current.log", 20, 25);
	snprintf(a2, sizeof(a2), "%s", archive(24, ".log"));
	ck_assert_int_eq(rename(path_of("current.log"), path_of(a2)), 0);
	write_lines("current.log", 25, 30);
	ck_assert_int_eq(rename(path_of("current.log"), path_of(archive(29, ".log"))), 0);
	write_zst(archive(24, ".log.zst"), 20, 25);
	ck_assert_int_eq(unlink(path_of(a2)), 0);
	write_lines("current.log", 30, 35);
	check_range(got, collect(r, got, 1000), 20, 35);
	ck_assert_int_eq(logread_check(r), 0);
	/* Replaced by a rename over it: the new file from its start, nothing between. */
	write_lines("new.tmp", 35, 40);
	ck_assert_int_eq(rename(path_of("new.tmp"), path_of("current.log")), 0);
	check_range(got, collect(r, got, 1000), 35, 40);
	/* logd cuts away a partial line it could not finish (a full disk), then writes it. */
	ck_assert_int_eq(stat(path_of("current.log"), &st), 0);
	write_bytes("current.log", "2025-11-22T12:00:40.000000Z emerg [7] m", 39);
	ck_assert_uint_eq(collect(r, got, 1000), 0);
	ck_assert_int_eq(truncate(path_of("current.log"), st.st_size), 0);
	ck_assert_uint_eq(collect(r, got, 1000), 0);
	write_lines("current.log", 40, 42);
	check_range(got, collect(r, got, 1000), 40, 42);
	/* ... even when the reader looks only after the line is there again. */
	ck_assert_int_eq(stat(path_of("current.log"), &st), 0);
	write_bytes("current.log", "2025-11-22T12:00:42.000000Z crit [7] m", 38);
	ck_assert_uint_eq(collect(r, got, 1000), 0);
	ck_assert_int_eq(truncate(path_of("current.log"), st.st_size), 0);
	write_lines("current.log", 42, 43);
	check_range(got, collect(r, got, 1000), 42, 43);
	/* Truncated by someone else: read again from the start, and said so. */
	fd = open(path_of("current.log"), O_WRONLY | O_TRUNC);
	close(fd);
	write_lines("current.log", 43, 44);
	ck_assert_int_eq(logread_next(r, &l), -ESTALE);
	check_range(got, collect(r, got, 1000), 43, 44);
	logread_free(r);
}
END_TEST

/* logd's rotation: a new file swapped in for current.log in one step; the old one at the swap name. */
static void
swap_in(void)
{
	int	fd = open(path_of(".current.log.swap"), O_WRONLY | O_CREAT | O_EXCL, 0640);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(renameat2(AT_FDCWD, path_of("current.log"), AT_FDCWD,
	    path_of(".current.log.swap"), RENAME_EXCHANGE), 0);
}

/* ... and then named. */
static void
name_swapped(const char *name)
{
	ck_assert_int_eq(rename(path_of(".current.log.swap"), path_of(name)), 0);
}

START_TEST(follows_rotation_by_exchange_and_waits_for_the_name)
{
	static long	 got[1000];
	struct logread	*r;
	char		 a11[64];

	write_lines("current.log", 0, 5);
	r = reader(INT64_MIN, INT64_MAX, 7, 1);
	ck_assert_int_eq(logread_tail(r, 100), 0);
	check_range(got, collect(r, got, 1000), 0, 5);
	/* Half done: the old file read to its end, then a wait for its name. */
	write_lines("current.log", 5, 8);
	swap_in();
	write_lines("current.log", 8, 10);
	check_range(got, collect(r, got, 1000), 5, 8);
	ck_assert_uint_eq(collect(r, got, 1000), 0);
	name_swapped(archive(7, ".log"));
	check_range(got, collect(r, got, 1000), 8, 10);
	/* Two before it looks, the second half done; the first compressed meanwhile. */
	write_lines("current.log", 10, 12);
	swap_in();
	snprintf(a11, sizeof(a11), "%s", archive(11, ".log"));
	name_swapped(a11);
	write_lines("current.log", 12, 14);
	swap_in();
	write_lines("current.log", 14, 16);
	check_range(got, collect(r, got, 1000), 10, 12);
	write_zst(archive(11, ".log.zst"), 8, 12);
	ck_assert_int_eq(unlink(path_of(a11)), 0);
	name_swapped(archive(13, ".log"));
	check_range(got, collect(r, got, 1000), 12, 16);
	/* No file read twice at the next rotations. */
	write_lines("current.log", 16, 18);
	swap_in();
	name_swapped(archive(17, ".log"));
	write_lines("current.log", 18, 20);
	check_range(got, collect(r, got, 1000), 16, 20);
	/* A name that does not come (logd could not rename): on after a second. */
	write_lines("current.log", 20, 22);
	swap_in();
	write_lines("current.log", 22, 24);
	check_range(got, collect(r, got, 1000), 20, 22);
	usleep(1100 * 1000);
	check_range(got, collect(r, got, 1000), 22, 24);
	/* Named at logd's next rotation: not read again. */
	name_swapped(archive(21, ".log"));
	write_lines("current.log", 24, 26);
	swap_in();
	name_swapped(archive(25, ".log"));
	write_lines("current.log", 26, 28);
	check_range(got, collect(r, got, 1000), 24, 28);
	ck_assert_int_eq(logread_check(r), 0);
	logread_free(r);
}
END_TEST

static Suite *
logread_suite(void)
{
	Suite	*s = suite_create("logread");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, reads_archives_plain_and_zstd_then_current_in_order);
	tcase_add_test(tc, prefers_the_plain_archive_while_it_is_being_compressed);
	tcase_add_test(tc, reports_an_archive_removed_before_its_turn_and_goes_on);
	tcase_add_test(tc, says_a_corrupt_zst_archive_is_one);
	tcase_add_test(tc, seeks_by_time_and_reads_little_more_than_the_range);
	tcase_add_test(tc, seeks_past_lines_without_a_time_and_long_lines);
	tcase_add_test(tc, cuts_a_line_longer_than_the_bound_and_says_so);
	tcase_add_test(tc, tail_counts_back_across_zstd_and_plain_files_by_priority);
	tcase_add_test(tc, follows_across_rotations_a_replacement_and_a_missing_file);
	tcase_add_test(tc, follows_rotation_by_exchange_and_waits_for_the_name);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(logread_suite());
}
