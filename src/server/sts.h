/*
 * server/sts.h - the STS query protocol (form-encoded Action=..., XML
 * answers): GetCallerIdentity only.
 */
#ifndef EV_SERVER_STS_H
#define EV_SERVER_STS_H

#include "server/route.h"

/* True when the request is a query-protocol call (an Action parameter). */
int ev_sts_is_query(const ev_request_t *req);

/* Answers an authenticated query-protocol call. */
void ev_sts_handle(const ev_request_t *req, const ev_sigv4_identity_t *id, const char *account,
                   ev_reply_t *out /* OUT */);

/* An XML ErrorResponse for e. */
void ev_sts_error_reply(ev_reply_t *out /* OUT */, ev_err e, const char *msg);

#endif
