/*
 * fuzz_syslog.c - fuzz target for the syslog datagram parser.
 *
 * A libFuzzer target; without libFuzzer driver.c replays corpus/syslog/ and
 * mutates it (see driver.h).
 *
 * Checked for every input: facility < 24 and severity < 8; every span the
 * parser sets lies inside the input, and the message is the input's tail
 * (nothing after it but trimmed '\n' and NUL bytes); rfc5424 implies a PRI;
 * syslog_sd_next() ends, its spans lie inside sd, and an unescaped value is
 * never longer than the value; parsing is deterministic.
 */
#include <stdint.h>
#include <string.h>

#include "driver.h"
#include "syslog_msg.h"

static int
inside(const void *p, size_t len, const void *base, size_t size)
{
	const uint8_t	*b = p, *d = base;

	return len == 0 || (b >= d && b <= d + size && len <= (size_t)(d + size - b));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 out[65536 + 64];
	struct syslog_msg	 m, again;
	const char		*id, *name, *val;
	size_t			 off = 0, il, nl, vl, steps = 0, i, u;

	syslog_parse(data, size, &m);
	REQUIRE(m.facility < 24 && m.severity < 8);
	REQUIRE(m.has_pri || (m.facility == 1 && m.severity == 5 && !m.rfc5424));
	REQUIRE(inside(m.host, m.host_len, data, size));
	REQUIRE(inside(m.ident, m.ident_len, data, size));
	REQUIRE(inside(m.msgid, m.msgid_len, data, size));
	REQUIRE(inside(m.sd, m.sd_len, data, size));
	REQUIRE(inside(m.msg, m.msg_len, data, size));
	REQUIRE(inside(m.procid, m.procid_len, data, size));
	REQUIRE(m.ident_len <= 48 && m.host_len <= 255 && m.msgid_len <= 32 &&
	    m.procid_len <= 128);
	REQUIRE(syslog_pid(&m) == SYSLOG_NO_PID || m.procid_len > 0);
	if (m.msg_len > 0) {
		for (i = (size_t)(m.msg - data) + m.msg_len; i < size; i++)
			REQUIRE(data[i] == '\n' || data[i] == '\0');
		REQUIRE(m.msg[m.msg_len - 1] != '\n' && m.msg[m.msg_len - 1] != '\0');
	}
	if (m.sd_len > 0)
		REQUIRE(m.rfc5424 && m.sd[0] == '[' && m.sd[m.sd_len - 1] == ']');
	while (syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl) == 1) {
		REQUIRE(++steps <= m.sd_len);
		REQUIRE(il >= 1 && il <= 32 && nl >= 1 && nl <= 32);
		REQUIRE(inside(id, il, m.sd, m.sd_len));
		REQUIRE(inside(name, nl, m.sd, m.sd_len));
		REQUIRE(inside(val, vl, m.sd, m.sd_len));
		if (vl <= sizeof(out)) {
			u = syslog_sd_unescape(val, vl, out);
			REQUIRE(u <= vl && (vl == 0 || u > 0));
		}
	}
	REQUIRE(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl) == 0);
	syslog_parse(data, size, &again);
	REQUIRE(memcmp(&m, &again, sizeof(m)) == 0);
	return 0;
}
