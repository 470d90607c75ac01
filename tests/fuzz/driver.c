/*
 * driver.c - the fuzz targets' shared main() when there is no libFuzzer
 * (see driver.h): replay a corpus directory, then mutate it with a seeded
 * generator.
 *
 * Every input is handed over in a buffer of exactly its size, so ASan sees
 * a read one byte past the end.  The mutations are libFuzzer's simplest
 * (bit flips, bytes, cuts, inserts, copies, splices) and bytes the parsers
 * give meaning to (quotes, escapes, brackets, UTF-8 lead bytes, length-like
 * values): no coverage, but the same inputs on every run.
 */
#include "driver.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
fuzz_fail(const char *file, int line, const char *what)
{
	/* Straight to fd 2: a target may point stdio's stderr elsewhere. */
	dprintf(STDERR_FILENO, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

#ifndef LOGD_LIBFUZZER
#define FUZZ_MAX_INPUT	(65536 + 64)	/* a datagram and then some */
#define FUZZ_MAX_SEEDS	256

struct seed {
	char	*name;
	uint8_t	*data;
	size_t	 len;
};

/* xorshift64*, seeded: every run makes the same inputs. */
static uint64_t	rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return n == 0 ? 0 : (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

static int
read_file(const char *path, struct seed *s)
{
	FILE	*f;
	long	 len;
	int	 rc = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return -errno;
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		rc = -errno;
		goto out;
	}
	if (len > FUZZ_MAX_INPUT) {
		rc = -EFBIG;
		goto out;
	}
	s->len = (size_t)len;
	if ((s->data = malloc(s->len + 1)) == NULL || (s->name = strdup(path)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (fread(s->data, 1, s->len, f) != s->len)
		rc = -EIO;
out:
	fclose(f);
	return rc;
}

/* Runs data in a buffer of exactly len bytes. */
static void
run_one(const uint8_t *data, size_t len)
{
	uint8_t	*copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	if (len > 0)
		memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct seed *)a)->name, ((const struct seed *)b)->name);
}

/* Every regular file in dir, sorted by name (readdir()'s order is not stable). */
static int
load_dir(const char *dir, struct seed *seeds, size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	char		 path[4096];
	int		 rc = 0, len;

	if ((d = opendir(dir)) == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		len = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (len < 0 || (size_t)len >= sizeof(path) || stat(path, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (*n == FUZZ_MAX_SEEDS) {
			rc = -E2BIG;
			break;
		}
		if ((rc = read_file(path, &seeds[*n])) < 0) {
			fprintf(stderr, "%s: %s\n", path, strerror(-rc));
			break;
		}
		(*n)++;
	}
	closedir(d);
	qsort(seeds, *n, sizeof(*seeds), by_name);
	return rc;
}

/* Bytes some parser gives a meaning to. */
static const uint8_t	special[] = "\\\"'\n\r\t =:;#[]{}+-.,@0123456789xunTZKMGs"
    "\x00\x01\x1f\x7f\x80\xbf\xc2\xc3\xe0\xed\xef\xf0\xf4\xff";

/* Changes buf[0..*len) in one of a dozen ways, never past FUZZ_MAX_INPUT. */
static void
mutate(uint8_t *buf, size_t *len, const struct seed *seeds, size_t nseeds)
{
	const struct seed	*o;
	size_t			 at = rnd((uint32_t)*len + 1), from, n;
	uint16_t		 v;

	switch (rnd(11)) {
	case 0:		/* flip a bit */
		if (at < *len)
			buf[at] ^= (uint8_t)(1u << rnd(8));
		break;
	case 1:		/* any byte */
		if (at < *len)
			buf[at] = (uint8_t)rnd(256);
		break;
	case 2:		/* a special byte */
		if (at < *len)
			buf[at] = special[rnd(sizeof(special) - 1)];
		break;
	case 3:		/* a special byte inserted */
		if (*len < FUZZ_MAX_INPUT) {
			memmove(buf + at + 1, buf + at, *len - at);
			buf[at] = special[rnd(sizeof(special) - 1)];
			(*len)++;
		}
		break;
	case 4:		/* cut short */
		*len = at;
		break;
	case 5:		/* a few bytes deleted */
		n = rnd(8) + 1;
		if (at + n <= *len) {
			memmove(buf + at, buf + at + n, *len - at - n);
			*len -= n;
		}
		break;
	case 6:		/* a length-looking byte nudged */
		if (at < *len)
			buf[at] = (uint8_t)(buf[at] + rnd(9) - 4);
		break;
	case 7:		/* a little-endian u16 set to an edge */
		if (at + 2 <= *len) {
			static const uint16_t	edges[] = { 0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100,
			    0x7fff, 0x8000, 0xfffe, 0xffff };

			v = edges[rnd(sizeof(edges) / sizeof(edges[0]))];
			buf[at] = (uint8_t)v;
			buf[at + 1] = (uint8_t)(v >> 8);
		}
		break;
	case 8:		/* a piece of the input copied in (repeats, long lines) */
		n = rnd(64) + 1;
		from = rnd((uint32_t)*len + 1);
		if (from + n <= *len && *len + n <= FUZZ_MAX_INPUT) {
			memmove(buf + at + n, buf + at, *len - at);
			memmove(buf + at, buf + (from >= at ? from + n : from), n);
			*len += n;
		}
		break;
	case 9:		/* a piece of another seed inserted */
		o = &seeds[rnd((uint32_t)nseeds)];
		from = rnd((uint32_t)o->len + 1);
		n = rnd((uint32_t)(o->len - from) + 1);
		if (*len + n <= FUZZ_MAX_INPUT) {
			memmove(buf + at + n, buf + at, *len - at);
			memcpy(buf + at, o->data + from, n);
			*len += n;
		}
		break;
	default:	/* a run of the same byte (long values, deep nesting) */
		n = rnd(256) + 1;
		if (*len + n <= FUZZ_MAX_INPUT) {
			memmove(buf + at + n, buf + at, *len - at);
			memset(buf + at, special[rnd(sizeof(special) - 1)], n);
			*len += n;
		}
		break;
	}
}

int
main(int argc, char *argv[])
{
	static struct seed	 seeds[FUZZ_MAX_SEEDS];
	static uint8_t		 buf[FUZZ_MAX_INPUT];
	struct stat		 st;
	size_t			 nseeds = 0, len, i, k, edits;
	long			 iters;
	int			 rc, a;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS] | FILE...\n", argv[0]);
		return 2;
	}
	if (stat(argv[1], &st) == 0 && S_ISREG(st.st_mode)) {
		for (a = 1; a < argc; a++) {
			if ((rc = read_file(argv[a], &seeds[0])) < 0) {
				fprintf(stderr, "%s: %s\n", argv[a], strerror(-rc));
				return 1;
			}
			run_one(seeds[0].data, seeds[0].len);
			printf("%s: ok\n", argv[a]);
			free(seeds[0].data);
			free(seeds[0].name);
		}
		return 0;
	}
	if ((rc = load_dir(argv[1], seeds, &nseeds)) < 0 || nseeds == 0) {
		fprintf(stderr, "%s: %s\n", argv[1], rc < 0 ? strerror(-rc) : "no inputs");
		return 1;
	}
	iters = argc > 2 ? atol(argv[2]) : 100000;
	for (i = 0; i < nseeds; i++)
		run_one(seeds[i].data, seeds[i].len);
	printf("%s: %zu corpus inputs replayed\n", argv[0], nseeds);
	for (i = 0; i < (size_t)iters; i++) {
		const struct seed	*s = &seeds[i % nseeds];

		memcpy(buf, s->data, s->len);
		len = s->len;
		for (edits = 1 + rnd(4), k = 0; k < edits; k++)
			mutate(buf, &len, seeds, nseeds);
		run_one(buf, len);
	}
	printf("%s: %ld mutated inputs without a fault\n", argv[0], iters);
	for (i = 0; i < nseeds; i++) {
		free(seeds[i].data);
		free(seeds[i].name);
	}
	return 0;
}
#endif
