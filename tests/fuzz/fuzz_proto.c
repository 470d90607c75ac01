/*
 * fuzz_proto.c - fuzz target for the datagram decoder.
 *
 * A libFuzzer target; without libFuzzer driver.c replays corpus/proto/ and
 * mutates it (see driver.h), so the suite exercises the decoder on hostile
 * bytes on every run (also under ASan).
 *
 * Checked for every input: proto_validate's record count equals the records
 * proto_decode walks, and proto_validate_first's first record (and the offset
 * after it) are what proto_decode gives; every decoded pointer lies inside
 * the input; a decoded record re-encodes and decodes to the same fields;
 * proto_peek_name's name, on any input, lies inside it, and on a valid one
 * is the first record's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "proto.h"

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
	REQUIRE(a->tag_len == b->tag_len && same_bytes(a->tag, b->tag, a->tag_len));
	REQUIRE(a->msg_len == b->msg_len && same_bytes(a->msg, b->msg, a->msg_len));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 again[PROTO_MAX_DGRAM];
	struct proto_record	 r, r2, first;
	ssize_t			 n, k, walked = 0;
	size_t			 off = PROTO_HDR_SIZE, off2, kvoff, kl, vl, next = 0;
	const char		*key, *val, *peeked;
	size_t			 peeked_len;

	proto_peek_name(data, size, &peeked, &peeked_len);
	REQUIRE(peeked_len == 0 || inside(peeked, peeked_len, data, size));
	if ((n = proto_validate(data, size)) < 0) {
		REQUIRE(-n > PROTO_OK && -n < PROTO_E_COUNT);
		return 0;
	}
	REQUIRE(n >= 1);
	REQUIRE(proto_validate_first(data, size, &first, &next) == n);
	REQUIRE(peeked_len == first.name_len && peeked == first.name);
	while (off < size) {
		REQUIRE(proto_decode(data, size, &off, &r) == 0);
		if (walked++ == 0) {
			REQUIRE(next == off && first.kv == r.kv && first.kv_len == r.kv_len);
			same_record(&first, &r);
		}
		REQUIRE(proto_name_valid(r.name, r.name_len) == 0 && r.priority <= 7);
		REQUIRE(inside(r.name, r.name_len, data, size));
		REQUIRE(inside(r.file, r.file_len, data, size));
		REQUIRE(inside(r.func, r.func_len, data, size));
		REQUIRE(inside(r.tag, r.tag_len, data, size));
		REQUIRE(r.tag_len == 0 || proto_tag_valid(r.tag, r.tag_len) == 0);
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
