/*
 * store/outbox.h - the durable outbox of delivery jobs, an interface so that
 * a clustered backend can replace SQLite here without touching api/ or
 * deliver/.
 *
 * One writer thread owns every write to the outbox and the delivery history.
 * PutEvents enqueues the jobs an event produced and answers only once they
 * are committed and fsync'd; concurrent enqueues share one commit (group
 * commit). The delivery engine (the consumer) never writes itself: it hands
 * its results (done, retry at, dead) and history rows to the writer, which
 * folds them into the next commit. Committed jobs go straight to the
 * consumer in memory while it has room; when it has none, they stay in the
 * store only and the consumer pages them in later (ev_outbox_load), oldest
 * first. So the store is a write-ahead log: nothing polls it for due jobs.
 *
 * At-least-once: a result that was not committed before a crash leaves its
 * job in the outbox, and the job is delivered again after the restart.
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

/* A job as the consumer holds it: every string lives in one block (`mem`). */
typedef struct {
    int64_t id;
    char *account, *region, *event_id, *bus, *rule_arn, *target_id, *target_arn;
    unsigned char *payload; /* NUL-terminated for convenience */
    size_t payload_len;
    int64_t event_ms;
    int64_t due_ms;
    int attempts; /* attempts already made */
    int64_t group;    /* the stored row holding it: ids [group, group + group_n) */
    uint32_t group_n; /* (set by the outbox; a consumer keeps both with the id) */
    void *mem;
} ev_outbox_job_t;

/* Frees a job's strings (not the struct itself). Accepts an empty job. */
void ev_outbox_job_clear(ev_outbox_job_t *j);

/*
 * Opens the outbox on the database at path and starts its writer thread.
 * history_ms: how long attempts stay in the history (pruned by the writer).
 */
EV_MUST_CHECK ev_err ev_outbox_open(const char *path, int64_t history_ms, ev_outbox_t **out,
                                    char *msg, size_t msglen);
/* Stops the writer after everything already queued is committed. Accepts NULL. */
void ev_outbox_close(ev_outbox_t *o);

/*
 * Durably enqueues n jobs: returns once they are committed (fsync'd) or the
 * commit failed (EV_ERR_INTERNAL, nothing of them stored). n == 0 returns at once.
 */
EV_MUST_CHECK ev_err ev_outbox_enqueue(ev_outbox_t *o, const ev_job_t *jobs, size_t n);

/* Number of jobs not yet finished. */
EV_MUST_CHECK ev_err ev_outbox_pending(ev_outbox_t *o, int64_t *n);

/* ---- the consumer side (the delivery engine, one thread) ---- */

/*
 * Called by the writer thread after a commit with every job it just stored
 * (ids ascending; a target's jobs in the order they were enqueued). Returns 1 when the consumer takes them (the array and the
 * jobs become its own), 0 when it has no room (the jobs stay in the store
 * and come back through ev_outbox_load). Must not block.
 */
typedef int (*ev_outbox_take_fn)(void *arg, ev_outbox_job_t *jobs, size_t n);

/* Sets (or, with NULL, clears) the consumer. Until one is set, and whenever it
 * refused jobs, stored jobs wait for ev_outbox_load. */
void ev_outbox_set_consumer(ev_outbox_t *o, ev_outbox_take_fn take, void *arg);

/*
 * Pages in up to max stored jobs the consumer has not received yet, oldest
 * first. *n == 0 when there are none (the common case: a cheap check).
 * Consumer thread only.
 */
EV_MUST_CHECK ev_err ev_outbox_load(ev_outbox_t *o, size_t max, ev_outbox_job_t **jobs,
                                    size_t *n);
/*
 * Pages in, oldest first, up to max stored jobs for target_arn with ids in
 * [from, to]: jobs the consumer let go of while that target's queue was long
 * (it parks them, ids only as a range, and reads them back as the queue
 * empties). *n == 0 when there are none. Consumer thread only.
 */
EV_MUST_CHECK ev_err ev_outbox_load_target(ev_outbox_t *o, const char *target_arn, int64_t from,
                                           int64_t to, size_t max, ev_outbox_job_t **jobs,
                                           size_t *n);
/* Reads one stored job again by id (a job the consumer let go of while it
 * waited for a retry). EV_ERR_NOT_FOUND when it is gone. Consumer thread only. */
EV_MUST_CHECK ev_err ev_outbox_load_one(ev_outbox_t *o, int64_t id, ev_outbox_job_t *job);

/* Reads up to EV_OUTBOX_LOAD_SOME stored jobs by (distinct) id in one query:
 * jobs[i] is filled (jobs[i].mem != NULL) for each ids[i] still stored; jobs
 * must come zeroed. Consumer thread only. */
#define EV_OUTBOX_LOAD_SOME 64
EV_MUST_CHECK ev_err ev_outbox_load_some(ev_outbox_t *o, const int64_t *ids, size_t n,
                                         ev_outbox_job_t *jobs);

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

/*
 * Hands results to the writer (copied; returns at once): done and dead jobs
 * leave the outbox, retried ones are stored with their next due time and
 * attempt count; attempts go to the history. Committed with the next group.
 */
void ev_outbox_results(ev_outbox_t *o, const ev_job_result_t *res, size_t n);
/* Records an attempt that belongs to no job (an OAuth token request); async. */
void ev_outbox_record(ev_outbox_t *o, const char *account, const char *region,
                      const char *connection_arn, const char *endpoint, int64_t time_ms,
                      int status, const char *result, const char *error, int64_t latency_ms);
/* Returns once everything handed to the writer so far is committed. */
void ev_outbox_sync(ev_outbox_t *o);

#endif
