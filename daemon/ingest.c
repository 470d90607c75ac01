/*
 * ingest.c - the datagram socket (see ingest.h).
 *
 * State between callbacks: n datagrams received by the last recvmmsg, of
 * which cur is being routed, from record offset off (0 = not validated yet).
 * While blocked (no memory budget) the read event is off and cur/off keep
 * our place.
 *
 * Under load, ingest polls: once a recvmmsg brings INGEST_POLL_MIN
 * datagrams or more, the socket leaves epoll and is read again after each
 * batch until it is empty.  A callback (a turn) reads at most
 * INGEST_POLL_ROUNDS times or INGEST_POLL_BYTES, then arms poll_ev, a timer
 * due at once: the loop goes through epoll_wait() and its due timers before
 * it runs, so signals, control clients, the writer's wake-up and the flush
 * timer get their turn even when senders never let the socket go empty.
 * (event_active() would run it again in the same pass, before the loop
 * looks at epoll: a flood would starve all of them.)
 * While the socket is in epoll, every sender's send() takes the socket's
 * wait queue lock and runs epoll's callback; out of it, a send finds no
 * one waiting and does neither: the senders' cost per record is what bare
 * receivers that poll(2) only when idle give them.  Loop thread only.
 */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "diag.h"
#include "logdir.h"
#include "syslog_msg.h"

#define INGEST_CMSG_SPACE	256	/* credentials, plus room to see (and close) stray fds */
#define INGEST_POLL_MIN		4	/* datagrams in one recvmmsg that start polling */
#define INGEST_POLL_ROUNDS	16	/* recvmmsg calls per callback while polling */
#define INGEST_POLL_BYTES	(1024 * 1024)	/* or this much received */
#define INGEST_KV		(2 * (size_t)PROTO_MAX_DGRAM)	/* a syslog record's fields */

struct ingest {
	struct event		*ev;		/* the socket in epoll; not while polling */
	struct event		*poll_ev;	/* while polling: the next turn (a timer) */
	struct stream_table	*streams;
	struct queue		*q;
	struct stats		*st;
	int			 fd;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;		/* the socket file we bound, to remove only ours */
	ino_t			 ino;
	void			(*on_drained)(void *);
	void			*arg;

	struct mmsghdr		 msgs[INGEST_SLOTS];
	struct iovec		 iov[INGEST_SLOTS];
	uint8_t			*bufs;		/* INGEST_SLOTS * PROTO_MAX_DGRAM */
	uint8_t			*cmsgs;		/* INGEST_SLOTS * INGEST_CMSG_SPACE */
	unsigned		 filled;	/* msgs the last recvmmsg wrote into */
	uint32_t		 hints[INGEST_SLOTS];	/* ingest_hints() */
	int			 hinted;
	unsigned		 n;
	unsigned		 cur;
	size_t			 off;
	uint64_t		 now_ns;	/* receipt time of the current recvmmsg batch */

	int			 syslog;	/* syslog text, not logd's protocol */
	const struct config	*cfg;		/* the loop's ([syslog] stream, map) */
	uint8_t			*kv;		/* syslog: a record's key=value fields */
	int			 activated;	/* the socket is systemd's (sd_listen_fds) */
	int			 control_fd;	/* systemd's socket named "control", or -1 */
	int			 syslog_fd;	/* systemd's socket named "syslog", or -1 */
	int			 blocked;
	int			 polling;	/* reading without epoll until the socket is empty */
	int			 stopping;
	int			 drained;
	struct diag_limit	 malformed_limit[PROTO_E_COUNT];	/* one per reason */
	struct diag_limit	 rejected_limit;
	struct diag_limit	 implausible_limit;
};

static void	on_read(evutil_socket_t fd, short what, void *arg);

void
ingest_bind_error(const char *path, const char *option, int rc, char *err, size_t len)
{
	char	dir[CONFIG_MAX_PATH];

	(void)logdir_parent(path, dir, sizeof(dir));
	switch (rc) {
	case -ENOENT:
		snprintf(err, len, "cannot listen on %s: directory %s does not exist; create it, "
		    "or choose another --%s", path, dir, option);
		break;
	case -ENOTDIR:
		snprintf(err, len, "cannot listen on %s: %s is not a directory; choose another "
		    "--%s", path, dir, option);
		break;
	case -EACCES:
	case -EPERM:
	case -EROFS:
		snprintf(err, len, "cannot listen on %s: %s; logd (uid %ld) must be able to "
		    "create it in %s, or choose another --%s", path, strerror(-rc),
		    (long)geteuid(), dir, option);
		break;
	default:
		snprintf(err, len, "cannot listen on %s: %s; choose another --%s", path,
		    strerror(-rc), option);
		break;
	}
}

int
ingest_bind(const char *path, int type, mode_t mode, const char *option, char *err,
    size_t err_len, int *out)
{
	struct sockaddr_un	 sa = { .sun_family = AF_UNIX };
	struct stat		 sb;
	int			 fd, probe, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "cannot listen on %s: longer than %zu bytes; choose a "
		    "shorter --%s", path, sizeof(sa.sun_path) - 1, option);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		rc = -errno;
		ingest_bind_error(path, option, rc, err, err_len);
		return rc;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		goto bound;
	rc = -errno;
	if (rc != -EADDRINUSE)
		goto fail;
	/* Something is there.  Replace it only if it is a socket nobody answers on. */
	if (lstat(path, &sb) < 0 || !S_ISSOCK(sb.st_mode)) {
		snprintf(err, err_len, "%s exists and is not a socket; remove it or choose another "
		    "--%s", path, option);
		close(fd);
		return rc;
	}
	if ((probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	close(probe);
	if (rc == 0) {
		snprintf(err, err_len, "another logd is already listening on %s; stop it, or "
		    "choose another --%s", path, option);
		close(fd);
		return -EADDRINUSE;
	}
	diag(LOG_NOTICE, "replacing stale socket %s (nothing answers on it)", path);
	if (unlink(path) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto fail;
	}
bound:
	if (chmod(path, mode) < 0) {
		rc = -errno;
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	ingest_bind_error(path, option, rc, err, err_len);
	close(fd);
	return rc;
}

/*
 * The datagram socket systemd passed (socket activation): the one named
 * "socket" (FileDescriptorName=), or the only AF_UNIX datagram socket.
 * Every other socket passed but the one named "control" (kept in *control
 * for control.c) is closed: logd would hold it, unread, for as long as it
 * runs.  Returns the fd, 0 if logd was not socket-activated, or -errno.
 */
static int
ingest_listen_fd(int *control, int *syslog)
{
	char	**names = NULL;
	int	  n, i, fd = -ENOENT, ndgram = 0;

	if ((n = sd_listen_fds_with_names(1, &names)) <= 0)
		return n < 0 ? n : 0;
	for (i = 0; i < n; i++) {
		int	cand = SD_LISTEN_FDS_START + i;

		if (sd_is_socket_unix(cand, SOCK_DGRAM, -1, NULL, 0) <= 0 ||
		    (names != NULL && names[i] != NULL && strcmp(names[i], "syslog") == 0))
			continue;
		if (names != NULL && names[i] != NULL && strcmp(names[i], "socket") == 0) {
			fd = cand;
			ndgram = 1;
			break;
		}
		fd = cand;
		ndgram++;
	}
	if (ndgram > 1) {
		diag(LOG_ERR, "systemd passed %d datagram sockets; name logd's "
		    "FileDescriptorName=socket", ndgram);
		fd = -EINVAL;
	} else if (fd < 0) {
		diag(LOG_ERR, "systemd passed %d sockets, none a Unix datagram socket", n);
	}
	for (i = 0; i < n; i++) {
		if (SD_LISTEN_FDS_START + i == fd)
			continue;
		if (names != NULL && names[i] != NULL && strcmp(names[i], "control") == 0 &&
		    fd >= 0 && *control < 0) {
			*control = SD_LISTEN_FDS_START + i;	/* control.c's */
			continue;
		}
		if (names != NULL && names[i] != NULL && strcmp(names[i], "syslog") == 0 &&
		    fd >= 0 && *syslog < 0) {
			*syslog = SD_LISTEN_FDS_START + i;	/* the syslog ingest's */
			continue;
		}
		if (fd >= 0)
			diag(LOG_NOTICE, "systemd passed socket %s (fd %d), which logd does not use; "
			    "closed it", names != NULL && names[i] != NULL ? names[i] : "?",
			    SD_LISTEN_FDS_START + i);
		close(SD_LISTEN_FDS_START + i);
	}
	for (i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	return fd;
}

int
ingest_new(struct event_base *base, const struct config *cfg, int syslog, int fd,
    struct stream_table *streams, struct queue *q, struct stats *st,
    void (*on_drained)(void *), void *arg, struct ingest **out)
{
	const char	*path = syslog ? cfg->syslog_socket : cfg->socket_path;
	const char	*option = syslog ? "syslog-socket" : "socket";
	struct ingest	*in;
	struct stat	 sb;
	char		 err[512];
	int		 one = 1, rcvbuf = INGEST_RCVBUF, rc;
	unsigned	 i;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return -ENOMEM;
	in->fd = -1;
	in->control_fd = -1;
	in->syslog_fd = -1;
	in->syslog = syslog;
	in->cfg = cfg;
	in->bufs = malloc((size_t)INGEST_SLOTS * PROTO_MAX_DGRAM);
	in->cmsgs = malloc((size_t)INGEST_SLOTS * INGEST_CMSG_SPACE);
	/*
	 * A record's fields from one datagram's header (never longer than twice
	 * it: INGEST_KV), then room for one unescaped SD value.
	 */
	in->kv = syslog ? malloc(INGEST_KV + PROTO_MAX_DGRAM) : NULL;
	if (in->bufs == NULL || in->cmsgs == NULL || (syslog && in->kv == NULL)) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < INGEST_SLOTS; i++) {
		in->iov[i].iov_base = in->bufs + (size_t)i * PROTO_MAX_DGRAM;
		in->iov[i].iov_len = PROTO_MAX_DGRAM;
		in->msgs[i].msg_hdr.msg_iov = &in->iov[i];
		in->msgs[i].msg_hdr.msg_iovlen = 1;
		in->msgs[i].msg_hdr.msg_control = in->cmsgs + (size_t)i * INGEST_CMSG_SPACE;
		in->msgs[i].msg_hdr.msg_controllen = INGEST_CMSG_SPACE;
	}
	in->streams = streams;
	in->q = q;
	in->st = st;
	in->on_drained = on_drained;
	in->arg = arg;
	for (i = 0; i < PROTO_E_COUNT; i++)
		in->malformed_limit[i].interval_ms = 5000;
	in->rejected_limit.interval_ms = 5000;
	in->implausible_limit.interval_ms = 5000;
	snprintf(in->path, sizeof(in->path), "%s", path);

	if (syslog)
		rc = fd;
	else if ((rc = ingest_listen_fd(&in->control_fd, &in->syslog_fd)) < 0)
		goto fail;
	if (rc > 0) {
		struct sockaddr_un	sa;
		socklen_t		salen = sizeof(sa);

		/* systemd holds the socket, and keeps it while logd restarts. */
		in->fd = rc;
		in->activated = 1;
		if (getsockname(in->fd, (struct sockaddr *)&sa, &salen) == 0 &&
		    salen > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0] != '\0')
			snprintf(in->path, sizeof(in->path), "%.*s",
			    (int)(salen - offsetof(struct sockaddr_un, sun_path)), sa.sun_path);
		(void)fcntl(in->fd, F_SETFD, FD_CLOEXEC);
		(void)fcntl(in->fd, F_SETFL, fcntl(in->fd, F_GETFL) | O_NONBLOCK);
	} else if ((rc = ingest_bind(path, SOCK_DGRAM, (mode_t)cfg->socket_mode, option, err,
	    sizeof(err), &in->fd)) < 0) {
		/* 0666 by default: anyone may log, as with /dev/log. */
		diag(LOG_ERR, "%s", err);
		goto fail;
	} else if (cfg->socket_group != CONFIG_NO_ID &&
	    lchown(path, (uid_t)-1, (gid_t)cfg->socket_group) < 0) {
		/* A systemd socket's group is SocketGroup='s: this is for ours alone. */
		rc = -errno;
		diag_errno(LOG_ERR, rc, "socket_group = %" PRIu32 ": cannot give %s to that group "
		    "(logd must be root, or a member of the group)", cfg->socket_group, path);
		goto fail;
	}
	if (!in->activated && stat(in->path, &sb) == 0) {
		in->dev = sb.st_dev;
		in->ino = sb.st_ino;
	}
	if (setsockopt(in->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		rc = -errno;
		diag_errno(LOG_ERR, rc, "%s: cannot enable SO_PASSCRED", in->path);
		goto fail;
	}
	/* A big buffer absorbs bursts; SO_RCVBUFFORCE passes rmem_max when we may. */
	if (setsockopt(in->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(in->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if ((in->ev = event_new(base, in->fd, EV_READ | EV_PERSIST, on_read, in)) == NULL ||
	    (in->poll_ev = evtimer_new(base, on_read, in)) == NULL ||
	    event_add(in->ev, NULL) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	*out = in;
	return 0;
fail:
	ingest_free(in);
	return rc;
}

void
ingest_free(struct ingest *in)
{
	struct stat	sb;

	if (in == NULL)
		return;
	if (in->ev != NULL)
		event_free(in->ev);
	if (in->poll_ev != NULL)
		event_free(in->poll_ev);
	if (in->control_fd >= 0)
		close(in->control_fd);
	if (in->syslog_fd >= 0)
		close(in->syslog_fd);
	if (in->fd >= 0) {
		if (!in->activated && stat(in->path, &sb) == 0 && sb.st_dev == in->dev &&
		    sb.st_ino == in->ino)
			unlink(in->path);
		close(in->fd);
	}
	free(in->kv);
	free(in->cmsgs);
	free(in->bufs);
	free(in);
}

/*
 * The sender's credentials.  With close_fds, also closes any file descriptors
 * smuggled along (call it so exactly once per datagram).
 */
static void
ingest_sender(struct msghdr *mh, int close_fds, struct format_sender *who)
{
	struct cmsghdr	*c;
	size_t		 i, nfd;
	int		 fd;

	who->pid = 0;
	who->uid = (uid_t)-1;
	who->gid = (gid_t)-1;
	who->logd = 0;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			/*
			 * Field by field: a struct ucred copied whole, then read,
			 * stalls the CPU (its stores do not forward to the loads).
			 */
			memcpy(&who->pid, CMSG_DATA(c) + offsetof(struct ucred, pid), sizeof(pid_t));
			memcpy(&who->uid, CMSG_DATA(c) + offsetof(struct ucred, uid), sizeof(uid_t));
			memcpy(&who->gid, CMSG_DATA(c) + offsetof(struct ucred, gid), sizeof(gid_t));
		} else if (c->cmsg_type == SCM_RIGHTS && close_fds) {
			nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nfd; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(fd);
			}
		}
	}
}

static void
ingest_malformed(struct ingest *in, int reason, const struct format_sender *who, size_t len)
{
	stats_inc(in->st, STATS_MALFORMED);
	atomic_fetch_add_explicit(&in->st->malformed_by[reason], 1, memory_order_relaxed);
	diag_limited(&in->malformed_limit[reason], LOG_WARNING,
	    "malformed datagram from pid %ld (%zu bytes): %s; skipped it (%llu so far)",
	    (long)who->pid, len, proto_strerror(reason),
	    (unsigned long long)stats_get(in->st, STATS_MALFORMED));
}

/*
 * A record stream_get() refused (max_streams, a sender writing to logd's own
 * stream, its ACL, create_streams, max_streams_per_uid): counted, said on
 * stderr (rate-limited) and in logd's own stream.  A refusal of the
 * sender's rights stream.c says on stderr itself, naming the sender, once a
 * second per stream.
 */
static void
ingest_reject(struct ingest *in, const struct proto_record *rec, const struct format_sender *who,
    int err)
{
	uint64_t	line = (rec->flags & PROTO_REC_REPORT) ? 0 : 1;
	char		why[128];

	stats_add(in->st, STATS_REJECTED, line);
	if (err == -ENOSPC)
		stats_add(in->st, STATS_TOO_MANY_STREAMS, line);
	else if (err == -EACCES)
		stats_add(in->st, STATS_ACL_DENIED, line);
	else if (err == -ENOENT)
		stats_add(in->st, STATS_UNCONFIGURED, line);
	else if (err == -EDQUOT)
		stats_add(in->st, STATS_UID_STREAMS, line);
	stream_reject(in->streams, rec->name, rec->name_len, who,
	    stats_sat_add(line, rec->dropped), err);
	if (stream_reject_tells(err))
		return;
	diag_limited(&in->rejected_limit, LOG_WARNING, "stream %.*s: record from pid %ld "
	    "rejected: %s (%llu so far)", (int)rec->name_len, rec->name, (long)who->pid,
	    stream_reject_why(in->streams, err, why, sizeof(why)),
	    (unsigned long long)stats_get(in->st, STATS_REJECTED));
}

/* A record claimed more lost records than any sender could lose; it was taken as the most. */
static void
ingest_implausible(struct ingest *in, const struct format_sender *who,
    const struct proto_record *rec)
{
	stats_inc(in->st, STATS_MALFORMED);
	diag_limited(&in->implausible_limit, LOG_WARNING, "stream %.*s: pid %ld claims to have "
	    "dropped more records than any sender could (over %llu); counted as malformed, "
	    "taken as %llu", (int)rec->name_len, rec->name, (long)who->pid,
	    (unsigned long long)PROTO_MAX_DROPPED, (unsigned long long)PROTO_MAX_DROPPED);
}

/*
 * The stream of a syslog record: its ident's in [syslog] map; else by
 * [syslog] stream: the ident (every byte a stream name cannot have as '_',
 * "syslog" if there is none), the facility's name, or the name given.
 */
static size_t
ingest_syslog_stream(const struct config *cfg, const struct syslog_msg *m,
    char name[PROTO_MAX_NAME + 1])
{
	const char	*s = cfg->syslog_stream;	/* a char[65]: memcmp may read 9 bytes */
	size_t		 i, n;

	for (i = 0; i < cfg->syslog_map.n; i++)
		if (strlen(cfg->syslog_map.to[i].ident) == m->ident_len &&
		    memcmp(cfg->syslog_map.to[i].ident, m->ident, m->ident_len) == 0) {
			s = cfg->syslog_map.to[i].stream;
			break;
		}
	if (i == cfg->syslog_map.n && memcmp(s, "ident", 6) == 0) {
		if ((n = m->ident_len < PROTO_MAX_NAME ? m->ident_len : PROTO_MAX_NAME) > 0) {
			memcpy(name, m->ident, n);
			name[n] = '\0';
			if (proto_name_valid(name, n) == 0)
				return n;	/* as most idents are */
			for (i = 0; i < n; i++)
				if (proto_name_valid(name + i, 1) != 0 && name[i] != '.')
					name[i] = '_';
			if (name[0] == '.')
				name[0] = '_';	/* not hidden, not "." or ".." */
			return n;
		}
		s = "syslog";
	} else if (i == cfg->syslog_map.n && memcmp(s, "facility", 9) == 0) {
		s = syslog_facility_name(m->facility);
	}
	n = strlen(s);
	memcpy(name, s, n + 1);
	return n;
}

/* Adds key=val to a syslog record's fields at in->kv + *len (a key it cannot take is left out). */
static void
ingest_kv(struct ingest *in, size_t *len, const char *key, size_t key_len, const char *val,
    size_t val_len)
{
	ssize_t	n = proto_encode_kv(in->kv + *len, INGEST_KV - *len, key, key_len, val, val_len);

	if (n > 0)
		*len += (size_t)n;
}

/*
 * A syslog record's header as key=value fields in in->kv: facility,
 * hostname, msgid, claimed_pid (the header's pid where it is not the
 * sender's), and each SD-PARAM as sd_<SD-ID>_<PARAM-NAME>.  Returns their length.
 */
static size_t
ingest_syslog_fields(struct ingest *in, const struct syslog_msg *m,
    const struct format_sender *who)
{
	const char	*id, *name, *val, *f = syslog_facility_name(m->facility);
	char		 key[PROTO_MAX_KEY + 1], num[16];
	size_t		 len = 0, off = 0, idl, nl, vl, kl, i;
	uint32_t	 pid = syslog_pid(m);

	ingest_kv(in, &len, "facility", 8, f, strlen(f));
	if (m->host_len > 0)
		ingest_kv(in, &len, "hostname", 8, m->host, m->host_len);
	if (m->msgid_len > 0)
		ingest_kv(in, &len, "msgid", 5, m->msgid, m->msgid_len);
	if (pid != SYSLOG_NO_PID && pid != (uint32_t)who->pid)
		ingest_kv(in, &len, "claimed_pid", 11, num,
		    (size_t)snprintf(num, sizeof(num), "%" PRIu32, pid));
	while (syslog_sd_next(m, &off, &id, &idl, &name, &nl, &val, &vl) == 1) {
		kl = (size_t)snprintf(key, sizeof(key), "sd_%.*s_%.*s", (int)idl, id, (int)nl, name);
		if (kl >= sizeof(key))
			kl = sizeof(key) - 1;
		for (i = 0; i < kl; i++)
			if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
			    (key[i] >= '0' && key[i] <= '9')))
				key[i] = '_';
		vl = syslog_sd_unescape(val, vl, (char *)in->kv + INGEST_KV);
		ingest_kv(in, &len, key, kl, (char *)in->kv + INGEST_KV, vl);
	}
	return len;
}

/*
 * One syslog datagram as a record of its stream: its severity, the ident
 * before its message, its time if it has a whole one (RFC 5424; the clock
 * skew rule applies), its other header fields as key=value fields (for a
 * JSON stream: a text line has no place for them).  -ENOBUFS when the
 * memory budget has no room (nothing taken).
 */
static int
ingest_syslog(struct ingest *in, const uint8_t *buf, size_t len, const struct format_sender *who)
{
	struct syslog_msg	 m;
	struct proto_record	 rec;
	struct stream		*s;
	char			 name[PROTO_MAX_NAME + 1];
	int			 err;

	syslog_parse(buf, len, &m);
	proto_record_clear(&rec);
	rec.priority = m.severity;
	rec.ts_ns = m.ts_ns;
	rec.tag = m.ident;
	rec.tag_len = m.ident_len;
	rec.msg = m.msg;
	rec.msg_len = m.msg_len;
	rec.name = name;
	rec.name_len = ingest_syslog_stream(in->cfg, &m, name);
	if ((err = stream_get(in->streams, rec.name, rec.name_len, who, &s)) < 0) {
		ingest_reject(in, &rec, who, err);
		return 0;
	}
	if (stream_format(s) == CONFIG_FORMAT_JSON) {
		rec.kv = in->kv;
		rec.kv_len = ingest_syslog_fields(in, &m, who);
	}
	return stream_append(in->streams, s, &rec, in->now_ns, who) < 0 ? -ENOBUFS : 0;
}

/*
 * With thousands of streams, the hash of each datagram's stream (its first
 * record's, unchecked: a hint) and its slot in the table starting to load;
 * ingest_route() prefetches the rest a level a datagram.
 */
static void
ingest_hints(struct ingest *in)
{
	const char	*name;
	size_t		 len;
	unsigned	 i;

	in->hinted = !in->syslog && stream_table_large(in->streams);
	if (!in->hinted)
		return;
	for (i = 0; i < in->n; i++) {
		proto_peek_name(in->iov[i].iov_base, in->msgs[i].msg_len, &name, &len);
		in->hints[i] = stream_hash(name, len);
		stream_prefetch(in->streams, in->hints[i], 0);
	}
}

/*
 * Routes the received datagrams from (cur, off) on.  Returns 0 when all are
 * done, -ENOBUFS when the memory budget stopped it (the place is kept).
 */
static int
ingest_route(struct ingest *in)
{
	struct proto_record	 rec;
	struct format_sender	 who;
	struct stream		*s;
	struct msghdr		*mh;
	const uint8_t		*buf;
	ssize_t			 nrec;
	size_t			 len, next;
	uint64_t		 ndgrams = 0, nrecs = 0, nbytes = 0;	/* counted at the end */
	int			 full = 0, err, clamped, decoded;
	unsigned		 level;

	for (; in->cur < in->n; in->cur++, in->off = 0) {
		mh = &in->msgs[in->cur].msg_hdr;
		buf = in->iov[in->cur].iov_base;
		len = in->msgs[in->cur].msg_len;
		ingest_sender(mh, in->off == 0, &who);
		if (in->off == 0 && len == 0 && mh->msg_controllen == 0 && in->stopping) {
			/* End of a shut-down socket's queue, not a datagram. */
			in->drained = 1;
			in->n = in->cur;
			break;
		}
		if (in->syslog) {
			if (in->off == 0 && (mh->msg_flags & MSG_TRUNC)) {
				ingest_malformed(in, PROTO_E_TOOBIG, &who, len);
				continue;
			}
			in->off = 1;	/* its descriptors are closed: not again on resuming */
			if ((full = ingest_syslog(in, buf, len, &who) < 0))
				break;
			ndgrams++;
			nrecs++;
			nbytes += len;
			continue;
		}
		decoded = 0;
		if (in->off == 0) {
			/* Three datagrams ahead the stream, then a level a datagram. */
			for (level = 1; in->hinted && level <= 3; level++)
				if (in->cur + 4 - level < in->n)
					stream_prefetch(in->streams, in->hints[in->cur + 4 - level],
					    level);
			nrec = (mh->msg_flags & MSG_TRUNC) ? -PROTO_E_TOOBIG :
			    proto_validate_first(buf, len, &rec, &next);
			if (nrec < 0) {
				ingest_malformed(in, (int)-nrec, &who, len);
				continue;
			}
			ndgrams++;
			nrecs += (uint64_t)nrec;
			nbytes += len;
			in->off = PROTO_HDR_SIZE;
			decoded = 1;	/* rec is the first record, next after it */
		}
		for (; in->off < len; decoded = 0) {
			if (!decoded) {
				next = in->off;
				if (proto_decode(buf, len, &next, &rec) < 0)
					break;	/* cannot happen after proto_validate */
			}
			if ((clamped = rec.dropped > PROTO_MAX_DROPPED))
				rec.dropped = PROTO_MAX_DROPPED;
			if ((err = stream_get(in->streams, rec.name, rec.name_len, &who, &s)) < 0) {
				ingest_reject(in, &rec, &who, err);
			} else {
				/* No room: decoded again on resuming, so count nothing yet. */
				full = stream_append(in->streams, s, &rec, in->now_ns, &who) < 0;
				if (full)
					break;
			}
			if (clamped)
				ingest_implausible(in, &who, &rec);
			if (rec.dropped > 0)
				stats_add(in->st, STATS_CLIENT_DROPPED, rec.dropped);
			in->off = next;
		}
		if (full)
			break;		/* keep our place: cur is not advanced */
	}
	stats_add(in->st, STATS_DATAGRAMS, ndgrams);
	stats_add(in->st, STATS_RECORDS, nrecs);
	stats_add(in->st, STATS_BYTES, nbytes);
	if (full)
		return -ENOBUFS;
	in->n = in->cur = 0;
	in->off = 0;
	return 0;
}

static void
ingest_finish_drain(struct ingest *in)
{
	if (in->on_drained != NULL) {
		event_del(in->ev);
		event_del(in->poll_ev);
		in->on_drained(in->arg);
		in->on_drained = NULL;
	}
}

/*
 * Routes what is pending.  When the memory budget runs out, stops reading
 * (the kernel buffer fills, senders block or get EAGAIN) until the writer
 * frees memory and queue.c wakes the loop, which calls ingest_resume().
 */
static void
ingest_continue(struct ingest *in)
{
	int	rc;

	if ((rc = ingest_route(in)) < 0) {
		if (!in->blocked)
			stats_inc(in->st, STATS_BACKPRESSURE);
		queue_want_wake(in->q);
		/* The writer frees only what it is given: give it everything we hold. */
		stream_seal_all(in->streams);
		/* Memory freed before want_wake was set wakes nobody: look once more. */
		rc = ingest_route(in);
	}
	if (rc < 0) {
		if (!in->blocked) {
			in->blocked = 1;
			in->polling = 0;
			event_del(in->ev);
		}
		return;
	}
	stream_seal_urgent(in->streams);
	if (in->blocked) {
		in->blocked = 0;
		if (in->activated && in->stopping) {
			ingest_finish_drain(in);	/* what we had taken in is routed */
			return;
		}
		event_add(in->ev, NULL);
		if (in->stopping)
			event_active(in->ev, EV_READ, 0);	/* an empty socket never fires */
	}
	if (in->drained)
		ingest_finish_drain(in);
}

/*
 * One recvmmsg: the number of datagrams it brought (routed by the caller),
 * or 0 for none (the socket is empty, or an error was reported).  With
 * none, polling ends: the socket waits in epoll again.
 */
static int
ingest_receive(struct ingest *in)
{
	unsigned	i;
	int		n, err;

	/* What recvmmsg wrote into the headers it filled; the rest never changes. */
	for (i = 0; i < in->filled; i++) {
		in->msgs[i].msg_hdr.msg_controllen = INGEST_CMSG_SPACE;
		in->msgs[i].msg_hdr.msg_flags = 0;
	}
	in->filled = 0;
	n = recvmmsg(in->fd, in->msgs, INGEST_SLOTS, MSG_DONTWAIT | MSG_CMSG_CLOEXEC, NULL);
	if (n <= 0) {
		err = n < 0 ? errno : EAGAIN;
		if (in->polling) {
			in->polling = 0;
			event_add(in->ev, NULL);
		}
		if (err == EAGAIN || err == EWOULDBLOCK) {
			if (in->stopping)
				ingest_finish_drain(in);
		} else if (err != EINTR) {
			diag_errno(LOG_ERR, -err, "%s: cannot receive", in->path);
		}
		return 0;
	}
	in->now_ns = clock_ns(CLOCK_REALTIME);
	in->filled = in->n = (unsigned)n;
	in->cur = 0;
	in->off = 0;
	ingest_hints(in);
	return n;
}

/* Both events' callback: reads and routes, and polls under load (see the top). */
static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval	 now = { 0, 0 };
	struct ingest			*in = arg;
	size_t				 bytes = 0;
	int				 i, n, rounds = INGEST_POLL_ROUNDS;

	(void)fd;
	(void)what;
	while (!in->blocked && !in->drained && !(in->activated && in->stopping)) {
		if ((n = ingest_receive(in)) == 0)
			return;
		for (i = 0; i < n; i++)
			bytes += in->msgs[i].msg_len;
		ingest_continue(in);
		if (!in->polling) {
			if (n < INGEST_POLL_MIN || in->blocked)
				return;
			in->polling = 1;
			event_del(in->ev);
			stats_inc(in->st, STATS_BURSTS);
		}
		if (--rounds == 0 || bytes >= INGEST_POLL_BYTES) {
			evtimer_add(in->poll_ev, &now);
			return;
		}
	}
}

void
ingest_resume(struct ingest *in)
{
	if (in->blocked)
		ingest_continue(in);
}

void
ingest_stop(struct ingest *in)
{
	if (in->stopping)
		return;
	in->stopping = 1;
	if (in->activated) {
		/* systemd keeps the socket: what is queued in it waits for the next start. */
		if (!in->blocked)
			ingest_finish_drain(in);
		return;
	}
	if (shutdown(in->fd, SHUT_RD) < 0)
		diag_errno(LOG_WARNING, -errno, "%s: cannot shut down the socket for reading",
		    in->path);
	if (!in->blocked && !in->polling)	/* polling reads on to the end anyway */
		event_active(in->ev, EV_READ, 0);
}

int
ingest_pending(const struct ingest *in)
{
	int	n = 0;

	if (in->cur < in->n)
		return 1;	/* received, not yet routed */
	if (in->activated || in->drained)
		return 0;	/* systemd keeps what is queued in its socket for the next start */
	return ioctl(in->fd, SIOCINQ, &n) < 0 || n > 0;
}

int
ingest_control_fd(struct ingest *in)
{
	int	fd = in->control_fd;

	in->control_fd = -1;
	return fd;
}

int
ingest_syslog_fd(struct ingest *in)
{
	int	fd = in->syslog_fd;

	in->syslog_fd = -1;
	return fd;
}

const char *
ingest_path(const struct ingest *in)
{
	return in->path;
}

int
ingest_activated(const struct ingest *in)
{
	return in->activated;
}
