/* test_proto.c - the wire format: round trips, every malformation, names, encoder limits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "unit.h"

static uint8_t	dg[PROTO_MAX_DGRAM + 16];

static struct proto_record
rec_of(const char *name, const void *msg, size_t len)
{
	struct proto_record	r;

	memset(&r, 0, sizeof(r));
	r.priority = 6;
	r.name = name;
	r.name_len = strlen(name);
	r.msg = msg;
	r.msg_len = len;
	return r;
}

/* A datagram of the given records; returns its length. */
static size_t
build(const struct proto_record *recs, int n)
{
	size_t	len;
	ssize_t	k;
	int	i;

	ck_assert_int_eq(proto_encode_header(dg, sizeof(dg)), PROTO_HDR_SIZE);
	len = PROTO_HDR_SIZE;
	for (i = 0; i < n; i++) {
		k = proto_encode_record(dg + len, sizeof(dg) - len, &recs[i]);
		ck_assert_int_gt(k, 0);
		len += (size_t)k;
	}
	return len;
}

START_TEST(round_trips_every_field)
{
	struct proto_record	r = rec_of("web-1", "hello\0world", 11), d;
	uint8_t			kv[128];
	ssize_t			k1, k2;
	size_t			len, off = PROTO_HDR_SIZE, kvoff = 0, kl, vl;
	const char		*key, *val;

	k1 = proto_encode_kv(kv, sizeof(kv), "user_id", 7, "42", 2);
	ck_assert_int_gt(k1, 0);
	k2 = proto_encode_kv(kv + k1, sizeof(kv) - (size_t)k1, "path", 4, "/a=b", 4);
	ck_assert_int_gt(k2, 0);
	r.priority = 3;
	r.flags = PROTO_REC_MORE;
	r.ts_ns = 1763812800123456789ull;
	r.file = "src/main.c";
	r.file_len = 10;
	r.line = 123;
	r.func = "main";
	r.func_len = 4;
	r.dropped = 99;
	r.tag = "my-app.1";
	r.tag_len = 8;
	r.kv = kv;
	r.kv_len = (size_t)(k1 + k2);
	len = build(&r, 1);
	ck_assert_int_eq(proto_validate(dg, len), 1);
	ck_assert_int_eq(proto_decode(dg, len, &off, &d), 0);
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(d.priority, 3);
	ck_assert_uint_eq(d.flags, PROTO_REC_MORE);
	ck_assert_uint_eq(d.name_len, 5);
	ck_assert_int_eq(memcmp(d.name, "web-1", 5), 0);
	ck_assert_uint_eq(d.ts_ns, 1763812800123456789ull);
	ck_assert_uint_eq(d.file_len, 10);
	ck_assert_int_eq(memcmp(d.file, "src/main.c", 10), 0);
	ck_assert_uint_eq(d.line, 123);
	ck_assert_uint_eq(d.func_len, 4);
	ck_assert_int_eq(memcmp(d.func, "main", 4), 0);
	ck_assert_uint_eq(d.dropped, 99);
	ck_assert_uint_eq(d.tag_len, 8);
	ck_assert_int_eq(memcmp(d.tag, "my-app.1", 8), 0);
	ck_assert_uint_eq(d.msg_len, 11);
	ck_assert_int_eq(memcmp(d.msg, "hello\0world", 11), 0);
	ck_assert_int_eq(proto_kv_next(&d, &kvoff, &key, &kl, &val, &vl), 1);
	ck_assert_int_eq(kl == 7 && memcmp(key, "user_id", 7) == 0, 1);
	ck_assert_int_eq(vl == 2 && memcmp(val, "42", 2) == 0, 1);
	ck_assert_int_eq(proto_kv_next(&d, &kvoff, &key, &kl, &val, &vl), 1);
	ck_assert_int_eq(kl == 4 && memcmp(key, "path", 4) == 0, 1);
	ck_assert_int_eq(vl == 4 && memcmp(val, "/a=b", 4) == 0, 1);
	ck_assert_int_eq(proto_kv_next(&d, &kvoff, &key, &kl, &val, &vl), 0);
}
END_TEST

START_TEST(round_trips_several_records_and_an_empty_message)
{
	struct proto_record	r[3] = { rec_of("a", "one", 3), rec_of("b.c_d", "", 0),
				    rec_of("a", "three", 5) }, d;
	size_t			len = build(r, 3), off = PROTO_HDR_SIZE;
	int			i;

	ck_assert_int_eq(proto_validate(dg, len), 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(proto_decode(dg, len, &off, &d), 0);
		ck_assert_uint_eq(d.name_len, r[i].name_len);
		ck_assert_uint_eq(d.msg_len, r[i].msg_len);
		ck_assert_int_eq(memcmp(d.msg, r[i].msg, r[i].msg_len), 0);
		ck_assert_uint_eq(d.kv_len, 0);
		ck_assert_uint_eq(d.line, 0);
	}
	ck_assert_uint_eq(off, len);
}
END_TEST

/* What proto_validate_first() keeps is what decoding the first record gives. */
START_TEST(validate_first_keeps_the_first_record_as_decode_gives_it)
{
	struct proto_record	r[3] = { rec_of("b.c_d", "one", 3), rec_of("a", "two", 3),
				    rec_of("a", "three", 5) }, first, d;
	size_t			len = build(r, 3), off = PROTO_HDR_SIZE, next = 0;

	ck_assert_int_eq(proto_validate_first(dg, len, &first, &next), 3);
	ck_assert_int_eq(proto_decode(dg, len, &off, &d), 0);
	ck_assert_uint_eq(next, off);
	ck_assert_int_eq(memcmp(&first, &d, sizeof(d)), 0);
	/* The second record is where next says. */
	ck_assert_int_eq(proto_decode(dg, len, &next, &d), 0);
	ck_assert_int_eq(d.msg_len == 3 && memcmp(d.msg, "two", 3) == 0, 1);
	/* A bad record after it (the third's priority) still fails the datagram. */
	dg[next + 4] = 9;
	ck_assert_int_eq(proto_validate_first(dg, len, &first, &next), -PROTO_E_PRIORITY);
}
END_TEST

START_TEST(peek_name_gives_the_first_records_name_or_none_if_cut)
{
	struct proto_record	r[2] = { rec_of("b.c_d", "one", 3), rec_of("a", "two", 3) };
	size_t			len = build(r, 2), n;
	const char		*name;

	proto_peek_name(dg, len, &name, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(name, "b.c_d", 5), 0);
	/* The name cut short, or no record at all: nothing. */
	proto_peek_name(dg, PROTO_HDR_SIZE + PROTO_REC_HDR_SIZE + 4, &name, &n);
	ck_assert_uint_eq(n, 0);
	proto_peek_name(dg, PROTO_HDR_SIZE, &name, &n);
	ck_assert_uint_eq(n, 0);
	proto_peek_name(dg, 0, &name, &n);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(largest_message_fills_a_datagram_exactly)
{
	static uint8_t		msg[PROTO_MAX_DGRAM];
	struct proto_record	r = rec_of("big", msg, 0), d;
	size_t			len, off = PROTO_HDR_SIZE;

	memset(msg, 0xab, sizeof(msg));
	r.msg_len = proto_max_msg(&r);
	len = build(&r, 1);
	ck_assert_uint_eq(len, PROTO_MAX_DGRAM);
	ck_assert_int_eq(proto_validate(dg, len), 1);
	ck_assert_int_eq(proto_decode(dg, len, &off, &d), 0);
	ck_assert_uint_eq(d.msg_len, r.msg_len);
	/* One byte more does not encode. */
	r.msg_len++;
	ck_assert_int_eq(proto_encode_record(dg + PROTO_HDR_SIZE, sizeof(dg), &r), -EINVAL);
	ck_assert_int_eq(proto_validate(dg, PROTO_MAX_DGRAM + 1), -PROTO_E_TOOBIG);
}
END_TEST

/* Patches one valid record into each malformation. */
static size_t
one(const char *name, uint8_t prio)
{
	struct proto_record	r = rec_of(name, "msg", 3);

	r.priority = prio;
	return build(&r, 1);
}

static size_t
with_fields(const uint8_t *f, size_t flen)
{
	size_t	len = one("web", 6);
	uint8_t	*rec = dg + PROTO_HDR_SIZE;
	size_t	name_end = PROTO_HDR_SIZE + PROTO_REC_HDR_SIZE + 3;

	/* Insert f between the name and the message. */
	memmove(dg + name_end + flen, dg + name_end, len - name_end);
	memcpy(dg + name_end, f, flen);
	len += flen;
	rec[0] = (uint8_t)(len - PROTO_HDR_SIZE);
	rec[1] = (uint8_t)((len - PROTO_HDR_SIZE) >> 8);
	rec[16] = (uint8_t)flen;
	rec[17] = 0;
	return len;
}

START_TEST(rejects_each_malformation_with_its_reason)
{
	size_t	len;
	int	seen[PROTO_E_COUNT] = { 0 }, i;

#define EXPECT(reason, length) do {						\
		ck_assert_int_eq(proto_validate(dg, (length)), -(reason));	\
		seen[reason] = 1;						\
	} while (0)

	EXPECT(PROTO_E_SHORT, 7);
	len = one("web", 6);
	EXPECT(PROTO_E_TOOBIG, PROTO_MAX_DGRAM + 1);
	dg[0] = 'L';
	EXPECT(PROTO_E_MAGIC, len);
	len = one("web", 6);
	dg[4] = 2;
	EXPECT(PROTO_E_VERSION, len);
	len = one("web", 6);
	dg[5] = 1;
	EXPECT(PROTO_E_HDR_RESERVED, len);
	len = one("web", 6);
	dg[7] = 1;
	EXPECT(PROTO_E_HDR_RESERVED, len);
	len = one("web", 6);
	EXPECT(PROTO_E_EMPTY, PROTO_HDR_SIZE);
	EXPECT(PROTO_E_REC_TRUNC, len - 1);
	EXPECT(PROTO_E_REC_TRUNC, PROTO_HDR_SIZE + PROTO_REC_HDR_SIZE - 1);
	dg[PROTO_HDR_SIZE] = PROTO_REC_HDR_SIZE + 2;	/* shorter than header + 3-byte name */
	EXPECT(PROTO_E_REC_SHORT, len);
	len = one("web", 6);
	dg[PROTO_HDR_SIZE + 4] = 8;
	EXPECT(PROTO_E_PRIORITY, len);
	len = one("web", 6);
	dg[PROTO_HDR_SIZE + 5] = 0x04;
	EXPECT(PROTO_E_REC_FLAGS, len);
	len = one("web", 6);
	dg[PROTO_HDR_SIZE + 7] = 1;
	EXPECT(PROTO_E_REC_FLAGS, len);
	len = one("web", 6);
	dg[PROTO_HDR_SIZE + 18] = 1;
	EXPECT(PROTO_E_REC_FLAGS, len);
	len = one("web", 6);
	dg[PROTO_HDR_SIZE + PROTO_REC_HDR_SIZE + 1] = '/';
	EXPECT(PROTO_E_NAME, len);
	len = with_fields((const uint8_t *)"\x01\x09\x00" "ab", 5);
	EXPECT(PROTO_E_FIELD_TRUNC, len);
	len = with_fields((const uint8_t *)"\x01\x01", 2);
	EXPECT(PROTO_E_FIELD_TRUNC, len);
	len = with_fields((const uint8_t *)"\x00\x01\x00" "a", 4);
	EXPECT(PROTO_E_FIELD_TYPE, len);
	len = with_fields((const uint8_t *)"\x02\x02\x00" "ab", 5);
	EXPECT(PROTO_E_FIELD_SIZE, len);
	len = with_fields((const uint8_t *)"\x05\x04\x00" "abcd", 7);
	EXPECT(PROTO_E_FIELD_SIZE, len);
	len = with_fields((const uint8_t *)"\x03\x01\x00" "f" "\x03\x01\x00" "g", 8);
	EXPECT(PROTO_E_FIELD_DUP, len);
	len = with_fields((const uint8_t *)"\x04\x03\x00" "abc", 6);
	EXPECT(PROTO_E_KV, len);
	len = with_fields((const uint8_t *)"\x04\x03\x00" "=ab", 6);
	EXPECT(PROTO_E_KV, len);
	len = with_fields((const uint8_t *)"\x04\x04\x00" "a-b=", 7);
	EXPECT(PROTO_E_KV, len);
	len = with_fields((const uint8_t *)"\x06\x01\x00" "a" "\x06\x01\x00" "b", 8);
	EXPECT(PROTO_E_FIELD_DUP, len);
	len = with_fields((const uint8_t *)"\x06\x00\x00", 3);
	EXPECT(PROTO_E_TAG, len);
	len = with_fields((const uint8_t *)"\x06\x03\x00" "a b", 6);
	EXPECT(PROTO_E_TAG, len);
	len = with_fields((const uint8_t *)"\x06\x03\x00" "a:b", 6);
	EXPECT(PROTO_E_TAG, len);
	len = with_fields((const uint8_t *)"\x06\x03\x00" "a[b", 6);
	EXPECT(PROTO_E_TAG, len);
	len = with_fields((const uint8_t *)"\x06\x02\x00" "\xc3\xa9", 5);
	EXPECT(PROTO_E_TAG, len);
#undef EXPECT
	for (i = PROTO_OK + 1; i < PROTO_E_COUNT; i++)
		ck_assert_msg(seen[i], "reason %d (%s) not tested", i, proto_strerror(i));
}
END_TEST

START_TEST(rejects_whole_datagram_when_second_of_three_records_is_bad)
{
	struct proto_record	r[3] = { rec_of("a", "1", 1), rec_of("a", "2", 1),
				    rec_of("a", "3", 1) };
	size_t			len = build(r, 3);

	/* Priority of the second record. */
	dg[PROTO_HDR_SIZE + (PROTO_REC_HDR_SIZE + 2) + 4] = 9;
	ck_assert_int_eq(proto_validate(dg, len), -PROTO_E_PRIORITY);
}
END_TEST

START_TEST(skips_unknown_field_types)
{
	struct proto_record	d;
	size_t			len, off = PROTO_HDR_SIZE;

	len = with_fields((const uint8_t *)"\x63\x02\x00" "zz" "\x02\x04\x00" "\x07\x00\x00\x00", 12);
	ck_assert_int_eq(proto_validate(dg, len), 1);
	ck_assert_int_eq(proto_decode(dg, len, &off, &d), 0);
	ck_assert_uint_eq(d.line, 7);
	ck_assert_uint_eq(d.msg_len, 3);
}
END_TEST

START_TEST(validates_tags_as_syslog_takes_them)
{
	static const char *const ok[] = { "a", "my-app", "x.y_z", "a]b", "CRON", "(sd-pam)" };
	static const char *const bad[] = { "", "a b", "a:b", "a[1]", "é", "a\n", "a\x7f" };
	char	tag[PROTO_MAX_TAG + 1];
	size_t	i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(proto_tag_valid(ok[i], strlen(ok[i])) == 0, "%s", ok[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(proto_tag_valid(bad[i], strlen(bad[i])) == -PROTO_E_TAG, "%s",
		    bad[i]);
	memset(tag, 't', sizeof(tag));
	ck_assert_int_eq(proto_tag_valid(tag, PROTO_MAX_TAG), 0);
	ck_assert_int_eq(proto_tag_valid(tag, PROTO_MAX_TAG + 1), -PROTO_E_TAG);
}
END_TEST

START_TEST(validates_stream_names)
{
	static const char *const ok[] = { "a", "web-1", "a.b_c", "A9", "x..y" };
	static const char *const bad[] = { "", ".hidden", "a/b", "a b", "..", ".", "é", "a\n" };
	char	name[80];
	size_t	i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(proto_name_valid(ok[i], strlen(ok[i])) == 0, "%s", ok[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(proto_name_valid(bad[i], strlen(bad[i])) == -PROTO_E_NAME, "%s", bad[i]);
	ck_assert_int_eq(proto_name_valid("a\0b", 3), -PROTO_E_NAME);
	memset(name, 'n', sizeof(name));
	ck_assert_int_eq(proto_name_valid(name, 64), 0);
	ck_assert_int_eq(proto_name_valid(name, 65), -PROTO_E_NAME);
}
END_TEST

START_TEST(encoder_refuses_bad_records_and_small_buffers)
{
	struct proto_record	r = rec_of("web", "x", 1);
	char			big[PROTO_MAX_CALLER + 1];
	uint8_t			buf[64];

	ck_assert_int_eq(proto_encode_header(buf, 7), -ENOSPC);
	ck_assert_int_eq(proto_encode_record(buf, 10, &r), -ENOSPC);
	ck_assert_int_eq(proto_encode_record(buf, PROTO_REC_HDR_SIZE + 3, &r), -ENOSPC);
	r.priority = 8;
	ck_assert_int_eq(proto_encode_record(buf, sizeof(buf), &r), -EINVAL);
	r = rec_of("a/b", "x", 1);
	ck_assert_int_eq(proto_encode_record(buf, sizeof(buf), &r), -EINVAL);
	r = rec_of("web", "x", 1);
	r.flags = 0x80;
	ck_assert_int_eq(proto_encode_record(buf, sizeof(buf), &r), -EINVAL);
	memset(big, 'f', sizeof(big));
	r = rec_of("web", "x", 1);
	r.file = big;
	r.file_len = sizeof(big);
	ck_assert_int_eq(proto_encode_head(dg, sizeof(dg), &r), -EINVAL);
	ck_assert_int_eq(proto_encode_kv(buf, sizeof(buf), "bad key", 7, "v", 1), -EINVAL);
	ck_assert_int_eq(proto_encode_kv(buf, sizeof(buf), "", 0, "v", 1), -EINVAL);
	ck_assert_int_eq(proto_encode_kv(buf, 5, "key", 3, "v", 1), -ENOSPC);
	ck_assert_int_eq(proto_encode_kv(buf, 7, "key", 3, "v", 1), -ENOSPC);
	r = rec_of("web", "x", 1);
	r.tag = "a b";
	r.tag_len = 3;
	ck_assert_int_eq(proto_encode_record(buf, sizeof(buf), &r), -EINVAL);
	r.tag_len = 0;
	r.kv_len = 5;		/* kv NULL: the caller sends them; not a whole record */
	ck_assert_int_eq(proto_encode_record(buf, sizeof(buf), &r), -EINVAL);
}
END_TEST

/* A sender may send the kv fields' values from where they are (liblogd's iovecs). */
START_TEST(kv_fields_sent_apart_from_the_head_decode_as_a_whole)
{
	struct proto_record	r = rec_of("web", "msg", 3), d;
	size_t			len, off = PROTO_HDR_SIZE, kvoff = 0, kl, vl;
	ssize_t			h, k;
	const char		*key, *val;

	r.kv_len = 3 + 10;	/* "user=alice" */
	h = proto_encode_head(dg + PROTO_HDR_SIZE, sizeof(dg), &r);
	ck_assert_int_eq(h, (ssize_t)(proto_head_size(&r) - r.kv_len));
	(void)proto_encode_header(dg, sizeof(dg));
	len = PROTO_HDR_SIZE + (size_t)h;
	k = proto_encode_kv_head(dg + len, sizeof(dg) - len, "user", 4, 5);
	ck_assert_int_eq(k, 3 + 4 + 1);
	ck_assert_int_eq(proto_encode_kv_head(dg + len, 7, "user", 4, 5), -ENOSPC);
	ck_assert_int_eq(proto_encode_kv_head(dg + len, 64, "us er", 5, 5), -EINVAL);
	ck_assert_int_eq(proto_encode_kv_head(dg + len, 64, "user", 4, UINT16_MAX), -EINVAL);
	len += (size_t)k;
	memcpy(dg + len, "alicemsg", 8);
	len += 8;
	ck_assert_int_eq(proto_validate(dg, len), 1);
	ck_assert_int_eq(proto_decode(dg, len, &off, &d), 0);
	ck_assert_int_eq(d.msg_len == 3 && memcmp(d.msg, "msg", 3) == 0, 1);
	ck_assert_int_eq(proto_kv_next(&d, &kvoff, &key, &kl, &val, &vl), 1);
	ck_assert_int_eq(kl == 4 && memcmp(key, "user", 4) == 0, 1);
	ck_assert_int_eq(vl == 5 && memcmp(val, "alice", 5) == 0, 1);
}
END_TEST

START_TEST(every_reason_has_its_own_description_and_key)
{
	int	i, j;

	for (i = 0; i < PROTO_E_COUNT; i++) {
		ck_assert_ptr_nonnull(proto_strerror(i));
		ck_assert_str_eq(proto_strerror(i), proto_strerror(-i));
		ck_assert_ptr_nonnull(proto_reason_key(i));
		ck_assert_str_eq(proto_reason_key(i), proto_reason_key(-i));
		/* A JSON key and a Prometheus label value as it is. */
		ck_assert_uint_eq(strspn(proto_reason_key(i), "abcdefghijklmnopqrstuvwxyz_"),
		    strlen(proto_reason_key(i)));
		for (j = 0; j < i; j++) {
			ck_assert_str_ne(proto_strerror(i), proto_strerror(j));
			ck_assert_str_ne(proto_reason_key(i), proto_reason_key(j));
		}
	}
	ck_assert_ptr_nonnull(proto_strerror(PROTO_E_COUNT + 5));
	ck_assert_str_eq(proto_reason_key(PROTO_E_REC_TRUNC), "record_truncated");
	ck_assert_str_eq(proto_reason_key(PROTO_E_COUNT + 5), "unknown");
}
END_TEST

START_TEST(one_priority_table_names_and_parses)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	char	digit[2] = "0";
	size_t	len;
	int	p;

	for (p = 0; p < 8; p++) {
		ck_assert_str_eq(proto_priority_name((unsigned)p, &len), names[p]);
		ck_assert_uint_eq(len, strlen(names[p]));
		ck_assert_int_eq(proto_priority_parse(names[p]), p);
		digit[0] = (char)('0' + p);
		ck_assert_int_eq(proto_priority_parse(digit), p);
	}
	ck_assert_str_eq(proto_priority_name(8, &len), "?");
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(proto_priority_parse("panic"), 0);
	ck_assert_int_eq(proto_priority_parse("error"), 3);
	ck_assert_int_eq(proto_priority_parse("warn"), 4);
	ck_assert_int_eq(proto_priority_parse("8"), -EINVAL);
	ck_assert_int_eq(proto_priority_parse("07"), -EINVAL);
	ck_assert_int_eq(proto_priority_parse(""), -EINVAL);
	ck_assert_int_eq(proto_priority_parse("infos"), -EINVAL);
	/* As logger(1) and systemd-cat(1) take them: in any case. */
	ck_assert_int_eq(proto_priority_parse("WARNING"), 4);
	ck_assert_int_eq(proto_priority_parse("Info"), 6);
	ck_assert_int_eq(proto_priority_parse("PANIC"), 0);
	ck_assert_int_eq(proto_priority_parse("Warn"), 4);
	ck_assert_int_eq(proto_priority_parse("INFOS"), -EINVAL);
}
END_TEST

START_TEST(utf8_sequences_are_told_from_bytes_that_are_not_utf8)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} cases[] = {
		{ "\xc3\xa9", 2 }, { "\xe2\x82\xac", 3 }, { "\xf0\x9f\x98\x80", 4 },
		{ "\xc0\xaf", 0 },		/* overlong */
		{ "\xed\xa0\x80", 0 },	/* a UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", 0 },	/* above U+10FFFF */
		{ "\xe2\x82", 0 },		/* cut short */
		{ "\xff", 0 }, { "\x80", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_uint_eq(proto_utf8_len((const uint8_t *)cases[i].s, strlen(cases[i].s)),
		    cases[i].len);
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite	*s = suite_create("proto");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, round_trips_every_field);
	tcase_add_test(tc, round_trips_several_records_and_an_empty_message);
	tcase_add_test(tc, validate_first_keeps_the_first_record_as_decode_gives_it);
	tcase_add_test(tc, peek_name_gives_the_first_records_name_or_none_if_cut);
	tcase_add_test(tc, largest_message_fills_a_datagram_exactly);
	tcase_add_test(tc, rejects_each_malformation_with_its_reason);
	tcase_add_test(tc, rejects_whole_datagram_when_second_of_three_records_is_bad);
	tcase_add_test(tc, skips_unknown_field_types);
	tcase_add_test(tc, validates_stream_names);
	tcase_add_test(tc, validates_tags_as_syslog_takes_them);
	tcase_add_test(tc, kv_fields_sent_apart_from_the_head_decode_as_a_whole);
	tcase_add_test(tc, encoder_refuses_bad_records_and_small_buffers);
	tcase_add_test(tc, every_reason_has_its_own_description_and_key);
	tcase_add_test(tc, one_priority_table_names_and_parses);
	tcase_add_test(tc, utf8_sequences_are_told_from_bytes_that_are_not_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(proto_suite());
}
