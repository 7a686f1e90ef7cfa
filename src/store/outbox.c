/*
 * store/outbox.c - the SQLite outbox. One writer thread owns the write
 * connection: it takes everything queued since its last commit (PutEvents
 * batches whose callers sleep until the commit, the engine's results and
 * history rows, which nobody waits for) and writes it in one transaction
 * (synchronous=FULL: the commit is fsync'd). Committed jobs then go to the
 * consumer in memory, or stay in the store for ev_outbox_load when it is
 * full ("spilled"). A second connection serves the consumer's reads.
 *
 * A commit stores the jobs it takes as one row of outbox_grp (a group:
 * store/jobgrp.h) with consecutive ids from the row's id; a job's retry
 * state, once it has one, is a row of outbox_retry. A group leaves in one
 * delete once all its jobs are finished (store/grpdone.h holds the finished
 * jobs of the others); one that waits long for a few jobs (a slow or failing
 * target's) is stored again without the finished ones.
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
#include "store/grpdone.h"
#include "store/jobgrp.h"
#include "store/le.h"
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
 * Finished groups leave the outbox in bulk, in id order: deleting each as it
 * finishes rewrote a page per row (groups of many destinations finish out of
 * order; 20 us of the writer per delete against 3 in order). Until then a
 * commit records the ids of the jobs it finishes in outbox_done (one row per
 * commit), so a restart never delivers them again. When a bulk ends, the rows
 * it covered give way to one row of what they still need to say: the
 * finished jobs of groups not finished yet, and (as -id) the finished groups
 * the next bulk deletes.
 */
#define BULK_DELETE 4096   /* finished groups that trigger the bulk delete */
#define DELETE_AFTER_MS 100 /* ... or the age of the oldest of them */
#define DELETE_CHUNK 256    /* deletes per transaction of a bulk delete, so that
                             * PutEvents commits get their turn between them (a
                             * bulk of ~1,500 scattered rows took 11-32 ms) */
#define GRP_MAX_JOBS EV_GRPDONE_MAX /* a commit's jobs past this... */
#define GRP_MAX_BYTES (1u << 20)    /* ... or this size start another group */
#define REWRITE_AFTER_MS 1000       /* a group partly finished this long is stored */
#define REWRITE_MAX 64              /* again (this many per compaction at most) */
#define COMPACT_MS 1000             /* tombstones are compacted this often at most */

/* One finished attempt or job, copied for the writer (strings in `mem`). */
typedef struct {
    int64_t id;    /* the job; 0: a history row of no job */
    int64_t group; /* its group: ids [group, group + group_n) */
    uint32_t group_n;
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

/* A stored group of jobs: ids [id, id + n), `live` of them stored. */
typedef struct {
    int64_t id;
    uint32_t n, live;
} grp_t;

/* A group the commit being written stores. */
typedef struct {
    size_t n, bytes; /* its jobs, their size */
    size_t at;       /* where they start in ev_outbox.ord */
} cgrp_t;

struct ev_outbox {
    sqlite3 *db; /* the writer's */
    sqlite3_stmt *insert, *del, *del_retry, *retry, *history, *prune, *prune_old, *done_add,
        *done_clear, *sel_grp, *upd_grp;
    sqlite3 *rdb; /* the consumer's reads (and pending counts) */
    sqlite3_stmt *load, *load_grp, *load_target, *load_retry;
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
    ev_grpdone_t done;   /* finished jobs of groups not finished (writer only) */
    grp_t *dels;         /* finished groups still in the outbox (writer only) */
    size_t ndels, dels_cap;
    int64_t dels_jobs;   /* the jobs they store */
    int64_t dels_since_ms; /* when the oldest of them finished */
    grp_t *bulk;         /* the bulk delete under way: sorted, done up to bulk_off */
    size_t nbulk, bulk_off, bulk_cap;
    int64_t bulk_jobs;   /* the jobs of the groups it has still to delete */
    int tomb_dirty;      /* outbox_done rows were written since the last compaction */
    int64_t compact_ms;  /* when it was committed */
    int64_t rw[REWRITE_MAX]; /* the groups the transaction being written stores again */
    size_t nrw;
    int64_t rw_gone;     /* the finished jobs it drops from them */
    int64_t live;        /* jobs stored (sum of outbox_grp.live; writer only) */
    int64_t pending;     /* ... not finished, for ev_outbox_pending (lock) */
    atomic_int retries;  /* outbox_retry may hold rows */
    int64_t *startdone;  /* jobs finished before the open, of groups still stored:
                          * sorted, never read again (set at open, then read-only) */
    size_t nstartdone;
    ev_buf_t tomb;       /* the ids the commit being written finishes */
    ev_buf_t grp;        /* the blob of the group being written (writer only) */
    ev_outbox_job_t **ord; /* the commit's jobs in id order (writer only) */
    size_t nord, ord_cap;
    cgrp_t *cg;          /* its groups */
    size_t ncg;
    int64_t gap_us;      /* least time between two fsync'd commits */
    int64_t synced_us;   /* when the last fsync'd commit ended (writer only) */
    ev_buf_t hist;       /* the attempts of the commit being written (writer only) */
    size_t hist_n;       /* records in it */
    int64_t hist_newest; /* time of the newest */
};

#define HIST_ROW_MAX (4 << 20) /* a commit with more history bytes stores several rows */

static const char insert_sql[] =
    "INSERT INTO outbox_grp (id, n, live, jobs) VALUES (?1, ?2, ?2, ?3)";
static const char sel_grp_sql[] = "SELECT jobs FROM outbox_grp WHERE id = ?1";
static const char upd_grp_sql[] = "UPDATE outbox_grp SET live = ?2, jobs = ?3 WHERE id = ?1";
static const char del_sql[] = "DELETE FROM outbox_grp WHERE id = ?1";
static const char del_retry_sql[] = "DELETE FROM outbox_retry WHERE id >= ?1 AND id < ?2";
static const char retry_sql[] =
    "INSERT OR REPLACE INTO outbox_retry (id, due_ms, attempts) VALUES (?1, ?2, ?3)";
static const char history_sql[] =
    "INSERT INTO attempt_log (time_ms, n, recs) VALUES (?1, ?2, ?3)";
/* Bounded, so that a long backlog of old history never stalls a commit; run
 * every second, which keeps up with a row per commit. `attempts` holds the
 * history written before attempt_log existed (schema 7). */
static const char prune_sql[] =
    "DELETE FROM attempt_log WHERE id IN (SELECT id FROM attempt_log WHERE time_ms < ?1 "
    "LIMIT 2000)";
static const char done_add_sql[] = "INSERT INTO outbox_done (ids) VALUES (?1)";
static const char done_clear_sql[] = "DELETE FROM outbox_done";
static const char prune_old_sql[] =
    "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE time_ms < ?1 LIMIT 5000)";
/* The groups holding jobs ?1 .. ?2 (the first may start below ?1). */
#define GRP_COLUMNS "id, n, jobs"
#define GRP_FROM                                                                                   \
    "id >= coalesce((SELECT id FROM outbox_grp WHERE id <= ?1 ORDER BY id DESC LIMIT 1), ?1) "   \
    "AND id <= ?2"
static const char load_sql[] =
    "SELECT " GRP_COLUMNS " FROM outbox_grp WHERE " GRP_FROM " ORDER BY id";
/* By rowid range, the target's jobs picked from each group: what lies
 * between is mostly that target's (the others' are finished, and their
 * groups deleted or stored again without them). */
static const char load_target_sql[] =
    "SELECT " GRP_COLUMNS " FROM outbox_grp WHERE " GRP_FROM " ORDER BY id";
/* The group holding job ?1, if it is stored. */
static const char load_grp_sql[] =
    "SELECT " GRP_COLUMNS " FROM outbox_grp WHERE id <= ?1 ORDER BY id DESC LIMIT 1";
static const char load_retry_sql[] =
    "SELECT id, due_ms, attempts FROM outbox_retry WHERE id >= ?1 AND id < ?2";

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

/* Fills j from strings (s[i] of len[i] bytes, NULL: empty) and a payload,
 * all copied into one block. */
static void job_fill(ev_outbox_job_t *j, const char *const s[7], const size_t len[7],
                     const void *payload, size_t payload_len)
{
    size_t total = payload_len + 1;
    char **dst[7] = {&j->account,  &j->region,    &j->event_id,  &j->bus,
                     &j->rule_arn, &j->target_id, &j->target_arn};
    pack_t p;

    for (int i = 0; i < 7; i++)
        total += len[i] + 1;
    p.base = ev_xmalloc(total);
    p.off = 0;
    j->mem = p.base;
    j->payload = (unsigned char *)put(&p, payload, payload_len);
    j->payload_len = payload_len;
    for (int i = 0; i < 7; i++)
        *dst[i] = put(&p, s[i] ? s[i] : "", s[i] ? len[i] : 0);
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

static int step_reset(sqlite3_stmt *s)
{
    int r = sqlite3_step(s);

    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return r == SQLITE_DONE ? 0 : -1;
}

/* ---- grouping a commit's jobs ---- */

static size_t job_bytes(const ev_outbox_job_t *j)
{
    return j->payload_len + strlen(j->account) + strlen(j->region) + strlen(j->event_id) +
           strlen(j->bus) + strlen(j->rule_arn) + strlen(j->target_id) +
           strlen(j->target_arn) + 64;
}

/*
 * Lists the chain's jobs in o->ord in their order, in groups of up to
 * GRP_MAX_JOBS jobs and GRP_MAX_BYTES (one job at least), and assigns the
 * ids: consecutive, a group's first is the group's.
 */
static void group_jobs(ev_outbox_t *o, item_t *chain)
{
    size_t total = 0;
    cgrp_t *c = NULL;

    o->nord = o->ncg = 0;
    for (item_t *it = chain; it; it = it->next)
        if (it->kind == I_ENQUEUE)
            total += it->n;
    if (!total)
        return;
    if (total > o->ord_cap) { /* at most a group per job */
        while (o->ord_cap < total)
            o->ord_cap = o->ord_cap ? 2 * o->ord_cap : 256;
        o->ord = ev_xrealloc(o->ord, o->ord_cap * sizeof(*o->ord));
        o->cg = ev_xrealloc(o->cg, o->ord_cap * sizeof(*o->cg));
    }
    for (item_t *it = chain; it; it = it->next) {
        for (size_t i = 0; it->kind == I_ENQUEUE && i < it->n; i++) {
            size_t size = job_bytes(&it->jobs[i]);

            if (!c || c->n >= GRP_MAX_JOBS || c->bytes + size > GRP_MAX_BYTES) {
                c = &o->cg[o->ncg++];
                c->n = c->bytes = 0;
                c->at = o->nord;
            }
            c->n++;
            c->bytes += size;
            o->ord[o->nord++] = &it->jobs[i];
        }
    }
    for (size_t g = 0; g < o->ncg; g++) {
        int64_t first = o->next_id;

        for (size_t m = 0; m < o->cg[g].n; m++) {
            ev_outbox_job_t *j = o->ord[o->cg[g].at + m];

            j->id = o->next_id++;
            j->group = first;
            j->group_n = (uint32_t)o->cg[g].n;
        }
    }
}

static void job_to_rec(const ev_outbox_job_t *j, ev_jobgrp_job_t *r)
{
    const char *s[EV_JOBGRP_NSTR] = {j->account,   j->region,     j->bus,     j->rule_arn,
                                     j->target_id, j->target_arn, j->event_id};

    r->id = j->id;
    for (int i = 0; i < EV_JOBGRP_NSTR; i++) {
        r->s[i] = s[i];
        r->len[i] = strlen(s[i]);
    }
    r->payload = j->payload;
    r->payload_len = j->payload_len;
    r->event_ms = j->event_ms;
    r->due_ms = j->due_ms;
}

/* Stores a group row: jobs[0..n) (n > 0), consecutive ids. */
static int insert_group(ev_outbox_t *o, ev_outbox_job_t *const *jobs, size_t n)
{
    sqlite3_stmt *s = o->insert;
    ev_jobgrp_job_t cur, prev;

    o->grp.len = 0;
    o->grp.failed = 0;
    for (size_t m = 0; m < n; m++) {
        job_to_rec(jobs[m], &cur);
        if (ev_jobgrp_put(&o->grp, &cur, m ? &prev : NULL, jobs[0]->id) != 0)
            return -1;
        prev = cur;
    }
    if (o->grp.failed)
        return -1;
    sqlite3_bind_int64(s, 1, jobs[0]->id);
    sqlite3_bind_int64(s, 2, (int64_t)n);
    sqlite3_bind_blob(s, 3, o->grp.p, (int)o->grp.len, SQLITE_STATIC);
    return step_reset(s);
}

/* Stores group g again without its finished jobs. */
static int rewrite_group(ev_outbox_t *o, int64_t g)
{
    sqlite3_stmt *s = o->sel_grp;
    ev_jobgrp_job_t cur, prev;
    const unsigned char *blob;
    size_t len, off = 0, kept = 0, gone = 0, all = 0;
    int rc;

    sqlite3_bind_int64(s, 1, g);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    blob = sqlite3_column_blob(s, 0);
    len = (size_t)sqlite3_column_bytes(s, 0);
    o->grp.len = 0;
    o->grp.failed = 0;
    memset(&cur, 0, sizeof(cur));
    while ((rc = ev_jobgrp_next(blob, len, &off, &cur, g)) == 1) {
        all++;
        if (ev_grpdone_has(&o->done, g, cur.id))
            continue;
        if (ev_jobgrp_put(&o->grp, &cur, kept ? &prev : NULL, g) != 0)
            break;
        prev = cur;
        kept++;
    }
    gone = all - kept;
    sqlite3_reset(s);
    if (rc != 0 || o->grp.failed || !kept)
        return 0; /* damaged (the reads say so), or nothing to gain: left as it is */
    sqlite3_bind_int64(o->upd_grp, 1, g);
    sqlite3_bind_int64(o->upd_grp, 2, (int64_t)kept);
    sqlite3_bind_blob(o->upd_grp, 3, o->grp.p, (int)o->grp.len, SQLITE_STATIC);
    if (step_reset(o->upd_grp) != 0)
        return -1;
    /* what it no longer stores counts once the transaction is committed */
    o->rw[o->nrw++] = g;
    o->rw_gone += (int64_t)gone;
    return 0;
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

/* A group is finished: the next bulk delete removes it. */
static void add_del(ev_outbox_t *o, int64_t g, uint32_t n, uint32_t live)
{
    if (o->ndels == o->dels_cap) {
        o->dels_cap = o->dels_cap ? 2 * o->dels_cap : 1024;
        o->dels = ev_xrealloc(o->dels, o->dels_cap * sizeof(*o->dels));
    }
    if (o->ndels == 0)
        o->dels_since_ms = ev_now_ms();
    o->dels[o->ndels].id = g;
    o->dels[o->ndels].n = n;
    o->dels[o->ndels++].live = live;
    o->dels_jobs += live;
}

static void tomb_add(ev_buf_t *b, int64_t v)
{
    unsigned char le[8];

    ev_le_put(le, (uint64_t)v, 8);
    ev_buf_add(b, le, sizeof(le));
}

static int apply_fin(ev_outbox_t *o, const fin_t *f)
{
    ev_attlog_rec_t r;

    if (f->op == F_DELETE) {
        uint32_t live = 0;
        int m = f->group_n ? ev_grpdone_mark(&o->done, f->group, f->group_n, f->id, &live) : -1;

        if (m < 0) {
            /* never a group made up from the id alone: it could be another's */
            ev_warn("outbox: job %lld of group %lld+%u: finished again, or of no group",
                    (long long)f->id, (long long)f->group, f->group_n);
        } else {
            if (m == 1)
                add_del(o, f->group, f->group_n, live);
            tomb_add(&o->tomb, f->id);
        }
    } else if (f->op == F_RETRY) {
        sqlite3_bind_int64(o->retry, 1, f->id);
        sqlite3_bind_int64(o->retry, 2, f->due_ms);
        sqlite3_bind_int(o->retry, 3, f->attempts);
        atomic_store(&o->retries, 1);
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

static int cmp_grp(const void *a, const void *b)
{
    int64_t x = ((const grp_t *)a)->id, y = ((const grp_t *)b)->id;

    return x < y ? -1 : x > y;
}

/* Deletes groups g[0..n) and their retry rows. */
static int delete_groups(ev_outbox_t *o, const grp_t *g, size_t n)
{
    int retries = atomic_load(&o->retries);

    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(o->del, 1, g[i].id);
        if (step_reset(o->del) != 0)
            return -1;
        if (retries) {
            sqlite3_bind_int64(o->del_retry, 1, g[i].id);
            sqlite3_bind_int64(o->del_retry, 2, g[i].id + g[i].n);
            if (step_reset(o->del_retry) != 0)
                return -1;
        }
    }
    return 0;
}

/*
 * Replaces every tombstone row by one row of what they still need to say:
 * the finished jobs the groups not finished still store, and the finished
 * groups not deleted yet (as -id) unless `all_deleted`. Runs in the
 * transaction that stores groups again without their finished jobs (whose
 * finished ids it still lists: they leave o->done once that is committed;
 * the open passes over ids a row no longer stores).
 */
static int compact_tombstones(ev_outbox_t *o, int all_deleted, size_t bulk_from)
{
    if (step_reset(o->done_clear) != 0)
        return -1;
    o->tomb.len = 0;
    o->tomb.failed = 0;
    ev_grpdone_dump(&o->done, &o->tomb);
    for (size_t i = 0; !all_deleted && i < o->ndels; i++)
        tomb_add(&o->tomb, -o->dels[i].id);
    for (size_t i = bulk_from; !all_deleted && i < o->nbulk; i++)
        tomb_add(&o->tomb, -o->bulk[i].id);
    if (o->tomb.failed)
        return -1;
    if (o->tomb.len) {
        sqlite3_bind_blob(o->done_add, 1, o->tomb.p, (int)o->tomb.len, SQLITE_STATIC);
        o->tomb.len = 0;
        if (step_reset(o->done_add) != 0)
            return -1;
    }
    return 0;
}

enum { BULK_NO, BULK_DUE, BULK_NOW };

/* Tombstones were written since the last compaction, or it left groups to
 * store again once they are old enough; and it was long enough ago. */
static int compact_due(const ev_outbox_t *o, int64_t now)
{
    return (o->tomb_dirty || o->done.young > 0) && now - o->compact_ms >= COMPACT_MS;
}

/* A bulk delete is under way, or due (enough finished groups, or old
 * enough), or a compaction. */
static int bulk_due(const ev_outbox_t *o)
{
    int64_t now = ev_now_ms();

    return o->bulk_off < o->nbulk ||
           (o->ndels > 0 &&
            (o->ndels >= BULK_DELETE || now - o->dels_since_ms >= DELETE_AFTER_MS)) ||
           compact_due(o, now);
}

/*
 * In a transaction: the next chunk of the bulk delete (BULK_DUE; a new bulk
 * takes every finished group so far, sorted), and when due the groups that
 * wait long for a few jobs stored again without the others and the
 * tombstones compacted; or all of the bulk, every finished group and the
 * compaction (BULK_NOW). *done: how many of o->bulk went (applied after the
 * commit).
 */
static int bulk_step(ev_outbox_t *o, int mode, size_t *done, int *compacted)
{
    size_t n;

    *done = 0;
    *compacted = 1;
    if (mode == BULK_NOW) {
        if ((o->nbulk > o->bulk_off &&
             delete_groups(o, o->bulk + o->bulk_off, o->nbulk - o->bulk_off) != 0) ||
            delete_groups(o, o->dels, o->ndels) != 0 || compact_tombstones(o, 1, 0) != 0)
            return -1;
        *done = o->nbulk - o->bulk_off;
        return 0;
    }
    if (o->bulk_off == o->nbulk && o->ndels > 0) { /* a new bulk: what finished so far */
        grp_t *t = o->bulk;
        size_t cap = o->bulk_cap;

        o->bulk = o->dels;
        o->bulk_cap = o->dels_cap;
        o->nbulk = o->ndels;
        o->bulk_off = 0;
        o->bulk_jobs = o->dels_jobs;
        o->dels = t;
        o->dels_cap = cap;
        o->ndels = 0;
        o->dels_jobs = 0;
        if (o->nbulk > 1)
            qsort(o->bulk, o->nbulk, sizeof(*o->bulk), cmp_grp);
    }
    n = o->nbulk - o->bulk_off;
    if (n > DELETE_CHUNK)
        n = DELETE_CHUNK;
    if (n && delete_groups(o, o->bulk + o->bulk_off, n) != 0)
        return -1;
    *done = n;
    *compacted = compact_due(o, o->done.now_ms);
    if (*compacted) {
        int64_t ids[REWRITE_MAX];
        size_t k = ev_grpdone_stale(&o->done, REWRITE_AFTER_MS, ids, REWRITE_MAX);

        for (size_t i = 0; i < k; i++)
            if (rewrite_group(o, ids[i]) != 0)
                return -1;
        /* (the chunk just deleted is gone: no marker for it) */
        if (compact_tombstones(o, 0, o->bulk_off + n) != 0)
            return -1;
    }
    return 0;
}

/* Writes a chain of items (NULL: none) in one transaction, with the finished
 * groups' bulk delete when `bulk` is BULK_NOW, or BULK_DUE and it is due. */
static ev_err commit(ev_outbox_t *o, item_t *chain, int bulk)
{
    int64_t now = ev_now_ms(), deleted = 0;
    int full = 0, wrote_tomb = 0, compacted = 0;
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
    o->done.now_ms = now;
    o->nrw = 0;
    o->rw_gone = 0;
    /* Results first: whatever fails after them, they stay marked in memory
     * (their groups still leave; only their tombstones are lost). */
    for (item_t *it = chain; it; it = it->next)
        for (size_t i = 0; it->kind == I_RESULTS && i < it->n; i++)
            if (apply_fin(o, &it->fins[i]) != 0)
                goto rollback;
    if (hist_flush(o) != 0)
        goto rollback;
    if (o->tomb.len) {
        sqlite3_bind_blob(o->done_add, 1, o->tomb.p, (int)o->tomb.len, SQLITE_STATIC);
        o->tomb.len = 0;
        if (step_reset(o->done_add) != 0)
            goto rollback;
        wrote_tomb = 1;
    }
    group_jobs(o, chain);
    for (size_t g = 0; g < o->ncg; g++)
        if (insert_group(o, o->ord + o->cg[g].at, o->cg[g].n) != 0)
            goto rollback;
    if (bulk == BULK_DUE && !bulk_due(o))
        bulk = BULK_NO;
    if (bulk != BULK_NO && bulk_step(o, bulk, &bulk_done, &compacted) != 0)
        goto rollback;
    if (o->history_ms > 0 && now - o->last_prune_ms >= 1000) {
        o->last_prune_ms = now;
        sqlite3_bind_int64(o->prune, 1, now - o->history_ms);
        sqlite3_bind_int64(o->prune_old, 1, now - o->history_ms);
        if (step_reset(o->prune) != 0 || step_reset(o->prune_old) != 0)
            goto rollback;
    }
    if (sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto rollback;
    if (bulk == BULK_NOW) {
        deleted = o->bulk_jobs + o->dels_jobs;
        o->ndels = 0;
        o->dels_jobs = 0;
        o->bulk_off = o->nbulk;
    } else {
        for (size_t i = 0; i < bulk_done; i++)
            deleted += o->bulk[o->bulk_off + i].live;
        o->bulk_jobs -= deleted;
        o->bulk_off += bulk_done;
    }
    if (o->bulk_off == o->nbulk) {
        o->nbulk = o->bulk_off = 0;
        o->bulk_jobs = 0;
    }
    for (size_t i = 0; i < o->nrw; i++)
        (void)ev_grpdone_rewritten(&o->done, o->rw[i]);
    o->live += (int64_t)o->nord - deleted - o->rw_gone;
    if (compacted) {
        /* the row it wrote still names what the groups stored again dropped:
         * the next one (a second later) leaves that out */
        o->tomb_dirty = o->nrw > 0;
        o->compact_ms = now;
    } else if (wrote_tomb) {
        o->tomb_dirty = 1;
    }
    pthread_mutex_lock(&o->lock);
    o->pending = o->live - ((int64_t)o->done.jobs + o->dels_jobs + o->bulk_jobs);
    pthread_mutex_unlock(&o->lock);
    return EV_OK;
rollback:
    /* Finished groups of this commit stay in o->dels: deleted by a later bulk.
     * Groups it stored again still store their finished jobs. */
    ev_error("outbox: %s", sqlite3_errmsg(o->db));
    o->nrw = 0;
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

/* After a commit (lock held): the commit's jobs go to the consumer in one
 * array in id order, or stay stored until it pages them in. */
static void hand_over(ev_outbox_t *o, item_t *chain)
{
    ev_outbox_job_t *all;
    size_t n = o->nord;
    int64_t last;

    if (!n)
        return;
    all = ev_xmalloc(n * sizeof(*all));
    for (size_t k = 0; k < n; k++)
        all[k] = *o->ord[k];
    o->nord = 0;
    for (item_t *it = chain; it; it = it->next) {
        if (it->kind == I_ENQUEUE) {
            free(it->jobs); /* the strings went over with `all` */
            it->jobs = NULL;
        }
    }
    last = all[n - 1].id;
    if (!o->spilled && o->take && o->take(o->take_arg, all, n)) {
        o->hw = last;
    } else {
        o->spilled = 1;
        jobs_free(all, n);
    }
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
            else if (o->tomb_dirty || o->done.young > 0) /* a compaction is to come */
                ms = COMPACT_MS;
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
                if (o->ndels > 0 || compact_due(o, ev_now_ms())) {
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
            if (o->ndels > 0 || o->nbulk > 0 || o->tomb_dirty) {
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
        if (rc == EV_OK)
            hand_over(o, chain);
        o->nord = 0;
        for (item_t *it = chain; it; it = next) {
            next = it->next;
            if (it->kind == I_ENQUEUE) {
                if (it->jobs) /* the commit failed */
                    jobs_free(it->jobs, it->n);
                it->jobs = NULL;
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

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* One integer the writer's connection answers (0 when none). */
static int query_i64(sqlite3 *db, const char *sql, int64_t *v)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Ends the open's transaction: committed when ok, else rolled back. */
static int end_tx(sqlite3 *db, int ok)
{
    if (ok && exec(db, "COMMIT") == 0)
        return 0;
    exec(db, "ROLLBACK");
    return -1;
}

/* At open: the jobs of a database from before groups (one `outbox` row
 * each) become groups of one job with the same ids. */
static int convert_legacy(ev_outbox_t *o)
{
    static const char sel[] =
        "SELECT id, account, region, event_id, bus, rule_arn, target_id, target_arn, payload, "
        "event_ms, due_ms, attempts FROM outbox ORDER BY id";
    sqlite3_stmt *s = NULL;
    size_t n = 0;
    int rc = SQLITE_DONE, ok;

    if (exec(o->db, "BEGIN IMMEDIATE") != 0)
        return -1;
    ok = sqlite3_prepare_v2(o->db, sel, -1, &s, NULL) == SQLITE_OK;
    while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        ev_outbox_job_t j, *jp = &j;
        const char *str[7];
        size_t len[7];

        memset(&j, 0, sizeof(j));
        for (int i = 0; i < 7; i++) {
            str[i] = (const char *)sqlite3_column_text(s, 1 + i);
            len[i] = (size_t)sqlite3_column_bytes(s, 1 + i);
        }
        job_fill(&j, str, len, sqlite3_column_blob(s, 8), (size_t)sqlite3_column_bytes(s, 8));
        j.id = sqlite3_column_int64(s, 0);
        j.event_ms = sqlite3_column_int64(s, 9);
        j.due_ms = sqlite3_column_int64(s, 10);
        j.attempts = sqlite3_column_int(s, 11);
        ok = insert_group(o, &jp, 1) == 0;
        if (ok && j.attempts > 0) {
            sqlite3_bind_int64(o->retry, 1, j.id);
            sqlite3_bind_int64(o->retry, 2, j.due_ms);
            sqlite3_bind_int(o->retry, 3, j.attempts);
            ok = step_reset(o->retry) == 0;
        }
        ev_outbox_job_clear(&j);
        n++;
    }
    sqlite3_finalize(s);
    ok = ok && rc == SQLITE_DONE && (n == 0 || exec(o->db, "DELETE FROM outbox") == 0);
    if (end_tx(o->db, ok) != 0)
        return -1;
    if (n)
        ev_info("outbox: %zu jobs moved to the grouped outbox", n);
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static int64_t *ids_push(int64_t *ids, size_t *n, size_t *cap, int64_t v)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        ids = ev_xrealloc(ids, *cap * sizeof(*ids));
    }
    ids[(*n)++] = v;
    return ids;
}

/* The stored group holding job id (a row of "SELECT id, n, live, jobs"
 * statement s, left stepped): 1, 0 when none, -1 on error. */
static int group_of(sqlite3_stmt *s, int64_t id, grp_t *d)
{
    int rc;

    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return -1;
    d->id = sqlite3_column_int64(s, 0);
    d->n = (uint32_t)sqlite3_column_int64(s, 1);
    d->live = (uint32_t)sqlite3_column_int64(s, 2);
    return id < d->id + (int64_t)d->n && d->n <= EV_GRPDONE_MAX && d->live > 0 &&
           d->live <= d->n;
}

/* Whether the group row at s (group_of's) stores job id: all its jobs when
 * none went, else a look through its records. */
static int group_stores(sqlite3_stmt *s, const grp_t *d, int64_t id)
{
    const unsigned char *blob;
    size_t len, off = 0;
    ev_jobgrp_job_t j;

    if (d->live == d->n)
        return 1;
    blob = sqlite3_column_blob(s, 3);
    len = (size_t)sqlite3_column_bytes(s, 3);
    memset(&j, 0, sizeof(j));
    while (ev_jobgrp_next(blob, len, &off, &j, d->id) == 1 && j.id <= id)
        if (j.id == id)
            return 1;
    return 0;
}

/*
 * At open: what the tombstones (outbox_done) say is finished, before anything
 * reads the outbox. Finished groups leave; the finished jobs of the others
 * go back into o->done (and o->startdone, which reads skip); the tombstones
 * give way to one row of those.
 */
static int open_tombstones(ev_outbox_t *o)
{
    sqlite3_stmt *s = NULL, *grp = NULL;
    int64_t *ids = NULL, *marks = NULL;
    size_t n = 0, cap = 0, nm = 0, mcap = 0, ndel = 0;
    grp_t d = {0, 0, 0};
    int have = 0; /* d is the group of the previous id, held in o->done */
    int rc, ok;

    if (sqlite3_prepare_v2(o->db, "SELECT ids FROM outbox_done", -1, &s, NULL) != SQLITE_OK)
        return -1;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(s, 0);
        size_t len = (size_t)sqlite3_column_bytes(s, 0);

        for (size_t i = 0; b && i + 8 <= len; i += 8) {
            int64_t v = (int64_t)ev_le_get(b + i, 8);

            if (v < 0 && v != INT64_MIN)
                marks = ids_push(marks, &nm, &mcap, -v);
            else if (v > 0)
                ids = ids_push(ids, &n, &cap, v);
        }
    }
    sqlite3_finalize(s);
    ok = rc == SQLITE_DONE &&
         sqlite3_prepare_v2(o->db, "SELECT id, n, live, jobs FROM outbox_grp WHERE id <= ?1 "
                                   "ORDER BY id DESC LIMIT 1", -1, &grp, NULL) == SQLITE_OK &&
         exec(o->db, "BEGIN IMMEDIATE") == 0;
    if (ok) {
        if (nm > 1)
            qsort(marks, nm, sizeof(*marks), cmp_i64);
        if (n > 1)
            qsort(ids, n, sizeof(*ids), cmp_i64);
    }
    /* Whole groups first: their jobs' own ids need no look. */
    for (size_t i = 0; ok && i < nm; i++) {
        grp_t m;

        if (i > 0 && marks[i] == marks[i - 1])
            continue;
        rc = group_of(grp, marks[i], &m);
        ok = rc >= 0;
        sqlite3_reset(grp);
        if (rc == 1 && m.id == marks[i]) {
            ok = delete_groups(o, &m, 1) == 0;
            ndel++;
        }
    }
    /* Groups stored again without their finished jobs count from what they store. */
    if (ok && sqlite3_prepare_v2(o->db, "SELECT id, n, live FROM outbox_grp WHERE live < n", -1,
                                 &s, NULL) != SQLITE_OK)
        ok = 0;
    while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW)
        (void)ev_grpdone_hold(&o->done, sqlite3_column_int64(s, 0),
                              (uint32_t)sqlite3_column_int64(s, 1),
                              (uint32_t)sqlite3_column_int64(s, 2));
    if (ok && rc != SQLITE_DONE)
        ok = 0;
    sqlite3_finalize(s);
    for (size_t i = 0; ok && i < n; i++) {
        uint32_t live;

        if (i > 0 && ids[i] == ids[i - 1])
            continue;
        if (!have || ids[i] >= d.id + (int64_t)d.n) {
            rc = group_of(grp, ids[i], &d);
            if (rc < 0) {
                ok = 0;
                break;
            }
            have = rc == 1 && !(nm && bsearch(&d.id, marks, nm, sizeof(*marks), cmp_i64));
        }
        /* (a job its group no longer stores is finished and gone already) */
        if (!have || !group_stores(grp, &d, ids[i]))
            continue;
        if (ev_grpdone_mark(&o->done, d.id, d.n, ids[i], &live) == 1) {
            sqlite3_reset(grp);
            d.live = live;
            ok = delete_groups(o, &d, 1) == 0;
            ndel++;
            have = 0;
        }
    }
    sqlite3_finalize(grp);
    o->done.now_ms = ev_now_ms();
    ok = ok && compact_tombstones(o, 1, 0) == 0;
    free(ids);
    free(marks);
    if (end_tx(o->db, ok) != 0)
        return -1;
    /* what is left of them: the finished jobs of groups still stored */
    o->tomb.len = 0;
    ev_grpdone_dump(&o->done, &o->tomb);
    o->nstartdone = o->tomb.len / 8;
    if (o->nstartdone) {
        o->startdone = ev_xmalloc(o->nstartdone * sizeof(*o->startdone));
        for (size_t i = 0; i < o->nstartdone; i++)
            o->startdone[i] = (int64_t)ev_le_get((const unsigned char *)o->tomb.p + 8 * i, 8);
        qsort(o->startdone, o->nstartdone, sizeof(*o->startdone), cmp_i64);
    }
    o->tomb.len = 0;
    if (query_i64(o->db, "SELECT coalesce(sum(live), 0) FROM outbox_grp", &o->live) != 0)
        return -1;
    o->pending = o->live - (int64_t)o->done.jobs;
    o->done.young = o->done.used; /* the first compaction looks at them */
    if (ndel || o->nstartdone)
        ev_info("outbox: %zu finished groups removed at start, %zu finished jobs of others",
                ndel, o->nstartdone);
    return 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **s)
{
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) == SQLITE_OK
               ? 0
               : -1;
}

static void close_db(ev_outbox_t *o)
{
    sqlite3_stmt *all[] = {o->insert,     o->del,       o->del_retry,  o->retry,
                           o->history,    o->prune,     o->prune_old,  o->done_add,
                           o->done_clear, o->sel_grp,   o->upd_grp,    o->load,
                           o->load_grp,   o->load_target, o->load_retry};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    ev_buf_free(&o->hist);
    ev_buf_free(&o->tomb);
    ev_buf_free(&o->grp);
    ev_grpdone_free(&o->done);
    free(o->dels);
    free(o->bulk);
    free(o->startdone);
    free(o->ord);
    free(o->cg);
    sqlite3_close(o->db);
    sqlite3_close(o->rdb);
    sqlite3_close(o->cdb);
}

ev_err ev_outbox_open(const char *path, int64_t history_ms, ev_outbox_t **out, char *msg,
                      size_t msglen)
{
    ev_outbox_t *o = ev_xcalloc(1, sizeof(*o));
    int64_t retries = 0;

    *out = NULL;
    atomic_store(&o->retries, 1); /* until the open has looked */
    ev_buf_init(&o->hist, 64u << 20);
    ev_buf_init(&o->tomb, 1u << 30);
    ev_buf_init(&o->grp, 64u << 20);
    {
        const char *g = getenv("EVBRIDGE_COMMIT_GAP_US");

        o->gap_us = g && *g ? strtoll(g, NULL, 10) : COMMIT_GAP_US;
        if (o->gap_us < 0 || o->gap_us > 100000)
            o->gap_us = COMMIT_GAP_US;
    }
    o->history_ms = history_ms;
    if (sqlite3_open_v2(path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        exec(o->db, "PRAGMA synchronous = FULL") ||
        sqlite3_busy_handler(o->db, on_busy, NULL) != SQLITE_OK ||
        exec(o->db, "PRAGMA wal_autocheckpoint = 0") || prepare(o->db, insert_sql, &o->insert) ||
        prepare(o->db, del_sql, &o->del) || prepare(o->db, del_retry_sql, &o->del_retry) ||
        prepare(o->db, retry_sql, &o->retry) || prepare(o->db, history_sql, &o->history) ||
        prepare(o->db, prune_sql, &o->prune) || prepare(o->db, prune_old_sql, &o->prune_old) ||
        prepare(o->db, done_add_sql, &o->done_add) ||
        prepare(o->db, done_clear_sql, &o->done_clear) ||
        prepare(o->db, sel_grp_sql, &o->sel_grp) || prepare(o->db, upd_grp_sql, &o->upd_grp) ||
        sqlite3_open_v2(path, &o->cdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        exec(o->cdb, "PRAGMA synchronous = FULL") ||
        sqlite3_open_v2(path, &o->rdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(o->rdb, 10000) != SQLITE_OK || prepare(o->rdb, load_sql, &o->load) ||
        prepare(o->rdb, load_grp_sql, &o->load_grp) ||
        prepare(o->rdb, load_target_sql, &o->load_target) ||
        prepare(o->rdb, load_retry_sql, &o->load_retry) ||
        convert_legacy(o) ||
        query_i64(o->db, "SELECT id + n - 1 FROM outbox_grp ORDER BY id DESC LIMIT 1",
                  &o->last_id) ||
        open_tombstones(o) ||
        query_i64(o->db, "SELECT EXISTS (SELECT 1 FROM outbox_retry)", &retries)) {
        snprintf(msg, msglen, "cannot open the outbox in %s: %s", path,
                 o->db ? sqlite3_errmsg(o->db) : "out of memory");
        close_db(o);
        free(o);
        return EV_ERR_INTERNAL;
    }
    atomic_store(&o->retries, retries != 0);
    o->sync_full = 1;
    o->next_id = o->last_id + 1;
    o->spilled = 1; /* whatever is stored waits for the consumer to page it in */
    o->last_prune_ms = 0;
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

        size_t len[7];

        for (int k = 0; k < 7; k++)
            len[k] = slen(s[k]);
        job_fill(&it.jobs[i], s, len, j->payload, j->payload_len);
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
    /* stored jobs less the finished ones waiting for their group's delete,
     * as of the last commit */
    pthread_mutex_lock(&o->lock);
    *n = o->pending;
    pthread_mutex_unlock(&o->lock);
    return EV_OK;
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

/* Walks the jobs of a group row (columns GRP_COLUMNS of a stepped statement). */
typedef struct {
    int64_t g;
    uint32_t n;
    const unsigned char *blob;
    size_t len, off;
    ev_jobgrp_job_t rec; /* the job at hand */
} grp_iter_t;

static void grp_open(grp_iter_t *it, sqlite3_stmt *s)
{
    memset(it, 0, sizeof(*it));
    it->g = sqlite3_column_int64(s, 0);
    it->n = (uint32_t)sqlite3_column_int64(s, 1);
    it->blob = sqlite3_column_blob(s, 2);
    it->len = (size_t)sqlite3_column_bytes(s, 2);
    it->rec.id = it->g - 1;
}

/* 1: the next job (it->rec), 0: the end, -1: the row is damaged (the rest
 * of it is passed over). */
static int grp_next(grp_iter_t *it)
{
    int64_t last = it->rec.id;
    int r = ev_jobgrp_next(it->blob, it->len, &it->off, &it->rec, it->g);

    if (r == 1 && it->rec.id > last && it->rec.id < it->g + (int64_t)it->n)
        return 1;
    if (r == 0)
        return 0;
    ev_error("outbox: the stored jobs %lld..%lld are damaged after %lld", (long long)it->g,
             (long long)(it->g + it->n - 1), (long long)last);
    return -1;
}

static int rec_is(const ev_jobgrp_job_t *r, int i, const char *s, size_t len)
{
    return r->len[i] == len && memcmp(r->s[i], s, len) == 0;
}

static void grp_fill(const grp_iter_t *it, ev_outbox_job_t *j)
{
    static const int order[7] = {EV_JOBGRP_ACCOUNT,  EV_JOBGRP_REGION,   EV_JOBGRP_EVENT_ID,
                                 EV_JOBGRP_BUS,      EV_JOBGRP_RULE_ARN, EV_JOBGRP_TARGET_ID,
                                 EV_JOBGRP_TARGET_ARN};
    const ev_jobgrp_job_t *r = &it->rec;
    const char *s[7];
    size_t len[7];

    for (int i = 0; i < 7; i++) {
        s[i] = r->s[order[i]];
        len[i] = r->len[order[i]];
    }
    job_fill(j, s, len, r->payload, r->payload_len);
    j->id = r->id;
    j->event_ms = r->event_ms;
    j->due_ms = r->due_ms;
    j->attempts = 0;
    j->group = it->g;
    j->group_n = it->n;
}

/* Finished before this process started (the group is still stored). */
static int start_done(const ev_outbox_t *o, int64_t id)
{
    return o->nstartdone &&
           bsearch(&id, o->startdone, o->nstartdone, sizeof(*o->startdone), cmp_i64) != NULL;
}

/* Gives jobs[0..n) of group (g, gn) their stored retry state (rlock held). */
static int read_retries(ev_outbox_t *o, int64_t g, uint32_t gn, ev_outbox_job_t *jobs, size_t n)
{
    sqlite3_stmt *s = o->load_retry;
    int rc;

    if (!n || !atomic_load(&o->retries))
        return 0;
    sqlite3_bind_int64(s, 1, g);
    sqlite3_bind_int64(s, 2, g + gn);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);

        for (size_t i = 0; i < n; i++) {
            if (jobs[i].mem && jobs[i].id == id) {
                jobs[i].due_ms = sqlite3_column_int64(s, 1);
                jobs[i].attempts = sqlite3_column_int(s, 2);
                break;
            }
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Steps a bound statement over group rows (rlock held) for up to max jobs
 * with ids in [from, to] (and for target_arn unless NULL), oldest first;
 * *jobs is NULL when there are none. */
static ev_err read_page(ev_outbox_t *o, sqlite3_stmt *st, int64_t from, int64_t to,
                        const char *target_arn, size_t max, ev_outbox_job_t **jobs,
                        size_t *n_out)
{
    ev_outbox_job_t *list = ev_xcalloc(max, sizeof(*list));
    size_t n = 0, arn_len = target_arn ? strlen(target_arn) : 0;
    int rc = SQLITE_DONE;

    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        grp_iter_t it;
        size_t start = n;

        grp_open(&it, st);
        while (n < max && it.rec.id < to && grp_next(&it) == 1)
            if (it.rec.id >= from && it.rec.id <= to && !start_done(o, it.rec.id) &&
                (!target_arn || rec_is(&it.rec, EV_JOBGRP_TARGET_ARN, target_arn, arn_len)))
                grp_fill(&it, &list[n++]);
        if (read_retries(o, it.g, it.n, list + start, n - start) != 0) {
            rc = SQLITE_ERROR;
            break;
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
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
    sqlite3_bind_int64(o->load, 1, hw + 1);
    sqlite3_bind_int64(o->load, 2, last);
    rc = read_page(o, o->load, hw + 1, last, NULL, max, &list, &n);
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
    rc = read_page(o, o->load_target, from, to, target_arn, max, jobs, n_out);
    pthread_mutex_unlock(&o->rlock);
    return rc;
}

ev_err ev_outbox_load_some(ev_outbox_t *o, const int64_t *ids, size_t n, ev_outbox_job_t *jobs)
{
    int rc = SQLITE_DONE;

    if (n > EV_OUTBOX_LOAD_SOME)
        n = EV_OUTBOX_LOAD_SOME;
    pthread_mutex_lock(&o->rlock);
    for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
        grp_iter_t it;
        int64_t hi = ids[i];

        if (jobs[i].mem || start_done(o, ids[i]))
            continue;
        sqlite3_bind_int64(o->load_grp, 1, ids[i]);
        rc = sqlite3_step(o->load_grp);
        if (rc != SQLITE_ROW)
            goto next;
        rc = SQLITE_DONE;
        grp_open(&it, o->load_grp);
        if (ids[i] >= it.g + (int64_t)it.n)
            goto next; /* the job is gone */
        /* Every job asked for that this group holds, from one pass over it. */
        for (size_t k = i + 1; k < n; k++)
            if (ids[k] > hi && ids[k] < it.g + (int64_t)it.n)
                hi = ids[k];
        while (it.rec.id < hi && grp_next(&it) == 1) {
            for (size_t k = i; k < n; k++) {
                if (ids[k] == it.rec.id && !jobs[k].mem && !start_done(o, it.rec.id)) {
                    grp_fill(&it, &jobs[k]);
                    break;
                }
            }
        }
        if (read_retries(o, it.g, it.n, jobs, n) != 0)
            rc = SQLITE_ERROR;
    next:
        sqlite3_reset(o->load_grp);
    }
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
    f->group = j->group;
    f->group_n = j->group_n;
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
