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

/* Called by the writer thread after each commit (e.g. to wake the engine). */
void ev_outbox_set_notify(ev_outbox_t *o, void (*fn)(void *arg), void *arg);

/* ---- the consumer side (the delivery engine; one thread, own connection) ---- */

typedef struct ev_outbox_reader ev_outbox_reader_t;

/* A claimed job (owned strings). */
typedef struct {
    int64_t id;
    char *account, *region, *event_id, *bus, *rule_arn, *target_id, *target_arn;
    unsigned char *payload;
    size_t payload_len;
    int64_t event_ms;
    int attempts; /* attempts already made */
} ev_outbox_job_t;

typedef enum { EV_JOB_DONE, EV_JOB_RETRY, EV_JOB_DEAD } ev_job_outcome_t;

/* What became of one attempt (or of a job that was never attempted). */
typedef struct {
    const ev_outbox_job_t *job;
    ev_job_outcome_t outcome;
    int64_t due_ms;        /* EV_JOB_RETRY: next attempt not before */
    int attempted;         /* a request was sent: record it in the history */
    int64_t time_ms;       /* when the attempt started */
    int status;            /* HTTP status, 0 when none */
    const char *result;    /* "success", "retry", "failed", "dead-lettered", "dropped" */
    const char *error;     /* error class / message, NULL on success */
    int64_t latency_ms;
    const char *response;  /* first bytes of the response body */
    size_t response_len;
} ev_job_result_t;

EV_MUST_CHECK ev_err ev_outbox_reader_open(const char *path, ev_outbox_reader_t **out,
                                           char *msg, size_t msglen);
void ev_outbox_reader_close(ev_outbox_reader_t *r);
/* Jobs claimed by a process that stopped go back to pending (at start). */
EV_MUST_CHECK ev_err ev_outbox_recover(ev_outbox_reader_t *r);
/* Claims up to max pending jobs due at now_ms, oldest first. */
EV_MUST_CHECK ev_err ev_outbox_claim(ev_outbox_reader_t *r, int64_t now_ms, int max,
                                     ev_outbox_job_t **jobs, size_t *n);
void ev_outbox_jobs_free(ev_outbox_job_t *jobs, size_t n);
/* Applies results in one transaction: done/dead jobs leave the outbox,
 * retried ones become pending again at due_ms; attempts go to the history. */
EV_MUST_CHECK ev_err ev_outbox_finish(ev_outbox_reader_t *r, const ev_job_result_t *res,
                                      size_t n);
/* Records an attempt that belongs to no job (an OAuth token request). */
EV_MUST_CHECK ev_err ev_outbox_record(ev_outbox_reader_t *r, const char *account,
                                      const char *region, const char *connection_arn,
                                      const char *endpoint, int64_t time_ms, int status,
                                      const char *result, const char *error, int64_t latency_ms);

/* Earliest due time of a pending job, or INT64_MAX. */
EV_MUST_CHECK ev_err ev_outbox_next_due(ev_outbox_reader_t *r, int64_t *due_ms);
/* Deletes history older than before_ms. */
EV_MUST_CHECK ev_err ev_outbox_prune_history(ev_outbox_reader_t *r, int64_t before_ms);

#endif
