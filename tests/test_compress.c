/* test_compress.c - the compressor thread: clean-up first, archives in turn, a bounded backlog. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "unit.h"

static char	dir[] = "/tmp/test_compress.XXXXXX";
static int	dfd = -1;

static void
put(const char *path, const char *text)
{
	int	fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
exists(const char *path)
{
	return faccessat(dfd, path, F_OK, 0) == 0;
}

/* Waits up to 10 s for path to exist (the compressor works on its own thread). */
static int
appears(const char *path)
{
	int	i;

	for (i = 0; i < 1000 && !exists(path); i++)
		poll(NULL, 0, 10);
	return exists(path);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(dfd = open(dir, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(mkdirat(dfd, "s", 0755), 0);
}

static void
teardown(void)
{
	char	cmd[128];

	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

START_TEST(cleans_up_then_compresses_what_it_is_handed)
{
	struct config		 cfg;
	struct stats		 st;
	struct compressor	*c;

	memset(&st, 0, sizeof(st));
	config_defaults(&cfg);
	cfg.defaults.compress = CONFIG_COMPRESS_ZSTD;
	put("s/2026-01-01T00:00:00.000001Z.log", "left by a crash\n");
	put("s/2026-01-01T00:00:00.000001Z.log.zst.tmp", "half");
	put("s/2026-01-01T00:00:00.000002Z.log", "rotated now\n");
	ck_assert_int_eq(compressor_new(dfd, &cfg, &st, &c), 0);
	/* Before the thread runs, it only takes the archive. */
	ck_assert_int_eq(compressor_add(c, "s", "2026-01-01T00:00:00.000002Z.log", 3), 0);
	ck_assert_int_eq(exists("s/2026-01-01T00:00:00.000002Z.log"), 1);
	ck_assert_int_eq(compressor_start(c), 0);
	ck_assert_int_eq(appears("s/2026-01-01T00:00:00.000001Z.log.zst"), 1);
	ck_assert_int_eq(appears("s/2026-01-01T00:00:00.000002Z.log.zst"), 1);
	compressor_free(c);
	ck_assert_int_eq(exists("s/2026-01-01T00:00:00.000001Z.log"), 0);
	ck_assert_int_eq(exists("s/2026-01-01T00:00:00.000001Z.log.zst.tmp"), 0);
	ck_assert_int_eq(exists("s/2026-01-01T00:00:00.000002Z.log"), 0);
	/* Two: the crash's, and the handed one (by the clean-up or as handed, whichever first). */
	ck_assert_uint_eq(stats_get(&st, STATS_ARCHIVES_COMPRESSED), 2);
}
END_TEST

START_TEST(its_backlog_is_bounded)
{
	struct config		 cfg;
	struct stats		 st;
	struct compressor	*c;

	memset(&st, 0, sizeof(st));
	config_defaults(&cfg);
	cfg.compress_backlog = 2;
	ck_assert_int_eq(compressor_new(dfd, &cfg, &st, &c), 0);
	ck_assert_int_eq(compressor_add(c, "s", "a.log", 3), 0);
	ck_assert_int_eq(compressor_add(c, "s", "b.log", 3), 0);
	ck_assert_int_eq(compressor_add(c, "s", "c.log", 3), -ENOSPC);
	compressor_free(c);	/* never started: freed all the same */
}
END_TEST

static Suite *
compress_suite(void)
{
	Suite	*s = suite_create("compress");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cleans_up_then_compresses_what_it_is_handed);
	tcase_add_test(tc, its_backlog_is_bounded);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(compress_suite());
}
