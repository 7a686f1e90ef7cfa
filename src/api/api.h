/*
 * api/api.h - the control plane: one handler per AWS operation, called by
 * the server after authentication and first-level validation, inside one
 * store transaction that commits only if the handler succeeds.
 */
#ifndef EV_API_API_H
#define EV_API_API_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define EV_MAX_CONNECTIONS 3000
#define EV_MAX_API_DESTINATIONS 3000
#define EV_MAX_TAGS 50
#define EV_DEFAULT_RATE_LIMIT 300

/* Server-wide state the handlers share; built by main, read-only afterwards. */
typedef struct {
    ev_store_t *store;
    struct ev_outbox *outbox;  /* delivery jobs (store/outbox.h) */
    unsigned char master_key[EV_KEY_BYTES];
    int allow_http_endpoints;
    int max_rules_per_bus; /* 0: AWS's default quota (300) */
} ev_app_t;

/* One API call. */
typedef struct ev_call {
    ev_app_t *app;
    ev_scope_t scope;  /* caller's account, request region */
    json_t *in;        /* request object (borrowed) */
    json_t *out;       /* response object the handler fills */
    const char *body;  /* the raw request body (for ev_op_t.fast) */
    size_t body_len;
    char *out_raw;     /* a response already serialised (malloc'd): sent instead of out */
    size_t out_raw_len;
    char *errmsg;      /* set by ev_fail */
    int64_t now_ms;    /* one timestamp for the whole call */
    const char *principal; /* caller's IAM ARN (arn:aws:iam::<account>:root) */
    const char *host;      /* the request's Host header, or NULL (SQS queue URLs) */
    void (*after_failure)(struct ev_call *c, void *arg); /* see ev__after_failure */
    void *after_failure_arg;
} ev_call_t;

typedef ev_err (*ev_op_fn)(ev_call_t *c);

/* ev_op_t.writes: a read transaction (0), a write transaction (1), or none:
 * the handler manages the store itself (PutEvents). */
#define EV_OP_NO_TRANSACTION (-1)

typedef struct {
    const char *target; /* "AWSEvents.CreateConnection" */
    ev_op_fn fn;
    int writes;
} ev_op_t;

/* The handler of an X-Amz-Target value, or NULL. */
const ev_op_t *ev_api_find(const char *target);

/*
 * The fast path of an op that has one (PutEvents): answers the call from the
 * raw body (c->body; c->in is NULL) when the body is in the common form it
 * reads, setting *rc (and c->out_raw or c->errmsg) and returning 1. Returns
 * 0, having done nothing, for anything else: the call then takes the
 * generic parse, validation and handler, which answer exactly as it would.
 */
int ev_api_fast(const char *target, ev_call_t *c, ev_err *rc);

/* Records the error message of a failing call and returns e. */
ev_err ev_fail(ev_call_t *c, ev_err e, const char *fmt, ...) EV_PRINTF(3, 4);

/* Prepares shared state (the built-in default key of a scope is created lazily). */
EV_MUST_CHECK ev_err ev_api_init(ev_app_t *app, char *msg, size_t msglen);

/*
 * The delivery history, newest first: {"Deliveries": [...]} (NULL on a store
 * error). rule / destination: a name or an ARN, or NULL; account NULL: all.
 */
json_t *ev_api_deliveries_json(ev_store_t *st, const char *account, const char *rule,
                               const char *destination, int failed_only, int limit);
/* Prints ev_api_deliveries_json's document as a table. */
void ev_api_deliveries_print(FILE *f, const json_t *doc);

/*
 * Puts an event (envelope JSON) on a bus of the same account and region, as
 * an event-bus target does: its rules match it and their targets get jobs
 * (same event id). EV_ERR_NOT_FOUND: no such bus; EV_ERR_ACCESS_DENIED:
 * another account or region.
 */
EV_MUST_CHECK ev_err ev_api_bus_put(ev_app_t *app, const char *account, const char *region,
                                    const char *bus_arn, const char *event, size_t len);

/* The thread that fires scheduled rules (rate() and cron()). */
typedef struct ev_scheduler ev_scheduler_t;
EV_MUST_CHECK ev_err ev_scheduler_start(ev_app_t *app, ev_scheduler_t **out);
void ev_scheduler_stop(ev_scheduler_t *s);

/* Ends pending SQS ReceiveMessage long polls at once, and every later one
 * after a single attempt (call before ev_server_stop, which waits for them). */
void ev_api_stop_waiting(void);

/* Releases caches built while serving (call after the server stopped). */
void ev_api_cleanup(void);

#endif
