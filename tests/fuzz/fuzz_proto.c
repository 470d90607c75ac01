/*
 * fuzz_proto.c - fuzz target for the datagram decoder.
 *
 * With libFuzzer (clang -fsanitize=fuzzer, see meson.build here) it is an
 * ordinary LLVMFuzzerTestOneInput target.  Built without it, main() runs a
 * deterministic mutation loop over valid seed datagrams, so the suite
 * exercises the decoder on hostile bytes on every run (also under ASan).
 *
 * Checked for every input: proto_validate's record count equals the records
 * proto_decode walks; every decoded pointer lies inside the input; a decoded
 * record re-encodes and decodes to the same fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do {							\
		if (!(c)) {						\
			fprintf(stderr, "fuzz_proto: %s:%d: %s\n",	\
			    __FILE__, __LINE__, #c);			\
			abort();					\
		}							\
	} while (0)

static int
inside(const void *p, size_t len, const uint8_t *data, size_t size)
{
	const uint8_t	*b = p;

	return len == 0 || (b >= data && b <= data + size && len <= (size_t)(data + size - b));
}

/* memcmp() of len bytes, where an empty field may be NULL (memcmp's arguments may not be). */
static int
same_bytes(const void *a, const void *b, size_t len)
{
	return len == 0 || memcmp(a, b, len) == 0;
}

static void
same_record(const struct proto_record *a, const struct proto_record *b)
{
	REQUIRE(a->priority == b->priority && a->flags == b->flags);
	REQUIRE(a->name_len == b->name_len && same_bytes(a->name, b->name, a->name_len));
	REQUIRE(a->ts_ns == b->ts_ns && a->line == b->line && a->dropped == b->dropped);
	REQUIRE(a->file_len == b->file_len && same_bytes(a->file, b->file, a->file_len));
	REQUIRE(a->func_len == b->func_len && same_bytes(a->func, b->func, a->func_len));
	REQUIRE(a->msg_len == b->msg_len && same_bytes(a->msg, b->msg, a->msg_len));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 again[PROTO_MAX_DGRAM];
	struct proto_record	 r, r2;
	ssize_t			 n, k, walked = 0;
	size_t			 off = PROTO_HDR_SIZE, off2, kvoff, kl, vl;
	const char		*key, *val;

	if ((n = proto_validate(data, size)) < 0) {
		REQUIRE(-n > PROTO_OK && -n < PROTO_E_COUNT);
		return 0;
	}
	REQUIRE(n >= 1);
	while (off < size) {
		REQUIRE(proto_decode(data, size, &off, &r) == 0);
		walked++;
		REQUIRE(proto_name_valid(r.name, r.name_len) == 0 && r.priority <= 7);
		REQUIRE(inside(r.name, r.name_len, data, size));
		REQUIRE(inside(r.file, r.file_len, data, size));
		REQUIRE(inside(r.func, r.func_len, data, size));
		REQUIRE(inside(r.kv, r.kv_len, data, size));
		REQUIRE(inside(r.msg, r.msg_len, data, size));
		kvoff = 0;
		while (proto_kv_next(&r, &kvoff, &key, &kl, &val, &vl) == 1) {
			REQUIRE(inside(key, kl, data, size) && inside(val, vl, data, size));
			REQUIRE(kl >= 1 && kl <= PROTO_MAX_KEY);
		}
		/* Re-encode what the encoder accepts (it cuts nothing: caller names <= 255). */
		if (r.file_len > PROTO_MAX_CALLER || r.func_len > PROTO_MAX_CALLER)
			continue;
		r.kv = NULL;
		r.kv_len = 0;
		REQUIRE(proto_encode_header(again, sizeof(again)) == PROTO_HDR_SIZE);
		k = proto_encode_record(again + PROTO_HDR_SIZE, sizeof(again) - PROTO_HDR_SIZE, &r);
		REQUIRE(k > 0);
		REQUIRE(proto_validate(again, PROTO_HDR_SIZE + (size_t)k) == 1);
		off2 = PROTO_HDR_SIZE;
		REQUIRE(proto_decode(again, PROTO_HDR_SIZE + (size_t)k, &off2, &r2) == 0);
		same_record(&r, &r2);
	}
	REQUIRE(off == size && walked == n);
	return 0;
}

#ifndef LOGD_LIBFUZZER
/* A small, fast PRNG (xorshift64*), seeded: every run tests the same inputs. */
static uint64_t	rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

static size_t
seed(uint8_t *buf, int which)
{
	struct proto_record	r;
	uint8_t			kv[64];
	size_t			len = PROTO_HDR_SIZE;
	ssize_t			k;
	int			i;

	proto_encode_header(buf, PROTO_MAX_DGRAM);
	for (i = 0; i <= which % 4; i++) {
		memset(&r, 0, sizeof(r));
		r.priority = (uint8_t)(i + which) % 8;
		r.name = "stream.name_1";
		r.name_len = 3 + (size_t)(which % 10);
		r.ts_ns = 1763812800123456789ull;
		r.msg = (const uint8_t *)"a message\n with \\ bytes";
		r.msg_len = 24;
		if (which & 1) {
			r.file = "src/file.c";
			r.file_len = 10;
			r.line = 77;
			r.func = "fn";
			r.func_len = 2;
		}
		if (which & 2) {
			r.dropped = 5;
			r.kv = kv;
			r.kv_len = (size_t)proto_encode_kv(kv, sizeof(kv), "k", 1, "v=1", 3);
		}
		k = proto_encode_record(buf + len, PROTO_MAX_DGRAM - len, &r);
		if (k < 0)
			abort();
		len += (size_t)k;
	}
	return len;
}

int
main(int argc, char *argv[])
{
	static uint8_t	buf[PROTO_MAX_DGRAM + 64];
	long		iters = argc > 1 ? atol(argv[1]) : 2000000, i;
	size_t		len, j, nmut;

	for (i = 0; i < iters; i++) {
		len = seed(buf, (int)(i % 16));
		nmut = 1 + rnd(4);
		for (j = 0; j < nmut; j++) {
			switch (rnd(5)) {
			case 0:		/* flip a bit */
				buf[rnd((uint32_t)len)] ^= (uint8_t)(1u << rnd(8));
				break;
			case 1:		/* a random byte */
				buf[rnd((uint32_t)len)] = (uint8_t)rnd(256);
				break;
			case 2:		/* truncate */
				len = rnd((uint32_t)len + 1);
				break;
			case 3:		/* tweak a length-looking byte */
				buf[rnd((uint32_t)len) & ~3u] += (uint8_t)(rnd(7) - 3);
				break;
			default:	/* append junk */
				for (nmut = rnd(16); nmut > 0 && len < sizeof(buf); nmut--)
					buf[len++] = (uint8_t)rnd(256);
				break;
			}
			if (len == 0)
				break;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_proto: %ld mutated datagrams decoded without a fault\n", iters);
	return 0;
}
#endif
