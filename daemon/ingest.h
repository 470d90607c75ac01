/*
 * ingest.h - the datagram socket: receive, validate, decode, route.
 *
 * Reads up to INGEST_SLOTS datagrams per recvmmsg(2) into buffers allocated
 * once, with the sender's credentials (SO_PASSCRED).  A datagram is checked
 * whole (proto_validate) before any of its records is used, so a malformed
 * one is counted and skipped without touching its neighbours.  Each record
 * is formatted into its stream's open batch.  When the memory budget is
 * exhausted, ingest keeps its place (datagram and record), stops reading -
 * the kernel buffer fills and senders block or get EAGAIN - and continues
 * from that place when the writer has freed memory.  Loop thread only.
 */
#ifndef LOGD_INGEST_H
#define LOGD_INGEST_H

#include <sys/types.h>

#include <event2/event.h>

#include "config.h"
#include "queue.h"
#include "stats.h"
#include "stream.h"

#define INGEST_SLOTS	64	/* datagrams per recvmmsg */
#define INGEST_RCVBUF	(8 * 1024 * 1024)	/* SO_RCVBUF we ask for */

struct ingest;

/*
 * logd's protocol (syslog 0): takes the datagram socket systemd passed
 * (sd_listen_fds(); the one named "socket" if there are several), or else
 * binds cfg->socket_path (replacing a stale socket file that nothing answers
 * on), and starts reading.  Passed sockets named "control" and "syslog" are
 * kept for ingest_control_fd() and ingest_syslog_fd(); others are closed.
 * Syslog text (syslog 1): fd (-1: bind cfg->syslog_socket), each datagram
 * one record (syslog_msg.h) of the stream [syslog] stream and map name.
 * on_drained(arg) runs once after ingest_stop(), when every datagram that
 * was in the socket has been routed.  Prints its own error message;
 * returns -errno.
 */
int	ingest_new(struct event_base *base, const struct config *cfg, int syslog, int fd,
	    struct stream_table *streams, struct queue *q, struct stats *st,
	    void (*on_drained)(void *), void *arg, struct ingest **out);

/*
 * Binds a Unix socket of type (SOCK_DGRAM, SOCK_STREAM) at path, mode mode,
 * replacing a stale socket file that nothing answers on; a file that is not
 * a socket, or a socket another process answers on, is left alone.  The
 * datagram socket's, and control.c's.  0, or -errno with the one line to
 * say in err[err_len]: what failed, where, and what to do, naming --option
 * ("cannot listen on /x/s: directory /x does not exist; create it, or
 * choose another --socket").
 */
int	ingest_bind(const char *path, int type, mode_t mode, const char *option, char *err,
	    size_t err_len, int *out);

/*
 * What ingest_bind() says of an error rc of binding path (-ENOENT: its
 * directory does not exist, -ENOTDIR, -EACCES ...) into err[len];
 * --check-config says the same of a socket's directory.
 */
void	ingest_bind_error(const char *path, const char *option, int rc, char *err, size_t len);

/* Frees everything; removes the socket file if it is still ours. */
void	ingest_free(struct ingest *in);

/*
 * Stops accepting: shutdown(SHUT_RD) makes further sends fail with EPIPE at
 * the sender; what is already queued in the socket is still read.  A socket
 * systemd passed is not shut down: logd stops reading it, and what is
 * queued in it waits for the next start.
 */
void	ingest_stop(struct ingest *in);

/*
 * Whether datagrams are still to be routed: received and not yet routed, or
 * still in a socket logd bound itself (one systemd passed keeps its queue
 * for the next start).
 */
int	ingest_pending(const struct ingest *in);

/*
 * The socket systemd passed named "control" (FileDescriptorName=control),
 * handed over to the caller (control_new()), or -1.
 */
int	ingest_control_fd(struct ingest *in);

/* The socket systemd passed named "syslog", handed over to the caller, or -1. */
int	ingest_syslog_fd(struct ingest *in);

/* The socket's path (the one bound, or systemd's socket's name). */
const char *ingest_path(const struct ingest *in);

/* Whether the socket came from systemd (socket activation). */
int	ingest_activated(const struct ingest *in);

/* The writer freed memory: continue where backpressure stopped us. */
void	ingest_resume(struct ingest *in);

#endif
