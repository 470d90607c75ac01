/*
 * control.h - what an operator asks logd: the control socket (logctl stats,
 * streams, rotate, reload), the Prometheus text at /metrics, and the state
 * dump of SIGUSR1.
 *
 * The control socket is a Unix stream socket (cfg->control_path, mode 0660,
 * or the one systemd passed named "control"); requests and replies are one
 * JSON document per line each way (see logctl(1)):
 *   {"cmd":"stats"}  {"cmd":"stats","format":"prometheus"}  {"cmd":"streams"}
 *   {"cmd":"rotate","streams":["app"]}  {"cmd":"reload"}
 * and every reply has "ok" (true, or false with "error").  Bounds: at most
 * control_max_clients at once (more are told so and closed), a request is
 * at most CONTROL_MAX_REQUEST bytes, a client silent (or not reading its
 * reply) for control_timeout is dropped, and so is one that sends what is
 * not JSON.  rotate and reload are for root and logd's own user only
 * (SO_PEERCRED); the rest for anyone who can reach the socket.
 * Loop thread only.
 */
#ifndef LOGD_CONTROL_H
#define LOGD_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "forward.h"
#include "queue.h"
#include "stats.h"
#include "stream.h"
#include "writer.h"

#define CONTROL_MAX_REQUEST	(64 * 1024)	/* a request line, newline included */
#define CONTROL_WAIT_MS		5000	/* a reply waits this long for the writer */

struct control;

/* What the control socket reads and acts on; all owned by main.c. */
struct control_env {
	struct event_base	*base;
	const struct config	*cfg;
	struct stats		*st;
	struct stream_table	*streams;
	struct queue		*q;
	struct writer		*writer;
	int			 control_fd;	/* systemd's "control" socket (taken), or -1 */
	struct forwarder *const	*fwd;		/* the forwarders ([forward NAME]), nfwd of them */
	uint32_t		 nfwd;
	/*
	 * SIGHUP's reload: 0 with the writer's ticket in *ticket, or -1 with
	 * why in err (the configuration in use stays).
	 */
	int			(*reload)(void *arg, uint64_t *ticket, char *err, size_t len);
	void			*arg;
};

/*
 * Listens on the control socket and, with cfg->metrics_listen, serves
 * /metrics.  One that cannot be set up is said on stderr and left out:
 * logging does not depend on them.  -ENOMEM only.
 */
int	control_new(const struct control_env *env, struct control **out);

/* Closes every client and the sockets; removes the socket file if it is still ours. */
void	control_free(struct control *c);

/* The writer woke the loop: replies that waited for it go out. */
void	control_writer_done(struct control *c);

/* SIGUSR1: every stream's state, the writer's, and the queue's on stderr. */
void	control_dump(struct control *c);

#endif
