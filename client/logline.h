/*
 * logline.h - one line of a stream's file as logd writes it (logd.conf(5)):
 * text, "2026-11-22T12:00:00.123456Z info [1234] message" with the message
 * escaped C-style ("[logd]" for logd's own lines, "[1234+]" for a continued
 * part, "[1234 @STAMP]" with a claimed time that was not taken, and a caller
 * before the message, "[1234] app.c:10 main(): message"), or a JSON object
 * that starts {"ts":"...","priority":"...".
 *
 * A tag ("[1234] sshd: message", logctl -t or a syslog ident) stays in the
 * message: "[1234] error: disk full" could be either, so it is not guessed.
 * A caller is read from the message's start when it has the shape logd
 * writes ("FILE:LINE FUNC(): ", each name one word, "?" for none), so a
 * message sent without a caller that starts exactly so reads as one; after
 * a tag, it stays in the message too.
 *
 * Parsing points into the line: nothing is copied or allocated.  The JSON
 * written here escapes exactly as logd's JSON lines do, so a converted text
 * line reads like the same record written with format = json.
 */
#ifndef LOGD_LOGLINE_H
#define LOGD_LOGLINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct logline {
	int64_t		 ts_ns;
	const char	*ts;		/* the stamp in the line, LOGTIME_STAMP_LEN bytes */
	int		 priority;	/* 0-7 */
	int		 json;		/* a JSON line; else text */
	uint32_t	 pid;		/* text lines only; 0 for logd's own */
	int		 logd;		/* text lines: "[logd]", one of logd's own */
	int		 more;		/* text lines: "[pid+]", the message goes on */
	const char	*claimed;	/* text lines: "[pid @STAMP]": the sender's claimed time */
	/* Text lines: the caller's names as the line has them, still escaped. */
	const char	*file;		/* "file:line func(): " */
	size_t		 file_len;	/* 0: none ("?") */
	uint32_t	 line;		/* 0: none */
	const char	*func;
	size_t		 func_len;	/* 0: none ("?") */
	const char	*msg;		/* the message as the line has it, still escaped */
	size_t		 msg_len;	/* 0 also when a JSON line has no "message" */
};

/* The time of a text or JSON line from its first bytes: 0, or -EINVAL if it has none. */
int	logline_time(const char *line, size_t len, int64_t *ns);

/* Parses line (without its newline).  0, or -EINVAL if it is not one of logd's lines. */
int	logline_parse(const char *line, size_t len, struct logline *l);

/*
 * The message as it was sent (escapes undone) into out, which must hold
 * l->msg_len bytes: it never gets longer.  Returns its length.
 */
size_t	logline_message(const struct logline *l, char *out);

/*
 * A text line as one JSON object, keys as logd's JSON lines have them: ts,
 * priority, stream, pid (for logd's own lines "logd":true instead), ident,
 * message, file, line, func, "more":true for a continued part, and "claimed_ts".
 * No newline.  stdio's error indicator tells of a failed write.
 */
void	logline_write_json(FILE *f, const struct logline *l, const char *stream);

/* The bytes s as a JSON string, quotes included. */
void	logline_json_string(FILE *f, const char *s, size_t len);

#endif
