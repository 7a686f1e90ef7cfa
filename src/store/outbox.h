/*
 * store/outbox.h - the durable outbox of delivery jobs. PutEvents enqueues
 * the jobs an event produced and answers only once they are committed and
 * fsync'd; concurrent enqueues share one commit (group commit by one writer
 * thread on its own connection). The delivery engine claims due jobs,
 * completes, reschedules or dead-letters them. An interface, so that a
 * clustered backend can replace SQLite here without touching api/ or deliver/.
 */
#ifndef EV_STORE_OUTBOX_H
#define EV_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct ev_outbox ev_outbox_t;

/* One (event, rule, target) delivery. Strings are borrowed for the call. */
typedef struct {
    const char *account;
    const char *region;
    const char *event_id;
    const char *bus;
    const char *rule_arn;
    const char *target_id;
    const char *target_arn;
    const char *payload; /* the bytes the target receives */
    size_t payload_len;
    int64_t event_ms;    /* when the event was accepted (event age) */
    int64_t due_ms;      /* first attempt not before */
} ev_job_t;

/* Opens the outbox on the database at path and starts its writer thread. */
EV_MUST_CHECK ev_err ev_outbox_open(const char *path, ev_outbox_t **out, char *msg,
                                    size_t msglen);
/* Stops the writer after the batches already queued are committed. Accepts NULL. */
void ev_outbox_close(ev_outbox_t *o);

/*
 * Durably enqueues n jobs: returns once they are committed (fsync'd) or the
 * commit failed (EV_ERR_INTERNAL, nothing of them stored). n == 0 returns at once.
 */
EV_MUST_CHECK ev_err ev_outbox_enqueue(ev_outbox_t *o, const ev_job_t *jobs, size_t n);

/* Number of jobs not yet finished (pending or claimed). */
EV_MUST_CHECK ev_err ev_outbox_pending(ev_outbox_t *o, int64_t *n);

#endif
