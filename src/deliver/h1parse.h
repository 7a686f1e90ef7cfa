/*
 * deliver/h1parse.h - an incremental HTTP/1.x response parser for the
 * delivery client (h1.c): status line, the headers a delivery needs
 * (Content-Length, Transfer-Encoding, Connection, Retry-After), interim 1xx
 * responses, and a body delimited by length, chunks or the end of the
 * connection. The first `keep` body bytes are kept; the rest is read and
 * dropped. Pure: no I/O and no allocation, so it is unit-tested and fuzzed
 * alone.
 */
#ifndef EV_DELIVER_H1PARSE_H
#define EV_DELIVER_H1PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"

#define EV_H1_LINE_MAX 4096           /* bytes of one header line kept */
#define EV_H1_HEAD_MAX (100 * 1024)   /* all header lines of a response */
#define EV_H1_RETRY_AFTER_MAX 128

typedef struct {
    /* Results, valid once ev_h1resp_done(). */
    int status;                                 /* the final status, 200..599 */
    int keep_alive;                             /* the connection may carry another request */
    char retry_after[EV_H1_RETRY_AFTER_MAX];    /* Retry-After value, trimmed; "" when none */
    size_t body_bytes;                          /* body bytes read (kept or not) */

    /* The body's first `keep` bytes are appended to `body` (NULL: none kept). */
    ev_buf_t *body;
    size_t keep;

    /* Parser state. */
    int state;
    int head;        /* the request was HEAD: no body follows */
    int minor;       /* HTTP/1.minor */
    int chunked, has_len, conn_close, conn_keep;
    uint64_t remaining; /* body or chunk bytes still to come */
    size_t line_len;    /* bytes in line (at most EV_H1_LINE_MAX) */
    size_t line_total;  /* bytes of the current line before its LF, kept or not */
    int cut;            /* the line was longer than p->line holds */
    size_t head_bytes;  /* header bytes of this response so far */
    uint64_t got;       /* bytes fed so far */
    char line[EV_H1_LINE_MAX];
} ev_h1resp_t;

/* Prepares for a response to a request (`head`: the request was HEAD). */
void ev_h1resp_init(ev_h1resp_t *p, int head, ev_buf_t *body, size_t keep);

/*
 * Feeds received bytes. Returns how many were consumed: all of them, or
 * fewer when the response ended before them (bytes the server sent after
 * its response). -1: not an HTTP/1.x response, or one this parser refuses
 * (a header block over EV_H1_HEAD_MAX, conflicting lengths, a bad chunk).
 */
ssize_t ev_h1resp_feed(ev_h1resp_t *p, const char *buf, size_t len);

/* The server closed the connection: 1 when that ends the response
 * (a body delimited by the close), 0 when the response is cut short. */
int ev_h1resp_eof(ev_h1resp_t *p);

/* The whole response was read. */
int ev_h1resp_done(const ev_h1resp_t *p);

#endif
