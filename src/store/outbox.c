/*
 * store/outbox.c - the SQLite outbox. One writer thread owns the write
 * connection: it takes everything queued since its last commit (PutEvents
 * batches whose callers sleep until the commit, the engine's results and
 * history rows, which nobody waits for) and writes it in one transaction
 * (synchronous=FULL: the commit is fsync'd). Committed jobs then go to the
 * consumer in memory, or stay in the store for ev_outbox_load when it is
 * full ("spilled"). A second connection serves the consumer's reads.
 *
 * Ids are assigned here, ascending within a process lifetime (SQLite alone
 * could reuse the largest rowid once it is deleted): the consumer holds every
 * job up to `hw` and none above it, so paging in is `id > hw`.
 */
#include "store/outbox.h"

#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/attlog.h"
#include "util/util.h"

#define WRITER_NICE (-5)

enum { I_ENQUEUE, I_RESULTS, I_SYNC };

/*
 * Checkpoints: once the WAL holds CHECKPOINT_PAGES (4 MB), a checkpointer
 * thread copies it into the database (PASSIVE, its own connection), so
 * commits go on meanwhile; then the writer, between two commits, copies the
 * few pages appended since (TAIL_PAGES at most). Nothing is appended while it
 * does, so the checkpoint completes and the next commit starts the WAL over
 * from its beginning: the file stays small and in the page cache. (The
 * checkpointer alone never completed under load: the WAL grew by ~70 MB/s,
 * and new file pages cost several times cached ones. The writer alone
 * stalled PutEvents 32-69 ms per checkpoint while the database grew.)
 */
#define CHECKPOINT_PAGES 1024
#define TAIL_PAGES 256
#define IDLE_CHECKPOINT_MS 1000 /* an idle writer checkpoints what is left after this */
#define COMMIT_GAP_US 1000 /* default least time between two fsync'd commits */
/*
 * Finished jobs leave the outbox in bulk, in id order: deleting each as it
 * finishes rewrote a page per row (jobs of many destinations finish out of
 * order; 20 us of the writer per delete against 3 in order). Until then a
 * commit records their ids in outbox_done (one row per commit), so a restart
 * never delivers them again.
 */
#define BULK_DELETE 4096   /* finished jobs that trigger the bulk delete */
#define DELETE_AFTER_MS 100 /* ... or the age of the oldest of them */
#define DELETE_CHUNK 256    /* deletes per transaction of a bulk delete, so that
                             * PutEvents commits get their turn between them (a
                             * bulk of ~1,500 scattered rows took 11-32 ms) */

/* One finished attempt or job, copied for the writer (strings in `mem`). */
typedef struct {
    int64_t id;    /* the job's row; 0: a history row of no job */
    int op;        /* F_NONE, F_DELETE, F_RETRY */
    int64_t due_ms;
    int attempts;  /* F_RETRY: attempts made so far */
    int history;   /* write a history row */
    const char *account, *region, *event_id, *rule_arn, *target_id, *target_arn;
    int attempt;
    int64_t time_ms;
    int status;
    const char *outcome, *error, *response;
    size_t response_len;
    int64_t latency_ms;
    char *mem;
} fin_t;

enum { F_NONE, F_DELETE, F_RETRY };

typedef struct item {
    int kind;
    ev_outbox_job_t *jobs; /* I_ENQUEUE: owned until handed to the consumer */
    fin_t *fins;           /* I_RESULTS: owned by the writer */
    size_t n;
    int waited;            /* a caller sleeps until done (I_ENQUEUE, I_SYNC) */
    sem_t done;            /* posted by the writer after the commit */
    ev_err rc;
    struct item *next;
} item_t;

struct ev_outbox {
    sqlite3 *db; /* the writer's */
    sqlite3_stmt *insert, *del, *retry, *history, *prune, *prune_old, *done_add, *done_clear;
    sqlite3 *rdb; /* the consumer's reads (and pending counts) */
    sqlite3_stmt *load, *load_some, *load_target;
    pthread_mutex_t rlock; /* rdb */
    pthread_t writer;
    int wal_pages;        /* WAL pages not yet checkpointed (writer only) */
    sqlite3 *cdb;         /* the checkpointer's */
    pthread_t checkpointer;
    pthread_cond_t ckpt;  /* a checkpoint is wanted, or stop */
    int ckpt_want, ckpt_running;
    int bg_log, bg_done;  /* the checkpointer's last pass: WAL pages, pages copied (lock) */
    pthread_mutex_t lock;
    pthread_cond_t work; /* something was queued, or stop */
    item_t *head, *tail;
    int stop;
    int64_t next_id;  /* writer only */
    int sync_full;    /* the writer connection's synchronous is FULL (writer only) */
    int64_t last_id;  /* the largest committed id */
    int64_t hw;       /* the consumer holds (or held) every job up to hw */
    int spilled;      /* committed jobs above hw wait in the store */
    ev_outbox_take_fn take;
    void *take_arg;
    int64_t history_ms, last_prune_ms;
    int64_t *dels;       /* finished jobs still in the outbox (writer only) */
    size_t ndels, dels_cap;
    int64_t dels_since_ms; /* when the oldest of them finished */
    int64_t *bulk;       /* the bulk delete under way: sorted, done up to bulk_off */
    size_t nbulk, bulk_off, bulk_cap;
    int64_t bulk_rows;   /* outbox_done rows up to this id cover it */
    int64_t last_tomb;   /* the newest outbox_done row */
    atomic_llong ndels_seen; /* finished jobs not deleted yet, for ev_outbox_pending */
    ev_buf_t tomb;       /* the ids the commit being written finishes */
    int64_t gap_us;      /* least time between two fsync'd commits */
    int64_t synced_us;   /* when the last fsync'd commit ended (writer only) */
    ev_buf_t hist;       /* the attempts of the commit being written (writer only) */
    size_t hist_n;       /* records in it */
    int64_t hist_newest; /* time of the newest */
};

#define HIST_ROW_MAX (4 << 20) /* a commit with more history bytes stores several rows */

static const char insert_sql[] =
    "INSERT INTO outbox (id, account, region, event_id, bus, rule_arn, target_id, target_arn, "
    "payload, event_ms, due_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char del_sql[] = "DELETE FROM outbox WHERE id = ?1";
static const char retry_sql[] = "UPDATE outbox SET due_ms = ?2, attempts = ?3 WHERE id = ?1";
static const char history_sql[] =
    "INSERT INTO attempt_log (time_ms, n, recs) VALUES (?1, ?2, ?3)";
/* Bounded, so that a long backlog of old history never stalls a commit; run
 * every second, which keeps up with a row per commit. `attempts` holds the
 * history written before attempt_log existed (schema 7). */
static const char prune_sql[] =
    "DELETE FROM attempt_log WHERE id IN (SELECT id FROM attempt_log WHERE time_ms < ?1 "
    "LIMIT 2000)";
static const char done_add_sql[] = "INSERT INTO outbox_done (ids) VALUES (?1)";
static const char done_clear_sql[] = "DELETE FROM outbox_done WHERE id <= ?1";
static const char prune_old_sql[] =
    "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE time_ms < ?1 LIMIT 5000)";
#define JOB_COLUMNS                                                                                \
    "id, account, region, event_id, bus, rule_arn, target_id, target_arn, payload, event_ms, "   \
    "due_ms, attempts"
static const char load_sql[] =
    "SELECT " JOB_COLUMNS " FROM outbox WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3";
/* By rowid range: what lies between is mostly the same target's jobs (the
 * others are delivered and deleted), so no index is needed. */
static const char load_target_sql[] =
    "SELECT " JOB_COLUMNS " FROM outbox WHERE id >= ?1 AND id <= ?2 AND target_arn = ?3 "
    "ORDER BY id LIMIT ?4";
/* Room for "... WHERE id IN (?1, ..., ?64)" (unused slots are bound to NULL). */
#define LOAD_SOME_SQL_SIZE (64 + 8 * EV_OUTBOX_LOAD_SOME + sizeof(JOB_COLUMNS))

/* ---- packing strings into one block ---- */

typedef struct {
    char *base;
    size_t off;
} pack_t;

static char *put(pack_t *p, const void *s, size_t n)
{
    char *r = p->base + p->off;

    if (n)
        memcpy(r, s, n);
    r[n] = 0;
    p->off += n + 1;
    return r;
}

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

static char *puts0(pack_t *p, const char *s)
{
    return put(p, s ? s : "", slen(s));
}

void ev_outbox_job_clear(ev_outbox_job_t *j)
{
    free(j->mem);
    memset(j, 0, sizeof(*j));
}

/* Fills j from strings and a payload, all copied into one block. */
static void job_fill(ev_outbox_job_t *j, const char *const s[7], const void *payload,
                     size_t payload_len)
{
    size_t total = payload_len + 1;
    pack_t p;

    for (int i = 0; i < 7; i++)
        total += slen(s[i]) + 1;
    p.base = ev_xmalloc(total);
    p.off = 0;
    j->mem = p.base;
    j->payload = (unsigned char *)put(&p, payload, payload_len);
    j->payload_len = payload_len;
    j->account = puts0(&p, s[0]);
    j->region = puts0(&p, s[1]);
    j->event_id = puts0(&p, s[2]);
    j->bus = puts0(&p, s[3]);
    j->rule_arn = puts0(&p, s[4]);
    j->target_id = puts0(&p, s[5]);
    j->target_arn = puts0(&p, s[6]);
}

static void jobs_free(ev_outbox_job_t *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(jobs[i].mem);
    free(jobs);
}

static void fins_free(fin_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i].mem);
    free(f);
}

/* ---- the writer ---- */

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static int step_reset(sqlite3_stmt *s)
{
    int r = sqlite3_step(s);

    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return r == SQLITE_DONE ? 0 : -1;
}

static int insert_job(ev_outbox_t *o, const ev_outbox_job_t *j)
{
    sqlite3_stmt *s = o->insert;

    sqlite3_bind_int64(s, 1, j->id);
    bind_text(s, 2, j->account);
    bind_text(s, 3, j->region);
    bind_text(s, 4, j->event_id);
    bind_text(s, 5, j->bus);
    bind_text(s, 6, j->rule_arn);
    bind_text(s, 7, j->target_id);
    bind_text(s, 8, j->target_arn);
    sqlite3_bind_blob(s, 9, j->payload, (int)j->payload_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 10, j->event_ms);
    sqlite3_bind_int64(s, 11, j->due_ms);
    return step_reset(s);
}

/* Stores the history records gathered so far as one row. */
static int hist_flush(ev_outbox_t *o)
{
    sqlite3_stmt *s = o->history;

    if (!o->hist_n)
        return 0;
    sqlite3_bind_int64(s, 1, o->hist_newest);
    sqlite3_bind_int64(s, 2, (int64_t)o->hist_n);
    sqlite3_bind_blob(s, 3, o->hist.p, (int)o->hist.len, SQLITE_STATIC);
    o->hist.len = 0;
    o->hist_n = 0;
    o->hist_newest = 0;
    return step_reset(s);
}

static int apply_fin(ev_outbox_t *o, const fin_t *f)
{
    ev_attlog_rec_t r;

    if (f->op == F_DELETE) {
        unsigned char le[8];

        if (o->ndels == o->dels_cap) {
            o->dels_cap = o->dels_cap ? 2 * o->dels_cap : 1024;
            o->dels = ev_xrealloc(o->dels, o->dels_cap * sizeof(*o->dels));
        }
        if (o->ndels == 0)
            o->dels_since_ms = ev_now_ms();
        o->dels[o->ndels++] = f->id;
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)((uint64_t)f->id >> (8 * i));
        ev_buf_add(&o->tomb, le, sizeof(le));
    } else if (f->op == F_RETRY) {
        sqlite3_bind_int64(o->retry, 1, f->id);
        sqlite3_bind_int64(o->retry, 2, f->due_ms);
        sqlite3_bind_int(o->retry, 3, f->attempts);
        if (step_reset(o->retry) != 0)
            return -1;
    }
    if (!f->history)
        return 0;
    r.time_ms = f->time_ms;
    r.latency_ms = f->latency_ms;
    r.attempt = f->attempt;
    r.status = f->status;
    r.s[EV_ATTLOG_ACCOUNT] = f->account;
    r.s[EV_ATTLOG_REGION] = f->region;
    r.s[EV_ATTLOG_EVENT_ID] = f->event_id;
    r.s[EV_ATTLOG_RULE_ARN] = f->rule_arn;
    r.s[EV_ATTLOG_TARGET_ID] = f->target_id;
    r.s[EV_ATTLOG_TARGET_ARN] = f->target_arn;
    r.s[EV_ATTLOG_OUTCOME] = f->outcome;
    r.s[EV_ATTLOG_ERROR] = f->error;
    for (int i = 0; i < EV_ATTLOG_RESPONSE; i++)
        r.len[i] = slen(r.s[i]);
    r.s[EV_ATTLOG_RESPONSE] = f->response ? f->response : "";
    r.len[EV_ATTLOG_RESPONSE] = f->response ? f->response_len : 0;
    ev_attlog_put(&o->hist, &r);
    o->hist_n++;
    if (f->time_ms > o->hist_newest)
        o->hist_newest = f->time_ms;
    return o->hist.len >= HIST_ROW_MAX ? hist_flush(o) : 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* Deletes ids[0..n) (sorted here). */
static int delete_ids(ev_outbox_t *o, int64_t *ids, size_t n)
{
    if (n > 1)
        qsort(ids, n, sizeof(*ids), cmp_id);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(o->del, 1, ids[i]);
        if (step_reset(o->del) != 0)
            return -1;
    }
    return 0;
}

/* Removes the tombstone rows up to `row`: every id they hold is deleted. */
static int clear_tombstones(ev_outbox_t *o, int64_t row)
{
    sqlite3_bind_int64(o->done_clear, 1, row);
    return step_reset(o->done_clear);
}

enum { BULK_NO, BULK_DUE, BULK_NOW };

/* A bulk delete is under way, or due: enough finished jobs, or old enough. */
static int bulk_due(const ev_outbox_t *o)
{
    return o->bulk_off < o->nbulk ||
           (o->ndels > 0 &&
            (o->ndels >= BULK_DELETE || ev_now_ms() - o->dels_since_ms >= DELETE_AFTER_MS));
}

/*
 * In a transaction: the next chunk of the bulk delete (BULK_DUE; a new bulk
 * takes every finished job so far, sorted) or all of it and every finished
 * job (BULK_NOW). *done: how many of o->bulk went (applied after the commit).
 */
static int bulk_step(ev_outbox_t *o, int mode, size_t *done)
{
    size_t n;

    *done = 0;
    if (mode == BULK_NOW) {
        if ((o->nbulk > o->bulk_off &&
             delete_ids(o, o->bulk + o->bulk_off, o->nbulk - o->bulk_off) != 0) ||
            delete_ids(o, o->dels, o->ndels) != 0 || clear_tombstones(o, o->last_tomb) != 0)
            return -1;
        *done = o->nbulk - o->bulk_off;
        return 0;
    }
    if (o->bulk_off == o->nbulk) { /* a new bulk: what finished so far */
        int64_t *t = o->bulk;
        size_t cap = o->bulk_cap;

        o->bulk = o->dels;
        o->bulk_cap = o->dels_cap;
        o->nbulk = o->ndels;
        o->bulk_off = 0;
        o->bulk_rows = o->last_tomb;
        o->dels = t;
        o->dels_cap = cap;
        o->ndels = 0;
        if (o->nbulk > 1)
            qsort(o->bulk, o->nbulk, sizeof(*o->bulk), cmp_id);
    }
    n = o->nbulk - o->bulk_off;
    if (n > DELETE_CHUNK)
        n = DELETE_CHUNK;
    if (delete_ids(o, o->bulk + o->bulk_off, n) != 0)
        return -1;
    if (o->bulk_off + n == o->nbulk && clear_tombstones(o, o->bulk_rows) != 0)
        return -1;
    *done = n;
    return 0;
}

/* Writes a chain of items (NULL: none) in one transaction, with the finished
 * jobs' bulk delete when `bulk` is BULK_NOW, or BULK_DUE and it is due. */
static ev_err commit(ev_outbox_t *o, item_t *chain, int bulk)
{
    int64_t now = ev_now_ms();
    int full = 0;
    size_t bulk_done = 0;

    /*
     * Only acknowledged jobs need their commit fsync'd. A commit of results
     * alone is not (synchronous=NORMAL): a crash of the process loses
     * nothing, a power loss at worst delivers those jobs again; the next
     * fsync'd commit or checkpoint makes it durable.
     */
    for (item_t *it = chain; it && !full; it = it->next)
        full = it->kind == I_ENQUEUE;
    if (full != o->sync_full) {
        if (sqlite3_exec(o->db, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                         NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
        o->sync_full = full;
    }
    if (sqlite3_exec(o->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (item_t *it = chain; it; it = it->next) {
        for (size_t i = 0; it->kind == I_ENQUEUE && i < it->n; i++) {
            it->jobs[i].id = o->next_id++;
            if (insert_job(o, &it->jobs[i]) != 0)
                goto rollback;
        }
        for (size_t i = 0; it->kind == I_RESULTS && i < it->n; i++)
            if (apply_fin(o, &it->fins[i]) != 0)
                goto rollback;
    }
    if (hist_flush(o) != 0)
        goto rollback;
    if (o->tomb.len) {
        sqlite3_bind_blob(o->done_add, 1, o->tomb.p, (int)o->tomb.len, SQLITE_STATIC);
        o->tomb.len = 0;
        if (step_reset(o->done_add) != 0)
            goto rollback;
        o->last_tomb = sqlite3_last_insert_rowid(o->db);
    }
    if (bulk == BULK_DUE && !bulk_due(o))
        bulk = BULK_NO;
    if (bulk != BULK_NO && bulk_step(o, bulk, &bulk_done) != 0)
        goto rollback;
    if (o->history_ms > 0 && now - o->last_prune_ms >= 1000) {
        o->last_prune_ms = now;
        sqlite3_bind_int64(o->prune, 1, now - o->history_ms);
        sqlite3_bind_int64(o->prune_old, 1, now - o->history_ms);
        if (step_reset(o->prune) != 0 || step_reset(o->prune_old) != 0)
            goto rollback;
    }
    if (sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
        o->bulk_off += bulk_done;
        if (bulk == BULK_NOW)
            o->ndels = 0;
        if (o->bulk_off == o->nbulk)
            o->nbulk = o->bulk_off = 0;
        atomic_store(&o->ndels_seen, (long long)(o->ndels + o->nbulk - o->bulk_off));
        return EV_OK;
    }
rollback:
    /* Finished jobs of this commit stay in o->dels: deleted by a later bulk. */
    ev_error("outbox: %s", sqlite3_errmsg(o->db));
    o->tomb.len = 0;
    o->hist.len = 0;
    o->hist_n = 0;
    o->hist_newest = 0;
    sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
    return EV_ERR_INTERNAL;
fail:
    ev_error("outbox: %s", sqlite3_errmsg(o->db));
    return EV_ERR_INTERNAL;
}

/* After a commit (lock held): committed jobs go to the consumer, or stay
 * stored until it pages them in. */
static void hand_over(ev_outbox_t *o, item_t *it)
{
    int64_t last = it->jobs[it->n - 1].id;

    if (!o->spilled && o->take && o->take(o->take_arg, it->jobs, it->n)) {
        o->hw = last;
    } else {
        o->spilled = 1;
        jobs_free(it->jobs, it->n);
    }
    it->jobs = NULL;
    o->last_id = last;
}

/* Copies the WAL into the database (writer thread, between commits). PASSIVE:
 * a reader still on older pages makes it stop short, and the next one resumes. */
static void checkpoint(ev_outbox_t *o)
{
    int log = 0, done = 0;
    int64_t t0 = ev_now_ms(), took;

    if (sqlite3_wal_checkpoint_v2(o->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
        SQLITE_OK) {
        ev_debug("outbox: checkpoint: %s", sqlite3_errmsg(o->db));
        return;
    }
    o->wal_pages = log > done ? log - done : 0;
    took = ev_now_ms() - t0;
    if (took > 30)
        ev_debug("outbox: checkpoint %lld ms (%d of %d pages)", (long long)took, done, log);
}

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int has_kind(const item_t *it, int kind)
{
    for (; it; it = it->next)
        if (it->kind == kind)
            return 1;
    return 0;
}

/* Someone sleeps until this chain is committed (it is fsync'd). */
static int has_waiter(const item_t *it)
{
    for (; it; it = it->next)
        if (it->waited)
            return 1;
    return 0;
}

static void *writer_main(void *arg)
{
    ev_outbox_t *o = arg;

    pthread_setname_np(pthread_self(), "ev-outbox");
    /* Every PutEvents waits for this thread's commits: when the CPU is short
     * it runs first (where the process may raise a priority). Measured on 2
     * cores under load: a commit took 13-25 ms instead of 54-66. */
    ev_thread_nice("EVBRIDGE_WRITER_NICE", WRITER_NICE);
    pthread_mutex_lock(&o->lock);
    for (;;) {
        item_t *chain, *next;
        ev_err rc;

        while (!o->head && !o->stop) {
            struct timespec ts;
            int64_t ms;

            if (o->bulk_off < o->nbulk) {
                /* a bulk delete under way goes on while nothing else waits */
                pthread_mutex_unlock(&o->lock);
                (void)commit(o, NULL, BULK_DUE);
                pthread_mutex_lock(&o->lock);
                continue;
            }
            if (o->ndels > 0)
                ms = DELETE_AFTER_MS; /* finished jobs wait for their bulk delete */
            else if (o->wal_pages > 0)
                ms = IDLE_CHECKPOINT_MS;
            else {
                pthread_cond_wait(&o->work, &o->lock);
                continue;
            }
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += ms / 1000;
            ts.tv_nsec += (ms % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            if (pthread_cond_timedwait(&o->work, &o->lock, &ts) != 0 && !o->head && !o->stop) {
                pthread_mutex_unlock(&o->lock);
                if (o->ndels > 0) {
                    (void)commit(o, NULL, BULK_DUE);
                } else {
                    /* Idle: leave nothing in the WAL for the readers to look through. */
                    checkpoint(o);
                    if (o->wal_pages > 0)
                        o->wal_pages = 0; /* a reader held it back: retry at the next commit */
                }
                pthread_mutex_lock(&o->lock);
            }
        }
        if (!o->head && o->stop) {
            if (o->ndels > 0 || o->nbulk > 0) {
                pthread_mutex_unlock(&o->lock);
                (void)commit(o, NULL, BULK_NOW);
                pthread_mutex_lock(&o->lock);
            }
            break;
        }
        if (o->gap_us > 0 && !o->stop && has_waiter(o->head)) {
            /*
             * Group commit with a floor: a caller that comes within gap_us of
             * the last fsync'd commit waits for the rest of it, and whoever
             * comes meanwhile shares its commit. Under a steady 2,000
             * PutEvents/s the writer otherwise committed 1,400-2,100 times a
             * second (an fdatasync each, the same hot pages rewritten each
             * time); an idle writer commits at once.
             */
            int64_t wait = o->synced_us + o->gap_us - now_us();

            if (wait > 0) {
                struct timespec ts = {0, (long)wait * 1000};

                pthread_mutex_unlock(&o->lock);
                nanosleep(&ts, NULL);
                pthread_mutex_lock(&o->lock);
            }
        }
        chain = o->head;
        o->head = o->tail = NULL;
        pthread_mutex_unlock(&o->lock);
        {
            int64_t t0 = ev_now_ms(), took;
            size_t nj = 0, nf = 0;

            for (item_t *it = chain; it; it = it->next)
                *(it->kind == I_ENQUEUE ? &nj : &nf) += it->n;
            /* PutEvents callers never wait for a bulk delete (it runs after
             * they are woken); ev_outbox_sync's callers get it. */
            rc = commit(o, chain,
                        has_kind(chain, I_SYNC)      ? BULK_NOW
                        : has_kind(chain, I_ENQUEUE) ? BULK_NO
                                                     : BULK_DUE);
            if (has_waiter(chain))
                o->synced_us = now_us();
            /* PutEvents waits for this: a slow disk shows here first. */
            took = ev_now_ms() - t0;
            if (took > 250)
                ev_warn("outbox: slow commit %lld ms (%zu jobs, %zu results)",
                        (long long)took, nj, nf);
            else if (took > 30)
                ev_debug("outbox: commit %lld ms (%zu jobs, %zu results)", (long long)took, nj,
                         nf);
        }
        pthread_mutex_lock(&o->lock);
        for (item_t *it = chain; it; it = next) {
            next = it->next;
            if (it->kind == I_ENQUEUE) {
                if (rc == EV_OK)
                    hand_over(o, it);
                else
                    jobs_free(it->jobs, it->n);
            } else if (it->kind == I_RESULTS) {
                if (rc != EV_OK)
                    ev_error("outbox: %zu delivery results lost; those jobs will be "
                             "delivered again after a restart", it->n);
                fins_free(it->fins, it->n);
            }
            if (it->waited) {
                /* Wakes exactly this caller (no herd on o->lock); `it` lives on its
                 * stack and may be gone once posted. */
                it->rc = rc;
                sem_post(&it->done);
            } else {
                free(it);
            }
        }
        if (bulk_due(o)) {
            /* After the callers are woken, and a chunk per round, so that
             * whoever comes next waits for one chunk at most. */
            pthread_mutex_unlock(&o->lock);
            (void)commit(o, NULL, BULK_DUE);
            pthread_mutex_lock(&o->lock);
        }
        if (o->wal_pages >= CHECKPOINT_PAGES && !o->ckpt_running) {
            /* The checkpointer's last pass left only a tail (and is from this
             * round of the WAL: a restart makes the log shorter): the writer
             * finishes it; else the checkpointer makes another pass. */
            int tail = o->wal_pages - o->bg_done;

            if (o->bg_log > 0 && o->bg_log <= o->wal_pages && tail <= TAIL_PAGES) {
                o->bg_log = o->bg_done = 0;
                pthread_mutex_unlock(&o->lock);
                checkpoint(o);
                pthread_mutex_lock(&o->lock);
            } else {
                o->ckpt_want = 1;
                pthread_cond_signal(&o->ckpt);
            }
        }
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

static void *checkpointer_main(void *arg)
{
    ev_outbox_t *o = arg;

    pthread_setname_np(pthread_self(), "ev-checkpoint");
    pthread_mutex_lock(&o->lock);
    for (;;) {
        int log = 0, done = 0, rc;

        while (!o->ckpt_want && !o->stop)
            pthread_cond_wait(&o->ckpt, &o->lock);
        if (o->stop)
            break;
        o->ckpt_want = 0;
        o->ckpt_running = 1;
        pthread_mutex_unlock(&o->lock);
        rc = sqlite3_wal_checkpoint_v2(o->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (rc != SQLITE_OK)
            ev_debug("outbox: checkpoint: %s", sqlite3_errmsg(o->cdb));
        pthread_mutex_lock(&o->lock);
        o->ckpt_running = 0;
        o->bg_log = rc == SQLITE_OK ? log : 0;
        o->bg_done = rc == SQLITE_OK ? done : 0;
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

/* The size of the WAL after each commit of the writer's connection. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    ev_outbox_t *o = arg;

    (void)db;
    (void)name;
    o->wal_pages = pages;
    return SQLITE_OK;
}

/* Queues an item; a waited one returns its commit's result. */
static ev_err submit(ev_outbox_t *o, item_t *it)
{
    /* An item nobody waits for belongs to the writer once queued: read
     * nothing of it after the unlock. */
    const int waited = it->waited;
    ev_err rc = EV_OK;

    if (waited && sem_init(&it->done, 0, 0) != 0)
        return EV_ERR_INTERNAL;
    pthread_mutex_lock(&o->lock);
    if (o->stop) {
        pthread_mutex_unlock(&o->lock);
        if (waited)
            sem_destroy(&it->done);
        return EV_ERR_INTERNAL;
    }
    if (o->tail)
        o->tail->next = it;
    else
        o->head = it;
    o->tail = it;
    pthread_cond_signal(&o->work);
    pthread_mutex_unlock(&o->lock);
    if (waited) {
        while (sem_wait(&it->done) != 0)
            ; /* EINTR */
        rc = it->rc;
        sem_destroy(&it->done);
    }
    return rc;
}

/* ---- open / close ---- */

static const char *load_some_text(char sql[LOAD_SOME_SQL_SIZE])
{
    size_t off = (size_t)snprintf(sql, LOAD_SOME_SQL_SIZE,
                                  "SELECT " JOB_COLUMNS " FROM outbox WHERE id IN (");

    for (int i = 1; i <= EV_OUTBOX_LOAD_SOME; i++)
        off += (size_t)snprintf(sql + off, LOAD_SOME_SQL_SIZE - off, "%s?%d", i > 1 ? "," : "", i);
    snprintf(sql + off, LOAD_SOME_SQL_SIZE - off, ")");
    return sql;
}

/*
 * While another connection (the store's) holds the write lock, the writer
 * polls every 200 us instead of SQLite's default 1..100 ms sleeps, so that a
 * short configuration write never costs PutEvents a long stall. Gives up
 * after 10 s.
 */
static int on_busy(void *arg, int count)
{
    struct timespec ts = {0, 200000};

    (void)arg;
    if (count >= 50000)
        return 0;
    nanosleep(&ts, NULL);
    return 1;
}



/* At open: jobs a commit finished (outbox_done) but no bulk delete removed
 * before the process stopped leave the outbox now, before anything reads it. */
static int apply_tombstones(ev_outbox_t *o)
{
    sqlite3_stmt *s = NULL;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if (sqlite3_prepare_v2(o->db, "SELECT ids FROM outbox_done", -1, &s, NULL) != SQLITE_OK)
        return -1;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(s, 0);
        size_t len = (size_t)sqlite3_column_bytes(s, 0);

        for (size_t i = 0; b && i + 8 <= len; i += 8) {
            uint64_t v = 0;

            for (int k = 0; k < 8; k++)
                v |= (uint64_t)b[i + (size_t)k] << (8 * k);
            if (n == cap) {
                cap = cap ? 2 * cap : 1024;
                ids = ev_xrealloc(ids, cap * sizeof(*ids));
            }
            ids[n++] = (int64_t)v;
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(ids);
        return -1;
    }
    rc = sqlite3_exec(o->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
                 delete_ids(o, ids, n) == 0 && clear_tombstones(o, INT64_MAX) == 0 &&
                 sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
             ? 0
             : -1;
    if (rc != 0)
        sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
    else if (n)
        ev_info("outbox: %zu finished jobs removed at start", n);
    free(ids);
    return rc;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **s)
{
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) == SQLITE_OK
               ? 0
               : -1;
}

static void close_db(ev_outbox_t *o)
{
    sqlite3_stmt *all[] = {o->insert,    o->del,      o->retry,      o->history,
                           o->prune,     o->prune_old, o->done_add,  o->done_clear,
                           o->load,      o->load_some, o->load_target};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    ev_buf_free(&o->hist);
    ev_buf_free(&o->tomb);
    free(o->dels);
    free(o->bulk);
    sqlite3_close(o->db);
    sqlite3_close(o->rdb);
    sqlite3_close(o->cdb);
}

ev_err ev_outbox_open(const char *path, int64_t history_ms, ev_outbox_t **out, char *msg,
                      size_t msglen)
{
    ev_outbox_t *o = ev_xcalloc(1, sizeof(*o));
    sqlite3_stmt *s = NULL;
    char some_sql[LOAD_SOME_SQL_SIZE];

    *out = NULL;
    ev_buf_init(&o->hist, 64u << 20);
    ev_buf_init(&o->tomb, 1u << 30);
    {
        const char *g = getenv("EVBRIDGE_COMMIT_GAP_US");

        o->gap_us = g && *g ? strtoll(g, NULL, 10) : COMMIT_GAP_US;
        if (o->gap_us < 0 || o->gap_us > 100000)
            o->gap_us = COMMIT_GAP_US;
    }
    o->history_ms = history_ms;
    if (sqlite3_open_v2(path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(o->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_busy_handler(o->db, on_busy, NULL) != SQLITE_OK ||
        sqlite3_exec(o->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL) != SQLITE_OK ||
        prepare(o->db, insert_sql, &o->insert) || prepare(o->db, del_sql, &o->del) ||
        prepare(o->db, retry_sql, &o->retry) || prepare(o->db, history_sql, &o->history) ||
        prepare(o->db, prune_sql, &o->prune) || prepare(o->db, prune_old_sql, &o->prune_old) ||
        sqlite3_open_v2(path, &o->cdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(o->cdb, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK ||
        prepare(o->db, done_add_sql, &o->done_add) ||
        prepare(o->db, done_clear_sql, &o->done_clear) ||
        sqlite3_open_v2(path, &o->rdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(o->rdb, 10000) != SQLITE_OK ||
        prepare(o->rdb, load_sql, &o->load) || prepare(o->rdb, load_some_text(some_sql), &o->load_some) ||
        prepare(o->rdb, load_target_sql, &o->load_target) ||
        sqlite3_prepare_v2(o->db, "SELECT coalesce(max(id), 0) FROM outbox", -1, &s, NULL) !=
            SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        snprintf(msg, msglen, "cannot open the outbox in %s: %s", path,
                 o->db ? sqlite3_errmsg(o->db) : "out of memory");
        sqlite3_finalize(s);
        close_db(o);
        free(o);
        return EV_ERR_INTERNAL;
    }
    o->last_id = sqlite3_column_int64(s, 0);
    if (apply_tombstones(o) != 0) {
        snprintf(msg, msglen, "cannot open the outbox in %s: %s", path, sqlite3_errmsg(o->db));
        sqlite3_finalize(s);
        close_db(o);
        free(o);
        return EV_ERR_INTERNAL;
    }
    o->sync_full = 1;
    o->next_id = o->last_id + 1;
    o->spilled = 1; /* whatever is stored waits for the consumer to page it in */
    o->last_prune_ms = 0;
    sqlite3_finalize(s);
    pthread_mutex_init(&o->lock, NULL);
    pthread_mutex_init(&o->rlock, NULL);
    pthread_cond_init(&o->work, NULL);
    pthread_cond_init(&o->ckpt, NULL);
    sqlite3_wal_hook(o->db, on_wal, o);
    if (pthread_create(&o->checkpointer, NULL, checkpointer_main, o) != 0) {
        snprintf(msg, msglen, "cannot start the outbox checkpointer");
        close_db(o);
        free(o);
        return EV_ERR_INTERNAL;
    }
    if (pthread_create(&o->writer, NULL, writer_main, o) != 0) {
        snprintf(msg, msglen, "cannot start the outbox writer");
        pthread_mutex_lock(&o->lock);
        o->stop = 1;
        pthread_cond_signal(&o->ckpt);
        pthread_mutex_unlock(&o->lock);
        pthread_join(o->checkpointer, NULL);
        close_db(o);
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
    pthread_cond_signal(&o->ckpt);
    pthread_mutex_unlock(&o->lock);
    pthread_join(o->writer, NULL);
    pthread_join(o->checkpointer, NULL);
    /* A last full checkpoint (the writer is gone: its connection is free)
     * leaves an empty WAL between runs. */
    (void)sqlite3_wal_checkpoint_v2(o->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    close_db(o);
    pthread_mutex_destroy(&o->lock);
    pthread_mutex_destroy(&o->rlock);
    pthread_cond_destroy(&o->work);
    pthread_cond_destroy(&o->ckpt);
    free(o);
}

/* ---- producers ---- */

ev_err ev_outbox_enqueue(ev_outbox_t *o, const ev_job_t *jobs, size_t n)
{
    item_t it;
    ev_err rc;

    if (n == 0)
        return EV_OK;
    memset(&it, 0, sizeof(it));
    it.kind = I_ENQUEUE;
    it.waited = 1;
    it.n = n;
    /* Copied here, in the caller's thread, so the writer only writes. */
    it.jobs = ev_xcalloc(n, sizeof(*it.jobs));
    for (size_t i = 0; i < n; i++) {
        const ev_job_t *j = &jobs[i];
        const char *s[7] = {j->account,   j->region,    j->event_id,  j->bus,
                            j->rule_arn,  j->target_id, j->target_arn};

        job_fill(&it.jobs[i], s, j->payload, j->payload_len);
        it.jobs[i].event_ms = j->event_ms;
        it.jobs[i].due_ms = j->due_ms;
    }
    rc = submit(o, &it);
    if (rc != EV_OK && it.jobs) /* refused at stop: never reached the writer */
        jobs_free(it.jobs, it.n);
    return rc;
}

ev_err ev_outbox_pending(ev_outbox_t *o, int64_t *n)
{
    sqlite3_stmt *s = NULL;
    ev_err rc = EV_ERR_INTERNAL;

    pthread_mutex_lock(&o->rlock);
    if (sqlite3_prepare_v2(o->rdb, "SELECT count(*) FROM outbox", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        /* finished jobs waiting for their bulk delete are not pending */
        *n = sqlite3_column_int64(s, 0) - (int64_t)atomic_load(&o->ndels_seen);
        rc = EV_OK;
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&o->rlock);
    return rc;
}

/* ---- the consumer ---- */

void ev_outbox_set_consumer(ev_outbox_t *o, ev_outbox_take_fn take, void *arg)
{
    pthread_mutex_lock(&o->lock);
    o->take = take;
    o->take_arg = arg;
    if (!take)
        o->spilled = 1; /* the next consumer pages in what this one did not see */
    pthread_mutex_unlock(&o->lock);
}

static void row_to_job(sqlite3_stmt *s, ev_outbox_job_t *j)
{
    const char *str[7];

    for (int i = 0; i < 7; i++)
        str[i] = (const char *)sqlite3_column_text(s, 1 + i);
    job_fill(j, str, sqlite3_column_blob(s, 8), (size_t)sqlite3_column_bytes(s, 8));
    j->id = sqlite3_column_int64(s, 0);
    j->event_ms = sqlite3_column_int64(s, 9);
    j->due_ms = sqlite3_column_int64(s, 10);
    j->attempts = sqlite3_column_int(s, 11);
}

/* Steps a bound read statement (rlock held) for up to max jobs; *jobs is
 * NULL when there are none. */
static ev_err read_page(ev_outbox_t *o, sqlite3_stmt *st, size_t max, ev_outbox_job_t **jobs,
                        size_t *n_out)
{
    ev_outbox_job_t *list = ev_xcalloc(max, sizeof(*list));
    size_t n = 0;
    int rc = SQLITE_DONE;

    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        row_to_job(st, &list[n++]);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ev_error("outbox: cannot read jobs: %s", sqlite3_errmsg(o->rdb));
        jobs_free(list, n);
        return EV_ERR_INTERNAL;
    }
    if (n == 0) {
        free(list);
        list = NULL;
    }
    *jobs = list;
    *n_out = n;
    return EV_OK;
}

ev_err ev_outbox_load(ev_outbox_t *o, size_t max, ev_outbox_job_t **jobs, size_t *n_out)
{
    ev_outbox_job_t *list;
    int64_t hw, last, newhw;
    size_t n = 0;
    ev_err rc;

    *jobs = NULL;
    *n_out = 0;
    pthread_mutex_lock(&o->lock);
    hw = o->hw;
    last = o->last_id;
    if (!o->spilled || max == 0) {
        pthread_mutex_unlock(&o->lock);
        return EV_OK;
    }
    pthread_mutex_unlock(&o->lock);

    pthread_mutex_lock(&o->rlock);
    sqlite3_bind_int64(o->load, 1, hw);
    sqlite3_bind_int64(o->load, 2, last);
    sqlite3_bind_int64(o->load, 3, (sqlite3_int64)max);
    rc = read_page(o, o->load, max, &list, &n);
    pthread_mutex_unlock(&o->rlock);
    if (rc != EV_OK)
        return rc;
    /* A short page read everything committed up to `last`. */
    newhw = n == max ? list[n - 1].id : last;
    pthread_mutex_lock(&o->lock);
    o->hw = newhw;
    if (n < max && o->last_id == last)
        o->spilled = 0; /* from now on commits are handed over directly */
    pthread_mutex_unlock(&o->lock);
    *jobs = list;
    *n_out = n;
    return EV_OK;
}


ev_err ev_outbox_load_target(ev_outbox_t *o, const char *target_arn, int64_t from, int64_t to,
                             size_t max, ev_outbox_job_t **jobs, size_t *n_out)
{
    ev_err rc;

    *jobs = NULL;
    *n_out = 0;
    if (max == 0 || from > to)
        return EV_OK;
    pthread_mutex_lock(&o->rlock);
    sqlite3_bind_int64(o->load_target, 1, from);
    sqlite3_bind_int64(o->load_target, 2, to);
    sqlite3_bind_text(o->load_target, 3, target_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(o->load_target, 4, (sqlite3_int64)max);
    rc = read_page(o, o->load_target, max, jobs, n_out);
    sqlite3_clear_bindings(o->load_target);
    pthread_mutex_unlock(&o->rlock);
    return rc;
}

ev_err ev_outbox_load_some(ev_outbox_t *o, const int64_t *ids, size_t n, ev_outbox_job_t *jobs)
{
    int rc;

    if (n > EV_OUTBOX_LOAD_SOME)
        n = EV_OUTBOX_LOAD_SOME;
    pthread_mutex_lock(&o->rlock);
    for (size_t i = 0; i < EV_OUTBOX_LOAD_SOME; i++) {
        if (i < n)
            sqlite3_bind_int64(o->load_some, (int)i + 1, ids[i]);
        else
            sqlite3_bind_null(o->load_some, (int)i + 1);
    }
    while ((rc = sqlite3_step(o->load_some)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(o->load_some, 0);

        for (size_t i = 0; i < n; i++) {
            if (ids[i] == id && !jobs[i].mem) {
                row_to_job(o->load_some, &jobs[i]);
                break;
            }
        }
    }
    sqlite3_reset(o->load_some);
    pthread_mutex_unlock(&o->rlock);
    if (rc == SQLITE_DONE)
        return EV_OK;
    ev_error("outbox: cannot read jobs: %s", sqlite3_errmsg(o->rdb));
    for (size_t i = 0; i < n; i++)
        ev_outbox_job_clear(&jobs[i]);
    return EV_ERR_INTERNAL;
}

ev_err ev_outbox_load_one(ev_outbox_t *o, int64_t id, ev_outbox_job_t *job)
{
    ev_err rc;

    memset(job, 0, sizeof(*job));
    rc = ev_outbox_load_some(o, &id, 1, job);
    return rc == EV_OK && !job->mem ? EV_ERR_NOT_FOUND : rc;
}

/* Copies one result (or a job-less record) for the writer. */
static void fin_fill(fin_t *f, const ev_job_result_t *x, const ev_outbox_job_t *j)
{
    const char *js[6] = {j->account, j->region, j->event_id, j->rule_arn, j->target_id,
                         j->target_arn};
    size_t total = x->response_len + 1 + slen(x->error) + 1 + slen(x->result) + 1;
    pack_t p;

    memset(f, 0, sizeof(*f));
    f->id = j->id;
    f->op = x->outcome == EV_JOB_RETRY ? F_RETRY : F_DELETE;
    if (!j->id)
        f->op = F_NONE;
    f->due_ms = x->due_ms;
    f->attempts = j->attempts + (x->attempted ? 1 : 0);
    /* Attempts, and jobs that ended without one, go to the history. */
    f->history = (x->attempted || x->outcome == EV_JOB_DEAD) && x->result;
    if (!f->history)
        return;
    for (int i = 0; i < 6; i++)
        total += slen(js[i]) + 1;
    p.base = ev_xmalloc(total);
    p.off = 0;
    f->mem = p.base;
    f->account = puts0(&p, js[0]);
    f->region = puts0(&p, js[1]);
    f->event_id = puts0(&p, js[2]);
    f->rule_arn = puts0(&p, js[3]);
    f->target_id = puts0(&p, js[4]);
    f->target_arn = puts0(&p, js[5]);
    f->attempt = j->attempts + 1;
    f->time_ms = x->time_ms;
    f->status = x->status;
    f->outcome = puts0(&p, x->result);
    f->error = x->error ? puts0(&p, x->error) : NULL;
    f->response = put(&p, x->response ? x->response : "", x->response ? x->response_len : 0);
    f->response_len = x->response ? x->response_len : 0;
    f->latency_ms = x->latency_ms;
}

void ev_outbox_results(ev_outbox_t *o, const ev_job_result_t *res, size_t n)
{
    item_t *it;

    if (n == 0)
        return;
    it = ev_xcalloc(1, sizeof(*it));
    it->kind = I_RESULTS;
    it->n = n;
    it->fins = ev_xcalloc(n, sizeof(*it->fins));
    for (size_t i = 0; i < n; i++)
        fin_fill(&it->fins[i], &res[i], res[i].job);
    if (submit(o, it) != EV_OK) {
        fins_free(it->fins, it->n);
        free(it);
    }
}

void ev_outbox_record(ev_outbox_t *o, const char *account, const char *region,
                      const char *connection_arn, const char *endpoint, int64_t time_ms,
                      int status, const char *result, const char *error, int64_t latency_ms)
{
    ev_outbox_job_t j;
    ev_job_result_t x;

    memset(&j, 0, sizeof(j));
    memset(&x, 0, sizeof(x));
    j.account = (char *)account;
    j.region = (char *)region;
    j.event_id = "";
    j.rule_arn = (char *)connection_arn;
    j.target_id = "oauth-token";
    j.target_arn = (char *)endpoint;
    x.job = &j;
    x.outcome = EV_JOB_DONE;
    x.attempted = 1;
    x.time_ms = time_ms;
    x.status = status;
    x.result = result;
    x.error = error;
    x.latency_ms = latency_ms;
    ev_outbox_results(o, &x, 1);
}

void ev_outbox_sync(ev_outbox_t *o)
{
    item_t it;

    memset(&it, 0, sizeof(it));
    it.kind = I_SYNC;
    it.waited = 1;
    (void)submit(o, &it);
}
