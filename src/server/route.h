/*
 * server/route.h - one request in, one reply out: authentication, protocol
 * detection (awsJson1.1 or STS query), validation and the handler call.
 * Independent of the HTTP library so tests and fuzzers drive it directly.
 */
#ifndef EV_SERVER_ROUTE_H
#define EV_SERVER_ROUTE_H

#include <stddef.h>

#include "server/server.h"
#include "server/sigv4.h"

typedef struct {
    const char *method;
    const char *path;
    const char *query;                 /* canonical-encodable, without '?' */
    const ev_sigv4_header_t *headers;
    size_t nheaders;
    const char *body;                  /* NUL-terminated, body_len bytes */
    size_t body_len;
} ev_request_t;

typedef struct {
    int status;
    const char *content_type;
    const char *error_type;            /* AWS error code, NULL on success */
    const char *query_error;           /* x-amzn-query-error value (SQS errors), or NULL */
    char request_id[37];
    char *body;                        /* malloc'd */
    size_t body_len;
} ev_reply_t;

/* Answers one request. Never fails: errors become AWS error replies. */
void ev_route(const ev_server_cfg_t *cfg, const ev_request_t *req, ev_reply_t *out /* OUT */);

/* A JSON error reply (awsJson1.1 shape) for e with msg. */
void ev_route_error_reply(ev_reply_t *out /* OUT */, ev_err e, const char *msg);

void ev_reply_free(ev_reply_t *r);

#endif
