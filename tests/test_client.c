/*
 * test_client.c - liblogd against a real receiving socket bound by the test
 * (the library's unit under test; the daemon's tests are end to end).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logd.h"
#include "proto.h"
#include "unit.h"

static char	dir[] = "/tmp/test_client.XXXXXX";
static char	path[100];
static int	rx = -1;
static uint8_t	buf[PROTO_MAX_DGRAM + 1];

static int
bind_receiver(int rcvbuf)
{
	struct sockaddr_un	sa = { .sun_family = AF_UNIX };
	int			fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	setenv("LOGD_SOCKET", path, 1);
	rx = bind_receiver(0);
}

static void
teardown(void)
{
	if (rx >= 0)
		close(rx);
	rx = -1;
	unlink(path);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* Receives one datagram (waiting at most 10 s) of at most max records and decodes them. */
static int
recv_records(struct proto_record *r, int max)
{
	struct timeval	tv = { .tv_sec = 10 };
	ssize_t		n, nrec;
	size_t		off = PROTO_HDR_SIZE;
	int		i;

	setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(rx, buf, sizeof(buf), 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, PROTO_MAX_DGRAM);
	ck_assert_int_gt(nrec = proto_validate(buf, (size_t)n), 0);
	ck_assert_int_le(nrec, max);
	for (i = 0; i < nrec; i++)
		ck_assert_int_eq(proto_decode(buf, (size_t)n, &off, &r[i]), 0);
	return (int)nrec;
}

/* Receives one datagram (waiting at most 10 s) of one record. */
static void
recv_one(struct proto_record *r)
{
	ck_assert_int_eq(recv_records(r, 1), 1);
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

START_TEST(sends_one_record_with_every_field)
{
	struct proto_record	 r;
	logd_client		*c = logd_open("web", 0);
	uint64_t		 t0 = now_ns();

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(logd_send(c, LOG_ERR, "bin\0ary", 7), 0);
	recv_one(&r);
	ck_assert_uint_eq(r.priority, LOG_ERR);
	ck_assert_int_eq(r.name_len == 3 && memcmp(r.name, "web", 3) == 0, 1);
	ck_assert_uint_eq(r.msg_len, 7);
	ck_assert_int_eq(memcmp(r.msg, "bin\0ary", 7), 0);
	ck_assert_uint_ge(r.ts_ns, t0);
	ck_assert_uint_le(r.ts_ns, now_ns());
	ck_assert_uint_eq(r.flags, 0);
	ck_assert_uint_eq(r.dropped, 0);
	ck_assert_uint_eq(r.file_len, 0);
	logd_close(c);
}
END_TEST

START_TEST(macros_record_file_line_and_function)
{
	struct proto_record	 r;
	logd_client		*c = logd_open("web", 0);
	int			 line;

	line = __LINE__ + 1;
	ck_assert_int_eq(LOGD_WARNING(c, "n=%d", 42), 0);
	recv_one(&r);
	ck_assert_uint_eq(r.priority, LOG_WARNING);
	ck_assert_uint_eq(r.msg_len, 4);
	ck_assert_int_eq(memcmp(r.msg, "n=42", 4), 0);
	ck_assert_int_eq(r.file_len == strlen(__FILE__) &&
	    memcmp(r.file, __FILE__, r.file_len) == 0, 1);
	ck_assert_uint_eq(r.line, (uint32_t)line);
	ck_assert_int_eq(r.func_len == strlen(__func__) &&
	    memcmp(r.func, __func__, r.func_len) == 0, 1);
	ck_assert_int_eq(logd_printf(c, LOG_DEBUG, "%s", "plain"), 0);
	recv_one(&r);
	ck_assert_uint_eq(r.file_len, 0);
	ck_assert_uint_eq(r.line, 0);
	logd_close(c);
}
END_TEST

/* Whether r's key=value fields are the n pairs want (key, value, key, value, ...). */
static int
has_fields(const struct proto_record *r, const char *const *want, size_t n)
{
	const char	*key, *val;
	size_t		 off = 0, kl, vl, i;

	for (i = 0; i < n; i++)
		if (proto_kv_next(r, &off, &key, &kl, &val, &vl) != 1 ||
		    kl != strlen(want[2 * i]) || memcmp(key, want[2 * i], kl) != 0 ||
		    vl != strlen(want[2 * i + 1]) || memcmp(val, want[2 * i + 1], vl) != 0)
			return 0;
	return proto_kv_next(r, &off, &key, &kl, &val, &vl) == 0;
}

static int
vprintf_of(logd_client *c, int priority, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = logd_vprintf(c, priority, fmt, ap);
	va_end(ap);
	return rc;
}

START_TEST(sends_key_value_fields_and_va_lists)
{
	static const char *const	want[] = { "user", "alice", "empty", "", "n_2", "x=y" };
	static char			 big[100000];
	const struct logd_field		 f[] = { { "user", "alice" }, { "empty", "" },
					    { "n_2", "x=y" } };
	struct logd_field		 many[LOGD_MAX_FIELDS + 1], bad;
	struct proto_record		 r;
	logd_client			*c = logd_open("web", 0);
	size_t				 have = 0, i;
	pid_t				 pid;
	int				 status;

	ck_assert_int_eq(logd_send_fields(c, LOG_NOTICE, f, 3, "hi", 2), 0);
	recv_one(&r);
	ck_assert_uint_eq(r.priority, LOG_NOTICE);
	ck_assert_int_eq(r.msg_len == 2 && memcmp(r.msg, "hi", 2) == 0, 1);
	ck_assert(has_fields(&r, want, 3));
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, NULL, 0, "none", 4), 0);
	recv_one(&r);
	ck_assert_uint_eq(r.kv_len, 0);
	/* A message longer than a datagram: every part has the fields. */
	memset(big, 'b', sizeof(big));
	if ((pid = fork()) == 0)
		_exit(logd_send_fields(c, LOG_INFO, f, 3, big, sizeof(big)) == 0 ? 0 : 1);
	do {
		recv_one(&r);
		ck_assert(has_fields(&r, want, 3));
		have += r.msg_len;
	} while (r.flags & PROTO_REC_MORE);
	ck_assert_uint_eq(have, sizeof(big));
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(vprintf_of(c, LOG_ERR, "%s=%d", "n", 7), 0);
	recv_one(&r);
	ck_assert_int_eq(r.msg_len == 3 && memcmp(r.msg, "n=7", 3) == 0 && r.priority == LOG_ERR,
	    1);
	/* What cannot be sent is -EINVAL, sends nothing and counts nothing. */
	bad.key = "bad key";
	bad.value = "v";
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, &bad, 1, "x", 1), -EINVAL);
	bad.key = "";
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, &bad, 1, "x", 1), -EINVAL);
	bad.key = NULL;
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, &bad, 1, "x", 1), -EINVAL);
	bad.key = "k";
	bad.value = NULL;
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, &bad, 1, "x", 1), -EINVAL);
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, NULL, 1, "x", 1), -EINVAL);
	for (i = 0; i < LOGD_MAX_FIELDS + 1; i++) {
		many[i].key = "k";
		many[i].value = "v";
	}
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, many, LOGD_MAX_FIELDS + 1, "x", 1),
	    -EINVAL);
	big[sizeof(big) - 1] = '\0';
	bad.value = big;	/* a value over 64 KiB */
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, &bad, 1, "x", 1), -EINVAL);
	big[40000] = '\0';	/* 40 KB: leaves a message too little room */
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, &bad, 1, "x", 1), -EINVAL);
	ck_assert_int_eq(logd_send_fields(c, 8, f, 3, "x", 1), -EINVAL);
	ck_assert_int_eq(logd_send_fields(NULL, LOG_INFO, f, 3, "x", 1), -EINVAL);
	ck_assert_uint_eq(logd_dropped(c), 0);
	/* The most fields there may be arrive. */
	ck_assert_int_eq(logd_send_fields(c, LOG_INFO, many, LOGD_MAX_FIELDS, "m", 1), 0);
	recv_one(&r);
	for (have = 0, i = 0; i < LOGD_MAX_FIELDS; i++) {
		const char	*key, *val;
		size_t		 kl, vl;

		ck_assert_int_eq(proto_kv_next(&r, &have, &key, &kl, &val, &vl), 1);
		ck_assert_int_eq(kl == 1 && *key == 'k' && vl == 1 && *val == 'v', 1);
	}
	logd_close(c);
}
END_TEST

START_TEST(splits_long_message_into_continuation_records)
{
	static char		 msg[200000], got[200000];
	struct proto_record	 r;
	logd_client		*c = logd_open("big", 0);
	size_t			 i, have = 0;
	pid_t			 pid;
	int			 status;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (char)(i * 7);
	/* The receiver holds less than the message: a child sends while we read. */
	if ((pid = fork()) == 0)
		_exit(logd_send(c, LOG_INFO, msg, sizeof(msg)) == 0 ? 0 : 1);
	do {
		recv_one(&r);
		ck_assert_uint_le(have + r.msg_len, sizeof(got));
		memcpy(got + have, r.msg, r.msg_len);
		have += r.msg_len;
	} while (r.flags & PROTO_REC_MORE);
	ck_assert_uint_eq(have, sizeof(msg));
	ck_assert_int_eq(memcmp(got, msg, sizeof(msg)), 0);
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	/* A long printf message takes the heap path and arrives whole too. */
	memset(msg, 'x', 9999);
	msg[9999] = '\0';
	ck_assert_int_eq(logd_printf(c, LOG_INFO, "%s", msg), 0);
	recv_one(&r);
	ck_assert_uint_eq(r.msg_len, 9999);
	logd_close(c);
}
END_TEST

START_TEST(nonblock_full_socket_gives_eagain_and_reports_drops_later)
{
	struct proto_record	 r;
	logd_client		*c = logd_open("nb", LOGD_NONBLOCK);
	char			 msg[4000];
	int			 i, rc = 0;
	uint64_t		 n;

	memset(msg, 'm', sizeof(msg));
	close(rx);
	rx = bind_receiver(4096);
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = logd_send(c, LOG_INFO, msg, sizeof(msg));
	ck_assert_int_eq(rc, -EAGAIN);
	ck_assert_int_eq(logd_send(c, LOG_INFO, "x", 1), -EAGAIN);
	n = logd_dropped(c);
	ck_assert_uint_eq(n, 2);
	/* Drain the receiver; the next record carries the count. */
	while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	ck_assert_int_eq(logd_send(c, LOG_INFO, "after", 5), 0);
	recv_one(&r);
	ck_assert_uint_eq(r.dropped, 2);
	ck_assert_int_eq(logd_send(c, LOG_INFO, "next", 4), 0);
	recv_one(&r);
	ck_assert_uint_eq(r.dropped, 0);
	ck_assert_uint_eq(logd_dropped(c), 2);
	logd_close(c);
}
END_TEST

static void *
drain_later(void *arg)
{
	struct timespec	ts = { 0, 200 * 1000000 };
	int		*count = arg;

	nanosleep(&ts, NULL);	/* lets the sender fill the socket and block; not a sync point */
	while (*count < 200) {
		if (recv(rx, buf, sizeof(buf), 0) > 0)
			(*count)++;
	}
	return NULL;
}

START_TEST(blocking_mode_waits_for_room_and_loses_nothing)
{
	logd_client	*c = logd_open("blk", 0);
	pthread_t	 t;
	char		 msg[4000];
	int		 i, count = 0;

	memset(msg, 'b', sizeof(msg));
	close(rx);
	rx = bind_receiver(4096);
	pthread_create(&t, NULL, drain_later, &count);
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(logd_send(c, LOG_INFO, msg, sizeof(msg)), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(count, 200);
	ck_assert_uint_eq(logd_dropped(c), 0);
	logd_close(c);
}
END_TEST

START_TEST(dead_daemon_is_counted_never_a_crash)
{
	logd_client	*c;
	int		 rc;

	signal(SIGPIPE, SIG_DFL);	/* a SIGPIPE would kill this test */
	close(rx);
	rx = -1;
	ck_assert_ptr_nonnull(c = logd_open("dead", 0));
	rc = logd_send(c, LOG_INFO, "x", 1);
	ck_assert_msg(rc == -ECONNREFUSED || rc == -ENOENT, "rc %d", rc);
	unlink(path);
	rc = logd_send(c, LOG_INFO, "y", 1);
	ck_assert_int_eq(rc, -ENOENT);
	ck_assert_uint_eq(logd_dropped(c), 2);
	logd_close(c);
}
END_TEST

START_TEST(close_delivers_a_pending_loss_report)
{
	struct proto_record	 r;
	logd_client		*c;

	close(rx);
	rx = -1;
	ck_assert_ptr_nonnull(c = logd_open("gone", 0));
	ck_assert_int_lt(logd_send(c, LOG_INFO, "x", 1), 0);
	ck_assert_int_lt(logd_send(c, LOG_INFO, "y", 1), 0);
	/* The daemon is back; the client closes without sending anything else. */
	rx = bind_receiver(0);
	logd_close(c);
	recv_one(&r);
	ck_assert_uint_eq(r.flags, PROTO_REC_REPORT);
	ck_assert_uint_eq(r.dropped, 2);
	ck_assert_uint_eq(r.msg_len, 0);
	ck_assert_int_eq(r.name_len == 4 && memcmp(r.name, "gone", 4) == 0, 1);
	/* Nothing more: a close with nothing to report sends nothing. */
	ck_assert_ptr_nonnull(c = logd_open("quiet", 0));
	logd_close(c);
	ck_assert_int_lt(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), 0);
}
END_TEST

START_TEST(close_gives_up_on_a_full_socket)
{
	logd_client	*c = logd_open("full", LOGD_NONBLOCK);
	char		 msg[4000];
	int		 i, rc = 0;

	memset(msg, 'f', sizeof(msg));
	close(rx);
	rx = bind_receiver(4096);
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = logd_send(c, LOG_INFO, msg, sizeof(msg));
	ck_assert_int_eq(rc, -EAGAIN);
	/* Nobody reads: the report cannot go, and close returns anyway (after 100 ms). */
	logd_close(c);
	while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		ck_assert_uint_eq(buf[PROTO_HDR_SIZE + 5] & PROTO_REC_REPORT, 0);
}
END_TEST

START_TEST(reconnects_to_a_restarted_daemon)
{
	struct proto_record	 r;
	logd_client		*c = logd_open("re", 0);

	ck_assert_int_eq(logd_send(c, LOG_INFO, "one", 3), 0);
	recv_one(&r);
	/* The daemon restarts: a new socket at the same path. */
	close(rx);
	rx = bind_receiver(0);
	ck_assert_int_eq(logd_send(c, LOG_INFO, "two", 3), 0);
	recv_one(&r);
	ck_assert_int_eq(r.msg_len == 3 && memcmp(r.msg, "two", 3) == 0, 1);
	ck_assert_uint_eq(logd_dropped(c), 0);
	logd_close(c);
}
END_TEST

START_TEST(shut_down_receiver_gives_epipe_without_sigpipe)
{
	logd_client	*c = logd_open("pipe", 0);

	signal(SIGPIPE, SIG_DFL);
	shutdown(rx, SHUT_RD);
	ck_assert_int_eq(logd_send(c, LOG_INFO, "x", 1), -EPIPE);
	ck_assert_uint_eq(logd_dropped(c), 1);
	logd_close(c);
}
END_TEST

START_TEST(rejects_bad_arguments)
{
	logd_client	*c;
	char		 name[80];

	errno = 0;
	ck_assert_ptr_null(logd_open("a/b", 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(logd_open("", 0));
	ck_assert_ptr_null(logd_open(".x", 0));
	ck_assert_ptr_null(logd_open(NULL, 0));
	ck_assert_ptr_null(logd_open("ok", 0x80));
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_ptr_null(logd_open(name, 0));
	name[64] = '\0';
	ck_assert_ptr_nonnull(c = logd_open(name, 0));
	ck_assert_int_eq(logd_send(c, 8, "x", 1), -EINVAL);
	ck_assert_int_eq(logd_send(c, -1, "x", 1), -EINVAL);
	ck_assert_int_eq(logd_send(c, LOG_INFO, NULL, 1), -EINVAL);
	ck_assert_int_eq(logd_send(NULL, LOG_INFO, "x", 1), -EINVAL);
	ck_assert_uint_eq(logd_dropped(c), 0);
	ck_assert_uint_eq(logd_dropped(NULL), 0);
	logd_close(c);
	logd_close(NULL);
}
END_TEST

START_TEST(child_after_fork_sends_with_its_own_pid)
{
	struct proto_record	 r;
	struct ucred		 uc;
	logd_client		*c = logd_open("fork", 0);
	char			 cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec		 iov = { buf, sizeof(buf) };
	struct msghdr		 mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
	int			 one = 1, status;
	size_t			 off = PROTO_HDR_SIZE;
	ssize_t			 n;
	pid_t			 pid;

	setsockopt(rx, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	if ((pid = fork()) == 0)
		_exit(logd_send(c, LOG_INFO, "child", 5) == 0 ? 0 : 1);
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_gt(n = recvmsg(rx, &mh, 0), 0);
	ck_assert_int_eq(proto_decode(buf, (size_t)n, &off, &r), 0);
	ck_assert_int_eq(r.msg_len == 5 && memcmp(r.msg, "child", 5) == 0, 1);
	memcpy(&uc, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(uc));
	ck_assert_int_eq(uc.pid, pid);
	logd_close(c);
}
END_TEST

/* Sends a message of many parts into a socket nobody reads: the first fit, a later one fails. */
static void
cut_message(logd_client *c, int priority)
{
	static char	msg[1 << 20];

	memset(msg, 'c', sizeof(msg));
	ck_assert_int_eq(logd_send(c, priority, msg, sizeof(msg)), -EAGAIN);
}

/* Reads what the socket holds: the parts cut_message() sent, all with MORE. */
static void
recv_cut_parts(void)
{
	struct proto_record	r;
	size_t			off;
	ssize_t			n;
	int			parts = 0;

	while ((n = recv(rx, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		off = PROTO_HDR_SIZE;
		ck_assert_int_eq(proto_validate(buf, (size_t)n), 1);
		ck_assert_int_eq(proto_decode(buf, (size_t)n, &off, &r), 0);
		ck_assert_uint_eq(r.flags, PROTO_REC_MORE);
		parts++;
	}
	ck_assert_int_gt(parts, 0);
}

/* r is the empty record without MORE that ends a message left open at priority. */
static void
assert_end_record(const struct proto_record *r, int priority)
{
	ck_assert_uint_eq(r->flags, 0);
	ck_assert_uint_eq(r->msg_len, 0);
	ck_assert_uint_eq(r->dropped, 0);
	ck_assert_uint_eq(r->priority, (unsigned)priority);
}

START_TEST(failed_part_ends_the_message_before_the_next_one)
{
	struct proto_record	 r[2];
	logd_client		*c = logd_open("cut", LOGD_NONBLOCK);

	cut_message(c, LOG_ERR);
	ck_assert_uint_eq(logd_dropped(c), 1);
	/* The socket still full: neither the end nor the next message can go. */
	ck_assert_int_eq(logd_send(c, LOG_INFO, "lost", 4), -EAGAIN);
	ck_assert_uint_eq(logd_dropped(c), 2);
	recv_cut_parts();
	/* The next send ends the open message first, in its datagram, without the count. */
	ck_assert_int_eq(logd_send(c, LOG_INFO, "after", 5), 0);
	ck_assert_int_eq(recv_records(r, 2), 2);
	assert_end_record(&r[0], LOG_ERR);
	ck_assert_int_eq(r[1].msg_len == 5 && memcmp(r[1].msg, "after", 5) == 0, 1);
	ck_assert_uint_eq(r[1].flags, 0);
	ck_assert_uint_eq(r[1].dropped, 2);
	/* Ended once: the next send is a record of its own. */
	ck_assert_int_eq(logd_send(c, LOG_INFO, "next", 4), 0);
	ck_assert_int_eq(recv_records(r, 2), 1);
	ck_assert_uint_eq(r[0].dropped, 0);
	logd_close(c);
	ck_assert_int_lt(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), 0);
}
END_TEST

START_TEST(close_ends_an_open_message_before_its_report)
{
	struct proto_record	 r[2];
	logd_client		*c = logd_open("cutclose", LOGD_NONBLOCK);

	cut_message(c, LOG_NOTICE);
	recv_cut_parts();
	logd_close(c);
	ck_assert_int_eq(recv_records(r, 2), 2);
	assert_end_record(&r[0], LOG_NOTICE);
	ck_assert_uint_eq(r[1].flags, PROTO_REC_REPORT);
	ck_assert_uint_eq(r[1].dropped, 1);
}
END_TEST

struct thread_arg {
	logd_client	*c;
	int		 id;
};

static void *
send_many(void *arg)
{
	struct thread_arg	*a = arg;
	int			 i;

	for (i = 0; i < 1000; i++)
		if (logd_printf(a->c, LOG_INFO, "t%d %d", a->id, i) != 0)
			return (void *)1;
	return NULL;
}

START_TEST(threads_share_a_handle_without_loss)
{
	struct proto_record	 r;
	struct thread_arg	 a[4];
	pthread_t		 t[4];
	logd_client		*c = logd_open("thr", 0);
	int			 i, next[4] = { 0 }, id, seq, total = 0;
	void			*ret;
	char			 text[32];

	for (i = 0; i < 4; i++) {
		a[i].c = c;
		a[i].id = i;
		pthread_create(&t[i], NULL, send_many, &a[i]);
	}
	while (total < 4000) {
		recv_one(&r);
		ck_assert_uint_lt(r.msg_len, sizeof(text));
		memcpy(text, r.msg, r.msg_len);
		text[r.msg_len] = '\0';
		ck_assert_int_eq(sscanf(text, "t%d %d", &id, &seq), 2);
		ck_assert_int_eq(seq, next[id]);	/* in order per thread */
		next[id]++;
		total++;
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &ret);
		ck_assert_ptr_null(ret);
	}
	ck_assert_uint_eq(logd_dropped(c), 0);
	logd_close(c);
}
END_TEST

static Suite *
client_suite(void)
{
	Suite	*s = suite_create("client");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sends_one_record_with_every_field);
	tcase_add_test(tc, macros_record_file_line_and_function);
	tcase_add_test(tc, sends_key_value_fields_and_va_lists);
	tcase_add_test(tc, splits_long_message_into_continuation_records);
	tcase_add_test(tc, nonblock_full_socket_gives_eagain_and_reports_drops_later);
	tcase_add_test(tc, blocking_mode_waits_for_room_and_loses_nothing);
	tcase_add_test(tc, dead_daemon_is_counted_never_a_crash);
	tcase_add_test(tc, close_delivers_a_pending_loss_report);
	tcase_add_test(tc, close_gives_up_on_a_full_socket);
	tcase_add_test(tc, reconnects_to_a_restarted_daemon);
	tcase_add_test(tc, shut_down_receiver_gives_epipe_without_sigpipe);
	tcase_add_test(tc, rejects_bad_arguments);
	tcase_add_test(tc, child_after_fork_sends_with_its_own_pid);
	tcase_add_test(tc, threads_share_a_handle_without_loss);
	tcase_add_test(tc, failed_part_ends_the_message_before_the_next_one);
	tcase_add_test(tc, close_ends_an_open_message_before_its_report);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(client_suite());
}
