/*
 * tests/unit/store/test_outbox_crash.c - the outbox under kill -9. Each
 * generation is a forked child running the real outbox on one SQLite file:
 * it pages in what its restart finds, enqueues jobs for several targets (one
 * of them slow, whose jobs wait across restarts), hands back results (done,
 * dead, retry) while its consumer now and then refuses hand-overs, and reads
 * jobs back by id and by target. The parent kills it with SIGKILL at a
 * random moment and checks what the next restart pages in against what the
 * children logged. A last, clean run in the parent finishes everything.
 *
 * A child logs with write() around each call: a job before its enqueue
 * ("enq") and once acknowledged ("ack"), a result before it is handed over
 * ("fin", "retry"), and "sync" once ev_outbox_sync returned. A kill can cut
 * only the last line, which the parent ignores; so whatever the log says is
 * true. Results are committed with the next commit (outbox.h), so every
 * result logged before a "sync" or an "ack" is committed, and a job whose
 * finish is committed never comes back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "common/testdb.h"
#include "store/outbox.h"
#include "store/store.h"
#include "util/util.h"

#define SEED 8
#define GENS 7             /* generations killed */
#define LONG_GEN 3         /* ... this one lives long enough to store rows again by itself */
#define LONG_GEN_MS 1600
#define KILL_MIN_MS 150    /* the others are killed 150..700 ms after their restart */
#define KILL_SPAN_MS 551
#define READY_MS 30000     /* a restart (open and page-in), or the last run, takes less */
#define NTARGETS 4
#define SLOW 0             /* target 0 answers SLOW_MS.. after the event at the earliest */
#define SLOW_MS 1000
#define KEY_MAX 32         /* "<generation>-<seq>": event id and payload of a job */
#define MSG_MAX 512

static const char *const arns[NTARGETS] = {
    "arn:aws:events:us-east-1:000000000000:api-destination/slow/0",
    "arn:aws:events:us-east-1:000000000000:api-destination/fast/1",
    "arn:aws:events:us-east-1:000000000000:api-destination/fast/2",
    "arn:aws:events:us-east-1:000000000000:api-destination/fast/3",
};

/* ---- the child: one process lifetime of the outbox ---- */

enum { ID_NONE, ID_HELD, ID_FINISHED };

typedef struct {
    ev_outbox_job_t j;
    int64_t due_ms; /* when its result is handed over */
} held_t;

typedef struct {
    pthread_mutex_t lock;   /* inbox and refuse: take() runs on the writer thread */
    ev_outbox_job_t *inbox; /* handed over, not yet held */
    size_t ninbox, inbox_cap;
    int refuse;             /* take() says it has no room */
    ev_outbox_t *o;
    held_t *held;           /* received and not finished */
    size_t nheld, held_cap;
    uint8_t *ids;           /* ID_* by job id: ids never repeat within a process */
    size_t ids_cap;
    unsigned seed;
    int gen;
    int seq;                /* the next job's key */
    int log;                /* log.<gen> */
    ev_buf_t line;          /* log lines not yet written */
} child_t;

static int rnd(child_t *c, int n)
{
    return (int)((unsigned)rand_r(&c->seed) % (unsigned)n);
}

static int target_of(const char *arn)
{
    for (int t = 0; t < NTARGETS; t++)
        if (strcmp(arn, arns[t]) == 0)
            return t;
    return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Logs the reason and ends the child: the parent fails the test. */
static void child_fail(child_t *c, const char *fmt, ...) EV_PRINTF(2, 3);

static void child_fail(child_t *c, const char *fmt, ...)
{
    char msg[MSG_MAX];
    int n;
    va_list ap;

    va_start(ap, fmt);
    n = snprintf(msg, sizeof(msg), "err gen %d: ", c->gen);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(msg, "\n");
    fputs(msg, stderr);
    (void)write_all(c->log, msg, strlen(msg));
    _exit(1);
}

static void log_flush(child_t *c)
{
    if (c->line.failed)
        child_fail(c, "log line buffer full");
    if (c->line.len && write_all(c->log, c->line.p, c->line.len) != 0)
        child_fail(c, "cannot write the log");
    c->line.len = 0;
}

static int take(void *arg, ev_outbox_job_t *jobs, size_t n)
{
    child_t *c = arg;
    int ok;

    pthread_mutex_lock(&c->lock);
    ok = !c->refuse;
    if (ok) {
        if (c->ninbox + n > c->inbox_cap) {
            while (c->ninbox + n > c->inbox_cap)
                c->inbox_cap = c->inbox_cap ? 2 * c->inbox_cap : 1024;
            c->inbox = ev_xrealloc(c->inbox, c->inbox_cap * sizeof(*c->inbox));
        }
        memcpy(c->inbox + c->ninbox, jobs, n * sizeof(*jobs));
        c->ninbox += n;
    }
    pthread_mutex_unlock(&c->lock);
    if (ok)
        free(jobs);
    return ok;
}

/* Holds a job the outbox gave us (takes ownership of its strings). */
static void receive(child_t *c, ev_outbox_job_t *j, int64_t now)
{
    held_t *h;

    if (j->id <= 0 || j->id < j->group || j->id >= j->group + (int64_t)j->group_n)
        child_fail(c, "job %lld outside its group %lld+%u", (long long)j->id,
                   (long long)j->group, j->group_n);
    if ((size_t)j->id >= c->ids_cap) {
        size_t cap = c->ids_cap ? c->ids_cap : 4096;

        while (cap <= (size_t)j->id)
            cap *= 2;
        c->ids = ev_xrealloc(c->ids, cap);
        memset(c->ids + c->ids_cap, ID_NONE, cap - c->ids_cap);
        c->ids_cap = cap;
    }
    if (c->ids[j->id] != ID_NONE)
        child_fail(c, "job %lld (%s) received twice", (long long)j->id, j->event_id);
    if (target_of(j->target_arn) < 0 || j->payload_len != strlen(j->event_id) ||
        memcmp(j->payload, j->event_id, j->payload_len) != 0)
        child_fail(c, "job %lld (%s) misread", (long long)j->id, j->event_id);
    c->ids[j->id] = ID_HELD;
    if (c->nheld == c->held_cap) {
        c->held_cap = c->held_cap ? 2 * c->held_cap : 1024;
        c->held = ev_xrealloc(c->held, c->held_cap * sizeof(*c->held));
    }
    h = &c->held[c->nheld++];
    h->j = *j;
    /* The slow target's jobs wait from their event on, so across restarts. */
    if (target_of(j->target_arn) == SLOW)
        h->due_ms = j->event_ms + SLOW_MS + rnd(c, 1500);
    else
        h->due_ms = now + rnd(c, 60);
}

static void drain_inbox(child_t *c)
{
    ev_outbox_job_t *jobs;
    size_t n;
    int64_t now = ev_now_ms();

    pthread_mutex_lock(&c->lock);
    jobs = c->inbox;
    n = c->ninbox;
    c->inbox = NULL;
    c->ninbox = c->inbox_cap = 0;
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++)
        receive(c, &jobs[i], now);
    free(jobs);
}

/* Pages in whatever is stored and not received yet; returns the jobs. */
static size_t page_in(child_t *c, int max)
{
    size_t total = 0;

    for (;;) {
        ev_outbox_job_t *jobs = NULL;
        size_t n = 0;
        int64_t now = ev_now_ms();

        if (ev_outbox_load(c->o, 1 + (size_t)rnd(c, max), &jobs, &n) != EV_OK)
            child_fail(c, "ev_outbox_load failed");
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            receive(c, &jobs[i], now);
        free(jobs);
        total += n;
    }
    return total;
}

/* A batch for random targets, logged before the call and once acknowledged. */
static void enqueue_batch(child_t *c)
{
    int n = rnd(c, 50) == 0 ? 1025 + rnd(c, 200) : 1 + rnd(c, 30); /* > a group at times */
    ev_job_t *in = ev_xcalloc((size_t)n, sizeof(*in));
    char (*keys)[KEY_MAX] = ev_xcalloc((size_t)n, sizeof(*keys));
    int64_t now = ev_now_ms();

    for (int i = 0; i < n; i++) {
        int t = rnd(c, NTARGETS);

        snprintf(keys[i], sizeof(keys[i]), "%d-%d", c->gen, c->seq++);
        in[i].account = "000000000000";
        in[i].region = "us-east-1";
        in[i].event_id = keys[i];
        in[i].bus = "default";
        in[i].rule_arn = "arn:aws:events:us-east-1:000000000000:rule/crash";
        in[i].target_id = "t";
        in[i].target_arn = arns[t];
        in[i].payload = keys[i];
        in[i].payload_len = strlen(keys[i]);
        in[i].event_ms = now;
        in[i].due_ms = now;
        ev_buf_printf(&c->line, "enq %s %d\n", keys[i], t);
    }
    log_flush(c);
    if (ev_outbox_enqueue(c->o, in, (size_t)n) != EV_OK)
        child_fail(c, "ev_outbox_enqueue failed");
    for (int i = 0; i < n; i++)
        ev_buf_printf(&c->line, "ack %s\n", keys[i]);
    log_flush(c);
    free(in);
    free(keys);
}

/* Hands over the results of the held jobs that are due; `all`: every one, done. */
static void hand_results(child_t *c, int all)
{
    ev_job_result_t *res = ev_xcalloc(c->nheld + 1, sizeof(*res));
    uint8_t *act = ev_xcalloc(c->nheld + 1, 1); /* 0 kept, 1 finished, 2 retried */
    int64_t now = ev_now_ms();
    size_t nr = 0, keep = 0;

    for (size_t i = 0; i < c->nheld; i++) {
        held_t *h = &c->held[i];
        int slow = target_of(h->j.target_arn) == SLOW;
        ev_job_result_t *r = &res[nr];

        if (!all && h->due_ms > now)
            continue;
        r->job = &h->j;
        r->attempted = 1;
        r->time_ms = now;
        if (!all && rnd(c, slow ? 4 : 25) == 0) {
            r->outcome = EV_JOB_RETRY;
            r->due_ms = now + (slow ? 300 + rnd(c, 1200) : 20 + rnd(c, 100));
            r->status = 503;
            r->result = "retry";
            act[i] = 2;
        } else if (!all && rnd(c, 10) == 0) {
            r->outcome = EV_JOB_DEAD;
            r->status = 400;
            r->result = "dead-lettered";
            act[i] = 1;
        } else {
            r->outcome = EV_JOB_DONE;
            r->status = 200;
            r->result = "success";
            act[i] = 1;
        }
        ev_buf_printf(&c->line, "%s %s\n", act[i] == 2 ? "retry" : "fin", h->j.event_id);
        nr++;
    }
    log_flush(c);
    if (nr)
        ev_outbox_results(c->o, res, nr); /* copied */
    for (size_t i = 0, k = 0; i < c->nheld; i++) {
        held_t *h = &c->held[i];

        if (act[i] == 1) {
            c->ids[h->j.id] = ID_FINISHED;
            ev_outbox_job_clear(&h->j);
            continue;
        }
        if (act[i] == 2) {
            h->j.attempts++;
            h->due_ms = res[k].due_ms;
        }
        k += act[i] != 0;
        c->held[keep++] = *h;
    }
    c->nheld = keep;
    free(act);
    free(res);
}

/* Held jobs read again by id come back as they were handed over. */
static void check_some(child_t *c)
{
    int64_t ids[EV_OUTBOX_LOAD_SOME];
    size_t at[EV_OUTBOX_LOAD_SOME], k = 0;
    ev_outbox_job_t got[EV_OUTBOX_LOAD_SOME];

    for (size_t i = (size_t)rnd(c, 4); i < c->nheld && k < EV_OUTBOX_LOAD_SOME;
         i += 1 + (size_t)rnd(c, 4)) {
        at[k] = i;
        ids[k++] = c->held[i].j.id;
    }
    if (k == 0)
        return;
    memset(got, 0, sizeof(got));
    if (ev_outbox_load_some(c->o, ids, k, got) != EV_OK)
        child_fail(c, "ev_outbox_load_some failed");
    for (size_t i = 0; i < k; i++) {
        const ev_outbox_job_t *h = &c->held[at[i]].j;

        if (!got[i].mem)
            child_fail(c, "held job %lld (%s) not found by id", (long long)ids[i],
                       h->event_id);
        if (got[i].id != h->id || strcmp(got[i].event_id, h->event_id) != 0 ||
            got[i].payload_len != h->payload_len ||
            memcmp(got[i].payload, h->payload, h->payload_len) != 0 ||
            strcmp(got[i].target_arn, h->target_arn) != 0 || got[i].group != h->group ||
            got[i].group_n != h->group_n)
            child_fail(c, "job %lld (%s) read by id as %s", (long long)ids[i], h->event_id,
                       got[i].event_id);
        ev_outbox_job_clear(&got[i]);
    }
    ev_buf_printf(&c->line, "cov some\n");
    log_flush(c);
}

/*
 * The held jobs of target t come back by target and id range, oldest first
 * and each once, in pages; nothing else comes back but jobs this process
 * finished whose row still stores them.
 */
static void check_target(child_t *c, int t)
{
    int64_t lo = INT64_MAX, hi = 0, from;
    size_t want = 0, found = 0;

    for (size_t i = 0; i < c->nheld; i++) {
        const ev_outbox_job_t *j = &c->held[i].j;

        if (strcmp(j->target_arn, arns[t]) == 0) {
            want++;
            lo = j->id < lo ? j->id : lo;
            hi = j->id > hi ? j->id : hi;
        }
    }
    if (!want)
        return;
    for (from = lo;;) {
        ev_outbox_job_t *jobs = NULL;
        size_t n = 0, max = 1 + (size_t)rnd(c, 40);

        if (ev_outbox_load_target(c->o, arns[t], from, hi, max, &jobs, &n) != EV_OK)
            child_fail(c, "ev_outbox_load_target failed");
        for (size_t i = 0; i < n; i++) {
            int64_t id = jobs[i].id;

            if (id < from || id > hi || strcmp(jobs[i].target_arn, arns[t]) != 0)
                child_fail(c, "load_target %d [%lld, %lld] gave job %lld of %s", t,
                           (long long)from, (long long)hi, (long long)id, jobs[i].target_arn);
            if (c->ids[id] == ID_NONE)
                child_fail(c, "load_target gave job %lld (%s), never received", (long long)id,
                           jobs[i].event_id);
            found += c->ids[id] == ID_HELD;
            from = id + 1;
            ev_outbox_job_clear(&jobs[i]);
        }
        free(jobs);
        if (n < max)
            break;
    }
    if (found != want)
        child_fail(c, "load_target %d found %zu of %zu held jobs", t, found, want);
    ev_buf_printf(&c->line, "cov target\n");
    log_flush(c);
}

/* After a sync everything handed over is committed: pending is what we hold. */
static void check_sync(child_t *c)
{
    int64_t pending = -1;

    ev_outbox_sync(c->o);
    ev_buf_printf(&c->line, "sync\n");
    log_flush(c);
    drain_inbox(c);
    (void)page_in(c, 200);
    if (ev_outbox_pending(c->o, &pending) != EV_OK || pending != (int64_t)c->nheld)
        child_fail(c, "pending %lld after a sync, %zu held", (long long)pending, c->nheld);
}

static void child_init(child_t *c, int gen, int log)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    c->seed = SEED * 1000u + (unsigned)gen;
    c->gen = gen;
    c->log = log;
    ev_buf_init(&c->line, 1u << 20);
}

static void child_free(child_t *c)
{
    for (size_t i = 0; i < c->nheld; i++)
        ev_outbox_job_clear(&c->held[i].j);
    for (size_t i = 0; i < c->ninbox; i++)
        ev_outbox_job_clear(&c->inbox[i]);
    free(c->held);
    free(c->inbox);
    free(c->ids);
    ev_buf_free(&c->line);
    pthread_mutex_destroy(&c->lock);
}

/*
 * A restart: opens the outbox, pages in everything stored and writes what it
 * found to report_path: a "job" line each, "pending", "end".
 */
static void restart(child_t *c, const char *db, const char *report_path)
{
    char msg[256];
    int64_t pending = -1;
    FILE *f;

    if (ev_outbox_open(db, 0, &c->o, msg, sizeof(msg)) != EV_OK)
        child_fail(c, "%s", msg);
    (void)page_in(c, 300);
    if (ev_outbox_pending(c->o, &pending) != EV_OK)
        child_fail(c, "ev_outbox_pending failed");
    f = fopen(report_path, "w");
    if (!f)
        child_fail(c, "cannot write %s", report_path);
    for (size_t i = 0; i < c->nheld; i++) {
        const ev_outbox_job_t *j = &c->held[i].j;

        fprintf(f, "job %s %.*s %" PRId64 " %" PRId64 " %" PRIu32 " %d %s\n", j->event_id,
                (int)j->payload_len, (const char *)j->payload, j->id, j->group, j->group_n,
                j->attempts, j->target_arn);
    }
    fprintf(f, "pending %" PRId64 "\nend\n", pending);
    if (fclose(f) != 0)
        child_fail(c, "cannot write %s", report_path);
}

/*
 * A generation: restarts and says so on `ready`, then works until it is
 * killed; or, the last one (`last`), finishes everything and exits.
 */
static void child_main(const char *dir, int gen, int ready, int last)
{
    char *db = ev_xasprintf("%s/evbridge.db", dir);
    char *report = ev_xasprintf("%s/report.%d", dir, gen);
    char *logp = ev_xasprintf("%s/log.%d", dir, gen);
    int64_t pending = -1;
    child_t c;

    child_init(&c, gen, open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644));
    if (c.log < 0)
        child_fail(&c, "cannot open %s", logp);
    restart(&c, db, report);
    if (write_all(ready, "r", 1) != 0)
        child_fail(&c, "cannot signal the parent");
    ev_outbox_set_consumer(c.o, take, &c);
    while (!last) {
        struct timespec pause = {0, (500 + rnd(&c, 3000)) * 1000L};

        pthread_mutex_lock(&c.lock);
        c.refuse = rnd(&c, 10) == 0; /* spills the next commit */
        pthread_mutex_unlock(&c.lock);
        enqueue_batch(&c);
        drain_inbox(&c);
        if (page_in(&c, 64) > 0) {
            ev_buf_printf(&c.line, "cov paged\n");
            log_flush(&c);
        }
        hand_results(&c, 0);
        if (rnd(&c, 5) == 0)
            check_some(&c);
        if (rnd(&c, 7) == 0)
            check_target(&c, rnd(&c, 3) ? SLOW : 1 + rnd(&c, NTARGETS - 1));
        if (rnd(&c, 25) == 0)
            check_sync(&c);
        nanosleep(&pause, NULL);
    }
    hand_results(&c, 1);
    ev_outbox_sync(c.o);
    ev_buf_printf(&c.line, "sync\n");
    log_flush(&c);
    if (ev_outbox_pending(c.o, &pending) != EV_OK || pending != 0)
        child_fail(&c, "pending %lld once everything is finished", (long long)pending);
    ev_outbox_set_consumer(c.o, NULL, NULL);
    ev_outbox_close(c.o);
    close(c.log);
    child_free(&c);
    free(db);
    free(report);
    free(logp);
    exit(0); /* (LeakSanitizer checks this process where it checks forked ones: GCC's) */
}

/* ---- the parent: what the logs say, checked at each restart ---- */

/* What the logs and the restarts so far say of one job (by key). */
typedef struct {
    int8_t target;      /* -1: no job has this key */
    uint8_t stored;     /* acknowledged, or paged in at a restart */
    uint8_t finished;   /* a done or dead result was handed over since */
    uint8_t committed;  /* ... and committed: C_* */
    uint8_t gone;       /* a restart did not page it in: it never comes back */
    uint8_t loaded;     /* in the report being checked */
    uint16_t retries, retries_committed; /* retry results handed over, committed */
} rec_t;

/* What says a result is committed: a later acknowledged enqueue, or a sync. */
enum { C_NO, C_ACK, C_SYNC };

typedef struct {
    rec_t *recs[GENS + 1]; /* by generation, by seq */
    size_t nrecs[GENS + 1];
    /* what the run exercised */
    size_t loaded, loaded_slow, redelivered, with_attempts, rows_again, tomb_rows;
    size_t paged, some, target, syncs, finished, retried;
} model_t;

static rec_t *rec_of(model_t *m, const char *key, int before_gen)
{
    int g = -1, seq = -1, end = 0;

    if (sscanf(key, "%d-%d%n", &g, &seq, &end) != 2 || key[end] || g < 0 || g >= before_gen ||
        seq < 0 || (size_t)seq >= m->nrecs[g] || m->recs[g][seq].target < 0)
        return NULL;
    return &m->recs[g][seq];
}

/* The complete lines of a file, NUL-terminated in place (a last line cut
 * short by the kill is dropped). */
static char *read_lines(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    ev_buf_t b;
    char chunk[65536];
    size_t n;

    ev_buf_init(&b, 1u << 30);
    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ev_buf_add(&b, chunk, n);
    fclose(f);
    assert_false(b.failed);
    while (b.len > 0 && b.p[b.len - 1] != '\n')
        b.len--;
    ev_buf_addc(&b, 0);
    *len = b.len - 1;
    for (size_t i = 0; i < *len; i++)
        if (b.p[i] == '\n')
            b.p[i] = 0;
    return ev_buf_steal(&b, NULL);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * What restart `gen` paged in: every job stored and not finished exactly once,
 * none whose finish is committed and none an earlier restart did not find,
 * each as it was enqueued and with the attempts its committed retries made
 * (and no more than it was handed over); pending is their number.
 */
static void check_report(model_t *m, const char *dir, int gen)
{
    char *path = ev_xasprintf("%s/report.%d", dir, gen);
    size_t len, njobs = 0, cap = 1024;
    int64_t *ids = ev_xmalloc(cap * sizeof(*ids)), pending = -1;
    char *text = read_lines(path, &len);
    int end = 0;

    for (char *line = text; line < text + len; line += strlen(line) + 1) {
        char ev[KEY_MAX], payload[KEY_MAX], arn[MSG_MAX];
        int64_t id, group;
        uint32_t group_n;
        int attempts;
        rec_t *r;

        if (sscanf(line, "pending %" SCNd64, &pending) == 1)
            continue;
        if (strcmp(line, "end") == 0) {
            end = 1;
            continue;
        }
        if (sscanf(line, "job %31s %31s %" SCNd64 " %" SCNd64 " %" SCNu32 " %d %511s", ev,
                   payload, &id, &group, &group_n, &attempts, arn) != 7)
            fail_msg("gen %d: bad report line '%s'", gen, line);
        r = rec_of(m, ev, gen);
        if (!r)
            fail_msg("gen %d: paged in %s, never enqueued", gen, ev);
        if (strcmp(ev, payload) != 0 || strcmp(arn, arns[r->target]) != 0)
            fail_msg("gen %d: %s paged in as payload %s for %s", gen, ev, payload, arn);
        if (id < group || id >= group + (int64_t)group_n)
            fail_msg("gen %d: %s is job %" PRId64 " of group %" PRId64 "+%" PRIu32, gen, ev, id,
                     group, group_n);
        if (r->committed)
            fail_msg("gen %d: %s came back, its finish committed (%s returned after it)", gen,
                     ev, r->committed == C_SYNC ? "a sync" : "an enqueue");
        if (r->gone)
            fail_msg("gen %d: %s came back after a restart without it", gen, ev);
        if (r->loaded++)
            fail_msg("gen %d: %s paged in twice", gen, ev);
        if (attempts < r->retries_committed || attempts > r->retries)
            fail_msg("gen %d: %s has %d attempts, %u retries committed, %u handed over", gen,
                     ev, attempts, r->retries_committed, r->retries);
        if (njobs == cap) {
            cap *= 2;
            ids = ev_xrealloc(ids, cap * sizeof(*ids));
        }
        ids[njobs++] = id;
        m->loaded_slow += r->target == SLOW;
        m->redelivered += r->finished;
        m->with_attempts += attempts > 0;
    }
    if (!end)
        fail_msg("gen %d: the report is incomplete", gen);
    if (pending != (int64_t)njobs)
        fail_msg("gen %d: pending %" PRId64 ", %zu paged in", gen, pending, njobs);
    qsort(ids, njobs, sizeof(*ids), cmp_i64);
    for (size_t i = 1; i < njobs; i++)
        if (ids[i] == ids[i - 1])
            fail_msg("gen %d: id %" PRId64 " paged in twice", gen, ids[i]);
    /* Stored and not finished: paged in. From now on the outbox says so. */
    for (int g = 0; g < gen; g++) {
        for (size_t s = 0; s < m->nrecs[g]; s++) {
            rec_t *r = &m->recs[g][s];

            if (r->target < 0 || r->gone)
                continue;
            if (!r->loaded && r->stored && !r->finished)
                fail_msg("gen %d: %d-%zu lost", gen, g, s);
            if (!r->loaded) {
                r->gone = 1;
                continue;
            }
            r->stored = 1;
            r->finished = r->committed = C_NO;
            r->loaded = 0;
        }
    }
    m->loaded += njobs;
    free(ids);
    free(text);
    free(path);
}

/* A result handed over, not known to be committed yet. */
typedef struct {
    rec_t *r;
    int retry;
} uncommitted_t;

/* The results in wait[0..*n) are committed (`how`: C_*). */
static void commit_results(uncommitted_t *wait, size_t *n, int how)
{
    for (size_t i = 0; i < *n; i++) {
        if (wait[i].retry)
            wait[i].r->retries_committed++;
        else
            wait[i].r->committed = (uint8_t)how;
    }
    *n = 0;
}

/* Reads what generation gen did into the model: its jobs first (so that the
 * records stay where they are), then acknowledgements and results in order. */
static void apply_log(model_t *m, const char *dir, int gen)
{
    char *path = ev_xasprintf("%s/log.%d", dir, gen);
    size_t len, nwait = 0, wait_cap = 1024;
    uncommitted_t *wait = ev_xmalloc(wait_cap * sizeof(*wait));
    char *text = read_lines(path, &len);

    for (char *line = text; line < text + len; line += strlen(line) + 1) {
        char key[KEY_MAX];
        int g, seq, t, end = 0;

        if (sscanf(line, "enq %31s %d", key, &t) != 2)
            continue;
        if (sscanf(key, "%d-%d%n", &g, &seq, &end) != 2 || key[end] || g != gen || seq < 0 ||
            t < 0 || t >= NTARGETS)
            fail_msg("gen %d: bad log line '%s'", gen, line);
        if ((size_t)seq >= m->nrecs[gen]) {
            size_t n = m->nrecs[gen] ? m->nrecs[gen] : 1024;

            while (n <= (size_t)seq)
                n *= 2;
            m->recs[gen] = ev_xrealloc(m->recs[gen], n * sizeof(rec_t));
            memset(m->recs[gen] + m->nrecs[gen], 0, (n - m->nrecs[gen]) * sizeof(rec_t));
            for (size_t i = m->nrecs[gen]; i < n; i++)
                m->recs[gen][i].target = -1;
            m->nrecs[gen] = n;
        }
        m->recs[gen][seq].target = (int8_t)t;
    }
    for (char *line = text; line < text + len; line += strlen(line) + 1) {
        char key[KEY_MAX], what[16];
        rec_t *r = NULL;

        if (strncmp(line, "err ", 4) == 0)
            fail_msg("%s", line);
        if (strncmp(line, "enq ", 4) == 0)
            continue;
        if (strcmp(line, "sync") == 0) {
            commit_results(wait, &nwait, C_SYNC);
            m->syncs++;
            continue;
        }
        if (sscanf(line, "cov %15s", what) == 1) {
            m->paged += strcmp(what, "paged") == 0;
            m->some += strcmp(what, "some") == 0;
            m->target += strcmp(what, "target") == 0;
            continue;
        }
        if (sscanf(line, "%15s %31s", what, key) != 2 || !(r = rec_of(m, key, gen + 1)))
            fail_msg("gen %d: bad log line '%s'", gen, line);
        if (strcmp(what, "ack") == 0) {
            commit_results(wait, &nwait, C_ACK);
            r->stored = 1;
            continue;
        }
        if (strcmp(what, "fin") != 0 && strcmp(what, "retry") != 0)
            fail_msg("gen %d: bad log line '%s'", gen, line);
        if (nwait == wait_cap) {
            wait_cap *= 2;
            wait = ev_xrealloc(wait, wait_cap * sizeof(*wait));
        }
        wait[nwait].r = r;
        wait[nwait].retry = strcmp(what, "retry") == 0;
        if (wait[nwait++].retry) {
            r->retries++;
            m->retried++;
        } else {
            r->finished = 1;
            m->finished++;
        }
    }
    free(wait);
    free(text);
    free(path);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Waits up to ms for child pid to end; kills it when it has not. */
static void reap(pid_t pid, int ms, int *status)
{
    pid_t r;

    while ((r = waitpid(pid, status, WNOHANG)) == 0 && ms > 0) {
        sleep_ms(10);
        ms -= 10;
    }
    if (r == 0) {
        kill(pid, SIGKILL);
        r = waitpid(pid, status, 0);
    }
    assert_int_equal(r, pid);
}

/*
 * Runs generation gen in a child and kills it kill_ms after its restart
 * (kill_ms < 0: the last one, which exits by itself), then checks the
 * restart's report and reads its log.
 */
static void run_generation(model_t *m, const char *dir, int gen, int kill_ms)
{
    struct pollfd p;
    int fds[2], status = 0, ready;
    char b;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    fflush(NULL); /* nothing buffered is written twice */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_main(dir, gen, fds[1], kill_ms < 0);
        _exit(2);
    }
    close(fds[1]);
    p.fd = fds[0];
    p.events = POLLIN;
    ready = poll(&p, 1, READY_MS) == 1 && read(fds[0], &b, 1) == 1;
    close(fds[0]);
    if (ready && kill_ms >= 0) {
        sleep_ms(kill_ms);
        kill(pid, SIGKILL);
    }
    reap(pid, ready && kill_ms < 0 ? READY_MS : 0, &status);
    if (!ready || (kill_ms >= 0 && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) ||
        (kill_ms < 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))) {
        apply_log(m, dir, gen); /* fails with the child's own message, if it left one */
        fail_msg("gen %d: the child ended with status 0x%x (ready %d)", gen, status, ready);
    }
    check_report(m, dir, gen);
    apply_log(m, dir, gen);
}

/*
 * Generations killed at random moments, each restart checked; then a clean
 * run finishes everything, and nothing is left in the outbox.
 */
static void test_kill_9(void **state)
{
    char *path = ev_test_db("crash"), *dir = ev_xstrdup(path), msg[256];
    ev_outbox_t *o = NULL;
    ev_outbox_job_t *jobs = NULL;
    int64_t pending = -1;
    size_t n = 9;
    model_t m;

    (void)state;
    *strrchr(dir, '/') = 0;
    memset(&m, 0, sizeof(m));
    srand(SEED);
    for (int gen = 0; gen < GENS; gen++) {
        run_generation(&m, dir, gen,
                       gen == LONG_GEN ? LONG_GEN_MS : KILL_MIN_MS + rand() % KILL_SPAN_MS);
        m.rows_again += (size_t)ev_test_count(path, "SELECT count(*) FROM outbox_grp WHERE live < n");
        m.tomb_rows += (size_t)ev_test_count(path, "SELECT count(*) FROM outbox_done");
    }
    run_generation(&m, dir, GENS, -1);
    print_message("%zu jobs paged in at %d restarts (%zu of the slow target, %zu again after a "
                  "finish not known to be committed, %zu with attempts); %zu finished, %zu "
                  "retried, %zu syncs; %zu rows stored again, %zu tombstone rows (summed over "
                  "the kills); "
                  "%zu spills paged in, %zu reads by id, %zu by target\n",
                  m.loaded, GENS + 1, m.loaded_slow, m.redelivered, m.with_attempts, m.finished,
                  m.retried, m.syncs, m.rows_again, m.tomb_rows, m.paged, m.some, m.target);
    /* What the run has to exercise for its checks to mean something. */
    assert_true(m.loaded_slow > 0);
    assert_true(m.with_attempts > 0);
    assert_true(m.retried > 0);
    assert_true(m.syncs > 0);
    assert_true(m.rows_again > 0);
    assert_true(m.tomb_rows > 0);
    assert_true(m.paged > 0);
    assert_true(m.some > 0);
    assert_true(m.target > 0);

    /* The clean run (its pending was 0) left nothing behind, nor does a restart find any. */
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 0);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_done"), 0);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_retry"), 0);
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 0);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 0);
    assert_null(jobs);
    ev_outbox_close(o);

    for (int g = 0; g <= GENS; g++)
        free(m.recs[g]);
    free(dir);
    ev_test_db_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_9),
    };

    ev_log_set_level(EV_LOG_WARN); /* not the info line of every restart */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
