/*
 * store/outbox.c - the SQLite outbox with group commit. Callers queue a
 * batch and sleep; one writer thread takes every queued batch, writes them
 * in one transaction (synchronous=FULL: the commit is fsync'd) and wakes
 * their callers. Under load many PutEvents calls share each fsync.
 */
#include "store/outbox.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "util/util.h"

typedef struct batch {
    const ev_job_t *jobs;
    size_t n;
    int done;
    ev_err rc;
    struct batch *next;
} batch_t;

struct ev_outbox {
    sqlite3 *db;
    sqlite3_stmt *insert;
    pthread_t writer;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a batch was queued, or stop */
    pthread_cond_t done;  /* a commit finished */
    batch_t *head, *tail;
    int stop;
    void (*notify)(void *arg);
    void *notify_arg;
};

static const char insert_sql[] =
    "INSERT INTO outbox (account, region, event_id, bus, rule_arn, target_id, target_arn, "
    "payload, event_ms, due_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

static int insert_job(ev_outbox_t *o, const ev_job_t *j)
{
    sqlite3_stmt *s = o->insert;
    int r;

    sqlite3_bind_text(s, 1, j->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, j->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, j->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, j->bus, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, j->rule_arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, j->target_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, j->target_arn, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 8, j->payload, (int)j->payload_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, j->event_ms);
    sqlite3_bind_int64(s, 10, j->due_ms);
    r = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return r == SQLITE_DONE ? 0 : -1;
}

/* Writes a chain of batches in one transaction. */
static ev_err commit(ev_outbox_t *o, batch_t *chain)
{
    if (sqlite3_exec(o->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (batch_t *b = chain; b; b = b->next)
        for (size_t i = 0; i < b->n; i++)
            if (insert_job(o, &b->jobs[i]) != 0)
                goto rollback;
    if (sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return EV_OK;
rollback:
    ev_error("outbox: %s", sqlite3_errmsg(o->db));
    sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
    return EV_ERR_INTERNAL;
fail:
    ev_error("outbox: %s", sqlite3_errmsg(o->db));
    return EV_ERR_INTERNAL;
}

static void *writer_main(void *arg)
{
    ev_outbox_t *o = arg;

    pthread_mutex_lock(&o->lock);
    for (;;) {
        batch_t *chain;
        ev_err rc;

        while (!o->head && !o->stop)
            pthread_cond_wait(&o->work, &o->lock);
        if (!o->head && o->stop)
            break;
        chain = o->head;
        o->head = o->tail = NULL;
        pthread_mutex_unlock(&o->lock);
        rc = commit(o, chain);
        pthread_mutex_lock(&o->lock);
        for (batch_t *b = chain; b; b = b->next) {
            b->rc = rc;
            b->done = 1;
        }
        pthread_cond_broadcast(&o->done);
        if (rc == EV_OK && o->notify)
            o->notify(o->notify_arg);
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

ev_err ev_outbox_open(const char *path, ev_outbox_t **out, char *msg, size_t msglen)
{
    ev_outbox_t *o = ev_xcalloc(1, sizeof(*o));

    *out = NULL;
    if (sqlite3_open_v2(path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(o->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(o->db, 10000) != SQLITE_OK ||
        sqlite3_prepare_v3(o->db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &o->insert,
                           NULL) != SQLITE_OK) {
        snprintf(msg, msglen, "cannot open the outbox in %s: %s", path,
                 o->db ? sqlite3_errmsg(o->db) : "out of memory");
        sqlite3_finalize(o->insert);
        sqlite3_close(o->db);
        free(o);
        return EV_ERR_INTERNAL;
    }
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->work, NULL);
    pthread_cond_init(&o->done, NULL);
    if (pthread_create(&o->writer, NULL, writer_main, o) != 0) {
        snprintf(msg, msglen, "cannot start the outbox writer");
        sqlite3_finalize(o->insert);
        sqlite3_close(o->db);
        free(o);
        return EV_ERR_INTERNAL;
    }
    *out = o;
    return EV_OK;
}

void ev_outbox_close(ev_outbox_t *o)
{
    if (!o)
        return;
    pthread_mutex_lock(&o->lock);
    o->stop = 1;
    pthread_cond_signal(&o->work);
    pthread_mutex_unlock(&o->lock);
    pthread_join(o->writer, NULL);
    sqlite3_finalize(o->insert);
    sqlite3_close(o->db);
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->work);
    pthread_cond_destroy(&o->done);
    free(o);
}

ev_err ev_outbox_enqueue(ev_outbox_t *o, const ev_job_t *jobs, size_t n)
{
    batch_t b = {jobs, n, 0, EV_OK, NULL};

    if (n == 0)
        return EV_OK;
    pthread_mutex_lock(&o->lock);
    if (o->stop) {
        pthread_mutex_unlock(&o->lock);
        return EV_ERR_INTERNAL;
    }
    if (o->tail)
        o->tail->next = &b;
    else
        o->head = &b;
    o->tail = &b;
    pthread_cond_signal(&o->work);
    while (!b.done)
        pthread_cond_wait(&o->done, &o->lock);
    pthread_mutex_unlock(&o->lock);
    return b.rc;
}

ev_err ev_outbox_pending(ev_outbox_t *o, int64_t *n)
{
    sqlite3_stmt *s = NULL;
    ev_err rc = EV_ERR_INTERNAL;

    /* The writer owns the connection's statements; this one is short-lived. */
    pthread_mutex_lock(&o->lock);
    if (sqlite3_prepare_v2(o->db, "SELECT count(*) FROM outbox WHERE state IN ('pending', "
                           "'claimed')", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        *n = sqlite3_column_int64(s, 0);
        rc = EV_OK;
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&o->lock);
    return rc;
}

void ev_outbox_set_notify(ev_outbox_t *o, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&o->lock);
    o->notify = fn;
    o->notify_arg = arg;
    pthread_mutex_unlock(&o->lock);
}

/* ---- consumer ---- */

struct ev_outbox_reader {
    sqlite3 *db;
    sqlite3_stmt *claim, *del, *retry, *history, *next_due;
};

static const char claim_sql[] =
    "UPDATE outbox SET state = 'inflight', claimed_ms = ?1 WHERE id IN (SELECT id FROM outbox "
    "WHERE state = 'pending' AND due_ms <= ?1 ORDER BY due_ms, id LIMIT ?2) RETURNING id, "
    "account, region, event_id, bus, rule_arn, target_id, target_arn, payload, event_ms, "
    "attempts";
static const char del_sql[] = "DELETE FROM outbox WHERE id = ?1";
static const char retry_sql[] =
    "UPDATE outbox SET state = 'pending', due_ms = ?2, attempts = ?3 WHERE id = ?1";
static const char history_sql[] =
    "INSERT INTO attempts (account, region, event_id, rule_arn, target_id, target_arn, attempt, "
    "time_ms, status, outcome, error, latency_ms, response) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8, ?9, ?10, ?11, ?12, ?13)";
static const char next_due_sql[] = "SELECT min(due_ms) FROM outbox WHERE state = 'pending'";

ev_err ev_outbox_reader_open(const char *path, ev_outbox_reader_t **out, char *msg,
                             size_t msglen)
{
    ev_outbox_reader_t *r = ev_xcalloc(1, sizeof(*r));
    unsigned int f = SQLITE_PREPARE_PERSISTENT;

    *out = NULL;
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(r->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(r->db, 10000) != SQLITE_OK ||
        sqlite3_prepare_v3(r->db, claim_sql, -1, f, &r->claim, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(r->db, del_sql, -1, f, &r->del, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(r->db, retry_sql, -1, f, &r->retry, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(r->db, history_sql, -1, f, &r->history, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(r->db, next_due_sql, -1, f, &r->next_due, NULL) != SQLITE_OK) {
        snprintf(msg, msglen, "cannot open the outbox reader in %s: %s", path,
                 r->db ? sqlite3_errmsg(r->db) : "out of memory");
        ev_outbox_reader_close(r);
        return EV_ERR_INTERNAL;
    }
    *out = r;
    return EV_OK;
}

void ev_outbox_reader_close(ev_outbox_reader_t *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->claim);
    sqlite3_finalize(r->del);
    sqlite3_finalize(r->retry);
    sqlite3_finalize(r->history);
    sqlite3_finalize(r->next_due);
    sqlite3_close(r->db);
    free(r);
}

ev_err ev_outbox_recover(ev_outbox_reader_t *r)
{
    if (sqlite3_exec(r->db, "UPDATE outbox SET state = 'pending' WHERE state = 'inflight'", NULL,
                     NULL, NULL) != SQLITE_OK) {
        ev_error("outbox: %s", sqlite3_errmsg(r->db));
        return EV_ERR_INTERNAL;
    }
    return EV_OK;
}

static char *col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);

    return ev_xstrdup(t ? (const char *)t : "");
}

ev_err ev_outbox_claim(ev_outbox_reader_t *r, int64_t now_ms, int max, ev_outbox_job_t **jobs,
                       size_t *n_out)
{
    ev_outbox_job_t *list = ev_xcalloc((size_t)(max > 0 ? max : 1), sizeof(*list));
    size_t n = 0;
    int rc = SQLITE_DONE;

    *jobs = NULL;
    *n_out = 0;
    sqlite3_bind_int64(r->claim, 1, now_ms);
    sqlite3_bind_int(r->claim, 2, max);
    while (n < (size_t)max && (rc = sqlite3_step(r->claim)) == SQLITE_ROW) {
        ev_outbox_job_t *j = &list[n++];
        const void *p = sqlite3_column_blob(r->claim, 8);
        int len = sqlite3_column_bytes(r->claim, 8);

        j->id = sqlite3_column_int64(r->claim, 0);
        j->account = col(r->claim, 1);
        j->region = col(r->claim, 2);
        j->event_id = col(r->claim, 3);
        j->bus = col(r->claim, 4);
        j->rule_arn = col(r->claim, 5);
        j->target_id = col(r->claim, 6);
        j->target_arn = col(r->claim, 7);
        j->payload = ev_xmalloc((size_t)len + 1);
        if (len)
            memcpy(j->payload, p, (size_t)len);
        j->payload[len] = 0;
        j->payload_len = (size_t)len;
        j->event_ms = sqlite3_column_int64(r->claim, 9);
        j->attempts = sqlite3_column_int(r->claim, 10);
    }
    /* Never step again after an error (e.g. SQLITE_BUSY on the first step):
     * a second step would run the UPDATE and its rows would be lost. */
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite3_reset(r->claim);
        if (n == 0) { /* the statement failed as a whole: nothing was claimed */
            free(list);
            return EV_ERR_INTERNAL;
        }
        /* Rows already returned are claimed: hand them over, never drop them. */
        ev_error("outbox: claim interrupted: %s", sqlite3_errmsg(r->db));
        *jobs = list;
        *n_out = n;
        return EV_OK;
    }
    if (rc == SQLITE_ROW) {
        /* The limit is reached: step to the end so the statement completes; the
         * subquery's LIMIT guarantees no further row. */
        while (sqlite3_step(r->claim) == SQLITE_ROW)
            ev_error("outbox: claim returned more rows than asked");
    }
    sqlite3_reset(r->claim);
    *jobs = list;
    *n_out = n;
    return EV_OK;
}

void ev_outbox_jobs_free(ev_outbox_job_t *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(jobs[i].account);
        free(jobs[i].region);
        free(jobs[i].event_id);
        free(jobs[i].bus);
        free(jobs[i].rule_arn);
        free(jobs[i].target_id);
        free(jobs[i].target_arn);
        free(jobs[i].payload);
    }
    free(jobs);
}

static int record(ev_outbox_reader_t *r, const ev_job_result_t *x)
{
    sqlite3_stmt *s = r->history;
    const ev_outbox_job_t *j = x->job;
    int rc;

    sqlite3_bind_text(s, 1, j->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, j->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, j->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, j->rule_arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, j->target_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, j->target_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 7, j->attempts + 1);
    sqlite3_bind_int64(s, 8, x->time_ms);
    sqlite3_bind_int(s, 9, x->status);
    sqlite3_bind_text(s, 10, x->result, -1, SQLITE_STATIC);
    if (x->error)
        sqlite3_bind_text(s, 11, x->error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 11);
    sqlite3_bind_int64(s, 12, x->latency_ms);
    sqlite3_bind_blob(s, 13, x->response, (int)x->response_len, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

ev_err ev_outbox_finish(ev_outbox_reader_t *r, const ev_job_result_t *res, size_t n)
{
    if (n == 0)
        return EV_OK;
    if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const ev_job_result_t *x = &res[i];
        sqlite3_stmt *s = x->outcome == EV_JOB_RETRY ? r->retry : r->del;
        int rc;

        sqlite3_bind_int64(s, 1, x->job->id);
        if (x->outcome == EV_JOB_RETRY) {
            sqlite3_bind_int64(s, 2, x->due_ms);
            sqlite3_bind_int(s, 3, x->job->attempts + (x->attempted ? 1 : 0));
        }
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        /* Attempts, and jobs that ended without one, go to the history. */
        if (rc != SQLITE_DONE ||
            ((x->attempted || x->outcome == EV_JOB_DEAD) && x->result && record(r, x) != 0))
            goto rollback;
    }
    if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return EV_OK;
rollback:
    ev_error("outbox: %s", sqlite3_errmsg(r->db));
    sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return EV_ERR_INTERNAL;
fail:
    ev_error("outbox: %s", sqlite3_errmsg(r->db));
    return EV_ERR_INTERNAL;
}

ev_err ev_outbox_next_due(ev_outbox_reader_t *r, int64_t *due_ms)
{
    ev_err rc = EV_ERR_INTERNAL;

    if (sqlite3_step(r->next_due) == SQLITE_ROW) {
        *due_ms = sqlite3_column_type(r->next_due, 0) == SQLITE_NULL
                      ? INT64_MAX
                      : sqlite3_column_int64(r->next_due, 0);
        rc = EV_OK;
    }
    sqlite3_reset(r->next_due);
    return rc;
}

ev_err ev_outbox_prune_history(ev_outbox_reader_t *r, int64_t before_ms)
{
    sqlite3_stmt *s = NULL;
    ev_err rc = EV_ERR_INTERNAL;

    if (sqlite3_prepare_v2(r->db, "DELETE FROM attempts WHERE time_ms < ?1", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(s, 1, before_ms);
        if (sqlite3_step(s) == SQLITE_DONE)
            rc = EV_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

ev_err ev_outbox_record(ev_outbox_reader_t *r, const char *account, const char *region,
                        const char *connection_arn, const char *endpoint, int64_t time_ms,
                        int status, const char *result, const char *error, int64_t latency_ms)
{
    ev_outbox_job_t j;
    ev_job_result_t x;
    int rc;

    memset(&j, 0, sizeof(j));
    memset(&x, 0, sizeof(x));
    j.account = (char *)account;
    j.region = (char *)region;
    j.event_id = "";
    j.rule_arn = (char *)connection_arn;
    j.target_id = "oauth-token";
    j.target_arn = (char *)endpoint;
    x.job = &j;
    x.time_ms = time_ms;
    x.status = status;
    x.result = result;
    x.error = error;
    x.latency_ms = latency_ms;
    rc = record(r, &x);
    return rc == 0 ? EV_OK : EV_ERR_INTERNAL;
}
