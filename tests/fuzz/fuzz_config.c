/*
 * fuzz_config.c - fuzz target for the logd.conf parser: the input is a
 * whole file, read from memory (fmemopen) by config_load_file(), then
 * checked with config_check() and copied with config_dup() as SIGHUP does.
 *
 * A libFuzzer target; without libFuzzer driver.c replays corpus/config/
 * and mutates it (see driver.h).  The parser's messages ("fuzz.conf:3:
 * ...") go to /dev/null: stdio's stderr is pointed there once, while
 * REQUIRE and the sanitizers still write to fd 2.
 *
 * Checked for every input: the value parsers (sizes, durations, listen
 * addresses) of its first line stay in their buffers; loading reads the whole file and counts its
 * errors; every [stream NAME] section has a valid, NUL-terminated name
 * and config_stream() finds it; the paths are NUL-terminated; after a
 * config_check() that passes every stream's queue share lies between
 * batch_bytes and queue_max_bytes; a copy is the same bytes and SIGHUP's
 * config_keep_restart() takes it back to the defaults' restart keys; ASan
 * (LeakSanitizer) sees nothing leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "driver.h"

static void
check_stream(const struct config *cfg, const struct stream_config *sc)
{
	REQUIRE(sc->stream_queue_max_bytes >= cfg->batch_bytes);
	REQUIRE(sc->stream_queue_max_bytes <= cfg->queue_max_bytes);
	REQUIRE(sc->format == CONFIG_FORMAT_TEXT || sc->format == CONFIG_FORMAT_JSON);
	REQUIRE(sc->overflow == CONFIG_OVERFLOW_BLOCK || sc->overflow == CONFIG_OVERFLOW_DROP);
}

/* The value parsers on the first line of the input, as one value. */
static void
check_values(const uint8_t *data, size_t size)
{
	char		s[256], addr[CONFIG_MAX_LISTEN + 1];
	const char	*nl = memchr(data, '\n', size);
	size_t		len = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	uint64_t	v;
	uint16_t	port = 0;

	if (len >= sizeof(s))
		len = sizeof(s) - 1;
	memcpy(s, data, len);
	s[len] = '\0';
	(void)config_parse_size(s, &v);
	(void)config_parse_duration_ms(s, &v);
	memset(addr, 'x', sizeof(addr));
	if (config_parse_listen(s, addr, &port) == 0)
		REQUIRE(port >= 1 && memchr(addr, '\0', CONFIG_MAX_LISTEN) != NULL);
	REQUIRE(addr[CONFIG_MAX_LISTEN] == 'x');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config	 cfg, defaults;
	static FILE		*devnull;
	struct config		*copy;
	struct config_section	*sec;
	char			 err[1024], changed[1024];
	FILE			*f;
	uint32_t		 i;
	int			 nerrors = -1, rc;

	if (devnull == NULL) {
		if ((devnull = fopen("/dev/null", "w")) == NULL)
			abort();
		stderr = devnull;	/* glibc's stderr is a variable */
		config_defaults(&defaults);
	}
	check_values(data, size);
	/* fmemopen() of 0 bytes fails with EINVAL: an empty file is the defaults. */
	if ((f = fmemopen(size > 0 ? (void *)(uintptr_t)data : "", size > 0 ? size : 1, "r")) ==
	    NULL)
		abort();
	config_defaults(&cfg);
	rc = config_load_file(&cfg, f, "fuzz.conf", &nerrors);
	REQUIRE(rc == 0 && nerrors >= 0);
	REQUIRE(feof(f) || size == 0);
	fclose(f);

	REQUIRE(memchr(cfg.socket_path, '\0', sizeof(cfg.socket_path)) != NULL);
	REQUIRE(memchr(cfg.log_dir, '\0', sizeof(cfg.log_dir)) != NULL);
	REQUIRE(memchr(cfg.control_path, '\0', sizeof(cfg.control_path)) != NULL);
	REQUIRE(memchr(cfg.metrics_listen, '\0', sizeof(cfg.metrics_listen)) != NULL);
	REQUIRE(cfg.nsections <= CONFIG_MAX_SECTIONS);
	for (i = 0; i < cfg.nsections; i++) {
		sec = &cfg.sections[i];
		REQUIRE(memchr(sec->name, '\0', sizeof(sec->name)) != NULL);
		REQUIRE(proto_name_valid(sec->name, strlen(sec->name)) == 0);
		REQUIRE(config_stream(&cfg, sec->name, strlen(sec->name)) == &sec->sc);
	}

	err[0] = '\0';
	if (config_check(&cfg, err, sizeof(err)) == 0) {
		REQUIRE(cfg.batch_bytes <= cfg.queue_max_bytes / 4);
		check_stream(&cfg, &cfg.defaults);
		for (i = 0; i < cfg.nsections; i++)
			check_stream(&cfg, &cfg.sections[i].sc);
	} else {
		REQUIRE(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
	}

	/* SIGHUP: the new config is copied, and keeps the running one's restart keys. */
	if ((copy = config_dup(&cfg)) == NULL)
		abort();
	REQUIRE(memcmp(copy, &cfg, sizeof(cfg)) == 0);
	(void)config_keep_restart(copy, &defaults, changed, sizeof(changed));
	REQUIRE(memchr(changed, '\0', sizeof(changed)) != NULL);
	REQUIRE(config_keep_restart(copy, &defaults, changed, sizeof(changed)) == 0);
	free(copy);
	return 0;
}
