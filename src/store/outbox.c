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
