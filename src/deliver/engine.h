/*
 * deliver/engine.h - the delivery engine: one thread that takes the jobs
 * the outbox hands over (or pages in), sends them through a libcurl multi handle (keep-alive,
 * per-destination token buckets and concurrency caps), classifies each
 * outcome, retries with backoff, dead-letters, de-authorizes connections
 * that an endpoint refuses, and records every attempt.
 */
#ifndef EV_DELIVER_ENGINE_H
#define EV_DELIVER_ENGINE_H

#include <stdint.h>

#include "core/err.h"
#include "store/outbox.h"
#include "store/store.h"

typedef struct {
    ev_store_t *store;               /* configuration, connections, queues */
    ev_outbox_t *outbox;             /* jobs come from it, results go to it */
    const unsigned char *master_key; /* to open connection secrets */
    int64_t timeout_ms;              /* per request (AWS: 5 s) */
    const char *ca_file;             /* PEM certificates trusted besides the system's, or NULL */
    int64_t backoff_base_ms;         /* first retry delay bound (default 1 s) */
    int64_t backoff_cap_ms;          /* largest retry delay bound (default 60 s) */
    int senders;                     /* threads running HTTP transfers (0: two per core, <= 4) */
    size_t park_id_bytes;            /* memory for parked ids, all destinations (0: 16 MiB) */
    /* Delivers to an event-bus target (put the event on that bus). */
    ev_err (*bus_put)(void *ud, const char *account, const char *region, const char *bus_arn,
                      const char *event, size_t len);
    void *bus_put_ud;
} ev_engine_cfg_t;

typedef struct ev_engine ev_engine_t;

EV_MUST_CHECK ev_err ev_engine_start(const ev_engine_cfg_t *cfg, ev_engine_t **out, char *msg,
                                     size_t msglen);
/* Stops the engine: in-flight requests are abandoned (their jobs stay in the
 * outbox and are delivered again after the next start); results already
 * handed to the outbox are committed when it closes. Accepts NULL. */
void ev_engine_stop(ev_engine_t *e);

#endif
