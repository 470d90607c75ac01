/*
 * stats.h - logd's counters.
 *
 * The loop thread owns the plain fields; the writer thread updates the
 * atomic ones, which anyone may read.  One struct stats lives in struct daemon.
 */
#ifndef LOGD_STATS_H
#define LOGD_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "proto.h"

struct stats {
	/* loop thread */
	uint64_t		datagrams;		/* valid datagrams received */
	uint64_t		records;		/* records decoded from them */
	uint64_t		bytes;			/* datagram bytes received */
	uint64_t		malformed;		/* datagrams rejected */
	uint64_t		malformed_by[PROTO_E_COUNT];
	uint64_t		rejected;		/* records refused: max_streams reached */
	uint64_t		client_dropped;		/* sum of the senders' dropped counts */
	uint64_t		backpressure;		/* times a record found the budget full */
	/* writer thread */
	_Atomic uint64_t	written_lines;		/* lines written, markers included */
	_Atomic uint64_t	written_bytes;
	_Atomic uint64_t	write_errors;		/* failed write/open attempts */
	_Atomic uint64_t	writer_markers;		/* lines the writer added (stalls, torn lines) */
	_Atomic uint64_t	fsyncs;
	_Atomic uint64_t	stalls;			/* episodes of failing writes */
	_Atomic uint64_t	stalled_ms;		/* their total length */
	_Atomic uint64_t	alive_ms;		/* CLOCK_MONOTONIC ms of its last step */
	_Atomic int		busy;			/* writing, not waiting for work */
	_Atomic uint64_t	rotations;
	_Atomic uint64_t	archives_removed;	/* by retention, or for a full disk */
};

#endif
