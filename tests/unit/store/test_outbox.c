/*
 * tests/unit/store/test_outbox.c - the outbox on a real SQLite file: group
 * commit, hand-over of committed jobs to the consumer, spilling when it has
 * no room and paging in oldest first, results (delete, retry, history), ids
 * that never repeat within a process, and what a restart finds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/testdb.h"
#include "store/outbox.h"
#include "store/store.h"
#include "util/util.h"

#define T0 1700000000000LL

typedef struct {
    pthread_mutex_t lock;
    size_t room;            /* jobs the consumer still takes */
    ev_outbox_job_t got[64];
    size_t ngot;
    int calls;
} consumer_t;

static int take(void *arg, ev_outbox_job_t *jobs, size_t n)
{
    consumer_t *c = arg;
    int ok;

    pthread_mutex_lock(&c->lock);
    c->calls++;
    ok = n <= c->room && c->ngot + n <= 64;
    if (ok) {
        memcpy(c->got + c->ngot, jobs, n * sizeof(*jobs));
        c->ngot += n;
        c->room -= n;
        free(jobs);
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

static void consumer_clear(consumer_t *c)
{
    for (size_t i = 0; i < c->ngot; i++)
        ev_outbox_job_clear(&c->got[i]);
    c->ngot = 0;
}

static ev_job_t job(const char *event_id, const char *payload)
{
    ev_job_t j;

    memset(&j, 0, sizeof(j));
    j.account = "000000000000";
    j.region = "us-east-1";
    j.event_id = event_id;
    j.bus = "default";
    j.rule_arn = "arn:aws:events:us-east-1:000000000000:rule/r1";
    j.target_id = "t1";
    j.target_arn = "arn:aws:events:us-east-1:000000000000:api-destination/d/x";
    j.payload = payload;
    j.payload_len = strlen(payload);
    j.event_ms = T0;
    j.due_ms = T0;
    return j;
}

static void test_hand_over_and_spill(void **state)
{
    char *path = ev_test_db("outbox");
    consumer_t c = {PTHREAD_MUTEX_INITIALIZER, 2, {{0}}, 0, 0};
    ev_outbox_t *o = NULL;
    ev_outbox_job_t *jobs = NULL;
    ev_job_t in[3];
    size_t n = 9;
    int64_t pending = -1;
    char msg[256];

    (void)state;
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    /* An empty store: nothing to page in, and from now on jobs are handed over. */
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 0);
    assert_null(jobs);
    ev_outbox_set_consumer(o, take, &c);

    in[0] = job("e1", "{\"a\":1}");
    in[1] = job("e2", "{\"a\":2}");
    assert_int_equal(ev_outbox_enqueue(o, in, 2), EV_OK);
    assert_int_equal(c.ngot, 2);
    assert_int_equal(c.got[0].id, 1);
    assert_int_equal(c.got[1].id, 2);
    assert_string_equal(c.got[1].event_id, "e2");
    assert_string_equal((const char *)c.got[1].payload, "{\"a\":2}");
    assert_int_equal(c.got[1].payload_len, 7);
    assert_string_equal(c.got[0].target_arn, in[0].target_arn);

    /* No room: the next jobs stay stored (spilled) and later commits too,
     * even when the consumer would have room again, so order is kept. */
    in[0] = job("e3", "3");
    assert_int_equal(ev_outbox_enqueue(o, in, 1), EV_OK);
    assert_int_equal(c.ngot, 2);
    c.room = 10;
    in[0] = job("e4", "4");
    in[1] = job("e5", "5");
    in[2] = job("e6", "6");
    assert_int_equal(ev_outbox_enqueue(o, in, 3), EV_OK);
    assert_int_equal(c.ngot, 2);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 6);

    /* Paging in: oldest first, in pages. */
    assert_int_equal(ev_outbox_load(o, 3, &jobs, &n), EV_OK);
    assert_int_equal(n, 3);
    assert_int_equal(jobs[0].id, 3);
    assert_string_equal(jobs[0].event_id, "e3");
    assert_int_equal(jobs[2].id, 5);
    assert_string_equal((const char *)jobs[2].payload, "5");
    for (size_t i = 0; i < n; i++)
        ev_outbox_job_clear(&jobs[i]);
    free(jobs);
    /* A short page ends the spill: the next commit is handed over. */
    assert_int_equal(ev_outbox_load(o, 3, &jobs, &n), EV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(jobs[0].id, 6);
    ev_outbox_job_clear(&jobs[0]);
    free(jobs);
    assert_int_equal(ev_outbox_load(o, 3, &jobs, &n), EV_OK);
    assert_int_equal(n, 0);
    in[0] = job("e7", "7");
    assert_int_equal(ev_outbox_enqueue(o, in, 1), EV_OK);
    assert_int_equal(c.ngot, 3);
    assert_int_equal(c.got[2].id, 7);

    ev_outbox_set_consumer(o, NULL, NULL);
    ev_outbox_close(o);
    consumer_clear(&c);
    /* A row per commit here (one target each). */
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 4);
    assert_int_equal(ev_test_count(path, "SELECT sum(n) FROM outbox_grp"), 7);
    ev_test_db_remove(path);
}

/* A parked target's jobs come back by target and id range, oldest first,
 * across the groups of several commits. */
static void test_load_target(void **state)
{
    static const char dead[] = "arn:aws:events:us-east-1:000000000000:api-destination/dead/x";
    char *path = ev_test_db("outbox");
    consumer_t c = {PTHREAD_MUTEX_INITIALIZER, 64, {{0}}, 0, 0};
    ev_outbox_t *o = NULL;
    ev_outbox_job_t *jobs = NULL;
    ev_job_t in[8];
    char ids[8][4];
    size_t n = 9;
    char msg[256];

    (void)state;
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    ev_outbox_set_consumer(o, take, &c);
    for (int i = 0; i < 8; i++) { /* e2, e4, e5, e7 and e8 go to `dead` */
        snprintf(ids[i], sizeof(ids[i]), "e%d", i + 1);
        in[i] = job(ids[i], ids[i]);
        if (i == 1 || i == 3 || i == 4 || i == 6 || i == 7)
            in[i].target_arn = dead;
    }
    /* One group per commit: e1..e8 are 1..8, then e7 e8 again are 9, 10. */
    assert_int_equal(ev_outbox_enqueue(o, in, 8), EV_OK);
    assert_int_equal(ev_outbox_enqueue(o, in + 6, 2), EV_OK);

    assert_int_equal(ev_outbox_load_target(o, dead, 3, 9, 2, &jobs, &n), EV_OK);
    assert_int_equal(n, 2);
    assert_int_equal(jobs[0].id, 4);
    assert_string_equal((const char *)jobs[0].payload, "e4");
    assert_int_equal(jobs[1].id, 5);
    assert_string_equal(jobs[1].target_arn, dead);
    assert_string_equal((const char *)jobs[1].payload, "e5");
    assert_int_equal(jobs[1].group, 1);
    assert_int_equal(jobs[1].group_n, 8);
    for (size_t i = 0; i < n; i++)
        ev_outbox_job_clear(&jobs[i]);
    free(jobs);
    /* On into the next commit's group; the upper bound holds (10 is beyond
     * it); a short page says "no more". */
    assert_int_equal(ev_outbox_load_target(o, dead, 6, 9, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 3);
    assert_int_equal(jobs[0].id, 7);
    assert_string_equal(jobs[0].event_id, "e7");
    assert_int_equal(jobs[1].id, 8);
    assert_int_equal(jobs[2].id, 9);
    assert_string_equal(jobs[2].event_id, "e7");
    assert_int_equal(jobs[2].group, 9);
    assert_int_equal(jobs[2].group_n, 2);
    for (size_t i = 0; i < n; i++)
        ev_outbox_job_clear(&jobs[i]);
    free(jobs);
    /* The other target's, from inside the group. */
    assert_int_equal(ev_outbox_load_target(o, in[0].target_arn, 2, 10, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 2);
    assert_int_equal(jobs[0].id, 3);
    assert_string_equal(jobs[0].event_id, "e3");
    assert_int_equal(jobs[1].id, 6);
    assert_string_equal(jobs[1].event_id, "e6");
    for (size_t i = 0; i < n; i++)
        ev_outbox_job_clear(&jobs[i]);
    free(jobs);
    assert_int_equal(ev_outbox_load_target(o, "arn:nothing", 1, 10, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 0);
    assert_null(jobs);
    assert_int_equal(ev_outbox_load_target(o, dead, 9, 8, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 0);

    ev_outbox_set_consumer(o, NULL, NULL);
    ev_outbox_close(o);
    consumer_clear(&c);
    ev_test_db_remove(path);
}

static void test_results_and_restart(void **state)
{
    char *path = ev_test_db("outbox");
    consumer_t c = {PTHREAD_MUTEX_INITIALIZER, 10, {{0}}, 0, 0};
    ev_outbox_t *o = NULL;
    ev_outbox_job_t *jobs = NULL, one;
    ev_job_result_t res[3];
    ev_job_t in[3];
    size_t n = 0;
    char msg[256];

    (void)state;
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    ev_outbox_set_consumer(o, take, &c);
    in[0] = job("e1", "p1");
    in[1] = job("e2", "p2");
    in[2] = job("e3", "p3");
    assert_int_equal(ev_outbox_enqueue(o, in, 3), EV_OK);
    assert_int_equal(c.ngot, 3);

    memset(res, 0, sizeof(res));
    res[0].job = &c.got[0];
    res[0].outcome = EV_JOB_DONE;
    res[0].attempted = 1;
    res[0].time_ms = T0 + 5;
    res[0].status = 200;
    res[0].result = "success";
    res[0].response = "{}";
    res[0].response_len = 2;
    res[1].job = &c.got[1];
    res[1].outcome = EV_JOB_RETRY;
    res[1].attempted = 1;
    res[1].due_ms = T0 + 60000;
    res[1].status = 500;
    res[1].result = "retry";
    res[1].error = "SDK_CLIENT_ERROR: HTTP 500";
    res[2].job = &c.got[2];
    res[2].outcome = EV_JOB_DEAD; /* never attempted: recorded, then gone */
    res[2].result = "dropped";
    res[2].error = "NO_RESOURCE: gone";
    ev_outbox_results(o, res, 3);
    /* Results are copied: the consumer may free its jobs at once. */
    consumer_clear(&c);
    ev_outbox_record(o, "000000000000", "us-east-1", "arn:conn", "http://127.0.0.1:1/token",
                     T0, 200, "success", NULL, 3);
    ev_outbox_sync(o);
    /* One group (1..3) until its last job is finished; the retry state of 2. */
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 1);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_retry"), 1);
    assert_int_equal(ev_test_count(path, "SELECT attempts FROM outbox_retry WHERE id = 2"), 1);
    assert_int_equal(ev_test_count(path, "SELECT due_ms FROM outbox_retry WHERE id = 2"), T0 + 60000);
    /* Four attempts in history rows (one per commit), read back newest first. */
    assert_int_equal(ev_test_count(path, "SELECT sum(n) FROM attempt_log"), 4);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM attempts"), 0);
    {
        ev_store_t *st = NULL;
        ev_attempt_t *list = NULL;
        size_t nl = 0;

        assert_int_equal(ev_store_open(path, &st, msg, sizeof(msg)), EV_OK);
        assert_int_equal(ev_store_begin(st, 0), EV_OK);
        assert_int_equal(ev_store_attempts_list(st, NULL, NULL, NULL, 0, 10, &list, &nl), EV_OK);
        assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
        assert_int_equal(nl, 4);
        assert_string_equal(list[0].target_id, "oauth-token");
        assert_string_equal(list[0].target_arn, "http://127.0.0.1:1/token");
        assert_string_equal(list[0].rule_arn, "arn:conn");
        assert_int_equal(list[0].latency_ms, 3);
        assert_null(list[0].error);
        assert_string_equal(list[0].response, "");
        assert_string_equal(list[1].event_id, "e3");
        assert_string_equal(list[1].outcome, "dropped");
        assert_string_equal(list[1].error, "NO_RESOURCE: gone");
        assert_string_equal(list[2].event_id, "e2");
        assert_int_equal(list[2].attempt, 1);
        assert_int_equal(list[2].status, 500);
        assert_string_equal(list[2].outcome, "retry");
        assert_string_equal(list[3].event_id, "e1");
        assert_int_equal(list[3].status, 200);
        assert_int_equal(list[3].time_ms, T0 + 5);
        assert_string_equal(list[3].response, "{}");
        assert_string_equal(list[3].outcome, "success");
        ev_store_attempts_free(list, nl);
        assert_int_equal(ev_store_begin(st, 0), EV_OK);
        assert_int_equal(ev_store_attempts_list(st, NULL, NULL, NULL, 1, 2, &list, &nl), EV_OK);
        assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
        assert_int_equal(nl, 2); /* failed only, limit 2: the newest two that are no success */
        assert_string_equal(list[0].event_id, "e3");
        assert_string_equal(list[1].event_id, "e2");
        ev_store_attempts_free(list, nl);
        ev_store_close(st);
    }

    /* A job let go of while it waits reads back with its stored state. */
    assert_int_equal(ev_outbox_load_one(o, 2, &one), EV_OK);
    assert_string_equal((const char *)one.payload, "p2");
    assert_int_equal(one.attempts, 1);
    assert_int_equal(one.due_ms, T0 + 60000);
    ev_outbox_job_clear(&one);

    /* Ids never repeat in this process. */
    in[0] = job("e4", "p4");
    assert_int_equal(ev_outbox_enqueue(o, in, 1), EV_OK);
    assert_int_equal(c.got[0].id, 4);
    consumer_clear(&c);
    ev_outbox_set_consumer(o, NULL, NULL);
    ev_outbox_close(o);

    /* A restart pages in everything not finished, with its attempt count:
     * 1 and 3 are finished in a group that is still stored. */
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    {
        int64_t pending = -1;

        assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
        assert_int_equal(pending, 2);
    }
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 2);
    assert_int_equal(jobs[0].id, 2);
    assert_int_equal(jobs[0].attempts, 1);
    assert_int_equal(jobs[0].due_ms, T0 + 60000);
    assert_int_equal(jobs[0].group, 1);
    assert_int_equal(jobs[0].group_n, 3);
    assert_int_equal(jobs[1].id, 4);
    assert_string_equal(jobs[1].event_id, "e4");
    for (size_t i = 0; i < n; i++)
        ev_outbox_job_clear(&jobs[i]);
    free(jobs);
    assert_int_equal(ev_outbox_load_one(o, 1, &one), EV_ERR_NOT_FOUND);
    {
        /* Several by id in one read: the ones still stored are filled. */
        const int64_t ids[4] = {3, 2, 99, 4};
        ev_outbox_job_t some[4];

        memset(some, 0, sizeof(some));
        assert_int_equal(ev_outbox_load_some(o, ids, 4, some), EV_OK);
        assert_null(some[0].mem); /* 3 is finished */
        assert_non_null(some[1].mem);
        assert_string_equal((const char *)some[1].payload, "p2");
        assert_int_equal(some[1].attempts, 1);
        assert_null(some[2].mem); /* never stored */
        assert_non_null(some[3].mem);
        assert_string_equal((const char *)some[3].payload, "p4");
        assert_int_equal(some[3].attempts, 0);
        for (int i = 0; i < 4; i++)
            ev_outbox_job_clear(&some[i]);
    }
    ev_outbox_close(o);
    ev_test_db_remove(path);
}

typedef struct {
    ev_outbox_t *o;
    int id;
} producer_t;

static void *produce(void *arg)
{
    producer_t *p = arg;
    char ev[32];
    ev_job_t j;

    for (int i = 0; i < 50; i++) {
        snprintf(ev, sizeof(ev), "p%d-%d", p->id, i);
        j = job(ev, "x");
        if (ev_outbox_enqueue(p->o, &j, 1) != EV_OK)
            return (void *)1;
    }
    return NULL;
}

/* Concurrent producers share commits; every acknowledged job is stored once. */
static void test_group_commit(void **state)
{
    char *path = ev_test_db("outbox");
    ev_outbox_t *o = NULL;
    pthread_t th[8];
    producer_t p[8];
    char msg[256];
    void *ret;

    (void)state;
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    for (int i = 0; i < 8; i++) {
        p[i].o = o;
        p[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, produce, &p[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_null(ret);
    }
    ev_outbox_close(o);
    assert_int_equal(ev_test_count(path, "SELECT sum(n) FROM outbox_grp"), 400);
    assert_int_equal(ev_test_count(path, "SELECT max(id + n - 1) FROM outbox_grp"), 400);
    assert_true(ev_test_count(path, "SELECT count(*) FROM outbox_grp") < 400); /* commits shared */
    {
        /* Every job once, in id order. */
        ev_outbox_job_t *jobs = NULL;
        size_t n = 0;
        int seen[8][50];

        memset(seen, 0, sizeof(seen));
        assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
        assert_int_equal(ev_outbox_load(o, 1000, &jobs, &n), EV_OK);
        assert_int_equal(n, 400);
        for (size_t i = 0; i < n; i++) {
            int t = -1, k = -1;

            assert_int_equal(jobs[i].id, (int64_t)i + 1);
            assert_int_equal(sscanf(jobs[i].event_id, "p%d-%d", &t, &k), 2);
            assert_in_range(t, 0, 7);
            assert_in_range(k, 0, 49);
            assert_int_equal(seen[t][k]++, 0);
            ev_outbox_job_clear(&jobs[i]);
        }
        free(jobs);
        ev_outbox_close(o);
    }
    ev_test_db_remove(path);
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static ev_attempt_t *history(const char *path, const char *rule, const char *destination,
                             int failed_only, size_t *n)
{
    ev_store_t *st = NULL;
    ev_attempt_t *list = NULL;
    char msg[256];

    assert_int_equal(ev_store_open(path, &st, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_store_begin(st, 0), EV_OK);
    assert_int_equal(ev_store_attempts_list(st, NULL, rule, destination, failed_only, 50, &list,
                                            n),
                     EV_OK);
    assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
    ev_store_close(st);
    return list;
}

/*
 * The history written before attempt_log (schema 7, a row per attempt) is
 * read after the newer one; rule and destination filters are exact names or
 * ARNs (no LIKE wildcards, case kept); retention prunes both.
 */
static void test_history_old_and_new(void **state)
{
    char *path = ev_test_db("outbox");
    ev_outbox_t *o = NULL;
    consumer_t c = {PTHREAD_MUTEX_INITIALIZER, 10, {{0}}, 0, 0};
    ev_job_t in[2];
    ev_job_result_t res[2];
    ev_attempt_t *list;
    ev_outbox_job_t *jobs = NULL;
    size_t n = 0;
    char msg[256];
    int64_t now = ev_now_ms();

    (void)state;
    exec_sql(path, "INSERT INTO attempts (account, region, event_id, rule_arn, target_id, "
                   "target_arn, attempt, time_ms, status, outcome, error, latency_ms, response) "
                   "VALUES ('000000000000', 'us-east-1', 'old-1', "
                   "'arn:aws:events:us-east-1:000000000000:rule/default/r_1', 't', "
                   "'arn:aws:events:us-east-1:000000000000:api-destination/d1/x', 1, 5, 200, "
                   "'success', NULL, 1, X'6f6b')");
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK); /* nothing stored yet */
    assert_int_equal(n, 0);
    free(jobs);
    ev_outbox_set_consumer(o, take, &c);
    in[0] = job("new-1", "p1");
    in[1] = job("new-2", "p2");
    assert_int_equal(ev_outbox_enqueue(o, in, 2), EV_OK);
    assert_int_equal(c.ngot, 2);
    memset(res, 0, sizeof(res));
    for (int i = 0; i < 2; i++) {
        res[i].job = &c.got[i];
        res[i].outcome = EV_JOB_DONE;
        res[i].attempted = 1;
        res[i].time_ms = now - 10 + i;
        res[i].status = 200 + i;
        res[i].result = "success";
    }
    ev_outbox_results(o, res, 2);
    ev_outbox_sync(o);
    ev_outbox_close(o);
    consumer_clear(&c);

    list = history(path, NULL, NULL, 0, &n);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].event_id, "new-2");
    assert_string_equal(list[1].event_id, "new-1");
    assert_string_equal(list[2].event_id, "old-1");
    assert_string_equal(list[2].response, "ok");
    ev_store_attempts_free(list, n);
    /* By rule name or ARN, by destination name or ARN. */
    list = history(path, "r1", NULL, 0, &n);
    assert_int_equal(n, 2);
    ev_store_attempts_free(list, n);
    list = history(path, "R1", NULL, 0, &n);
    assert_int_equal(n, 0);
    ev_store_attempts_free(list, n);
    list = history(path, "r_1", NULL, 0, &n);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].event_id, "old-1");
    ev_store_attempts_free(list, n);
    list = history(path, NULL, "d", 0, &n); /* job() targets api-destination/d/x */
    assert_int_equal(n, 2);
    ev_store_attempts_free(list, n);
    list = history(path, NULL, "d1", 0, &n);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].event_id, "old-1");
    ev_store_attempts_free(list, n);
    list = history(path, NULL, "arn:aws:events:us-east-1:000000000000:api-destination/d/x", 0,
                   &n);
    assert_int_equal(n, 2);
    ev_store_attempts_free(list, n);
    list = history(path, "arn:aws:events:us-east-1:000000000000:rule/r1", NULL, 0, &n);
    assert_int_equal(n, 2);
    ev_store_attempts_free(list, n);

    /* A one-day retention: the old row (1970) goes, the new ones stay. */
    assert_int_equal(ev_outbox_open(path, 86400000, &o, msg, sizeof(msg)), EV_OK);
    in[0] = job("new-3", "p3");
    assert_int_equal(ev_outbox_enqueue(o, in, 1), EV_OK);
    ev_outbox_close(o);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM attempts"), 0);
    assert_int_equal(ev_test_count(path, "SELECT sum(n) FROM attempt_log"), 2);
    ev_test_db_remove(path);
}

/*
 * Finished jobs leave the outbox in bulk; until then their ids are recorded
 * in outbox_done, and a start (after a crash) removes them before the
 * consumer pages anything in: they are never delivered again.
 */
static void test_finished_jobs_leave_in_bulk(void **state)
{
    char *path = ev_test_db("outbox");
    consumer_t c = {PTHREAD_MUTEX_INITIALIZER, 10, {{0}}, 0, 0};
    ev_outbox_t *o = NULL;
    ev_outbox_job_t *jobs = NULL;
    ev_job_result_t res[2];
    ev_job_t in[3];
    size_t n = 0;
    int64_t pending = -1;
    char msg[256];

    (void)state;
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    free(jobs);
    ev_outbox_set_consumer(o, take, &c);
    in[0] = job("b1", "1");
    in[1] = job("b2", "2");
    in[2] = job("b3", "3");
    assert_int_equal(ev_outbox_enqueue(o, in, 3), EV_OK);
    assert_int_equal(c.ngot, 3);
    memset(res, 0, sizeof(res));
    for (int i = 0; i < 2; i++) {
        res[i].job = &c.got[i];
        res[i].outcome = EV_JOB_DONE;
        res[i].attempted = 1;
        res[i].status = 200;
        res[i].result = "success";
    }
    ev_outbox_results(o, res, 2);
    /* Within DELETE_AFTER_MS of the results nothing forces the bulk: a
     * pending count ignores what is finished (whether deleted yet or not). */
    for (int i = 0; i < 200 && pending != 1; i++) {
        assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
        if (pending != 1)
            usleep(1000);
    }
    assert_int_equal(pending, 1);
    ev_outbox_close(o); /* flushes the bulk delete */
    consumer_clear(&c);
    /* The group (1..3) stays for b3; one tombstone row says 1 and 2 are finished. */
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 1);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_done"), 1);
    assert_int_equal(ev_test_count(path, "SELECT length(ids) FROM outbox_done"), 16);

    /* A crash after the result of b3 was committed, before its bulk delete:
     * the tombstone of job 3 and a stray id of no job. */
    exec_sql(path, "INSERT INTO outbox_done (ids) VALUES "
                   "(X'03000000000000002a00000000000000')");
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 0);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_done"), 0);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 0); /* b3 is not delivered again */
    free(jobs);
    /* New ids stay above every id used before. */
    ev_outbox_set_consumer(o, take, &c);
    in[0] = job("b4", "4");
    assert_int_equal(ev_outbox_enqueue(o, in, 1), EV_OK);
    assert_int_equal(c.ngot, 1);
    assert_true(c.got[0].id > 3);
    ev_outbox_close(o);
    consumer_clear(&c);
    ev_test_db_remove(path);
}

static void finish(ev_outbox_t *o, const ev_outbox_job_t *j)
{
    ev_job_result_t r;

    memset(&r, 0, sizeof(r));
    r.job = j;
    r.outcome = EV_JOB_DONE;
    r.attempted = 1;
    r.status = 200;
    r.result = "success";
    ev_outbox_results(o, &r, 1);
}

/*
 * A commit stores its jobs as one row with consecutive ids, and the consumer
 * gets them in one hand-over in their order, each with its own route. A row
 * leaves once all its jobs are finished; a row partly finished at a restart
 * hands out only the rest.
 */
static void test_groups(void **state)
{
    static const char *arn[3] = {"arn:aws:events:us-east-1:000000000000:api-destination/a/1",
                                 "arn:aws:events:us-east-1:000000000000:api-destination/b/2",
                                 "arn:aws:events:us-east-1:000000000000:api-destination/c/3"};
    static const int to[5] = {0, 1, 0, 2, 1};
    char *path = ev_test_db("outbox");
    consumer_t c = {PTHREAD_MUTEX_INITIALIZER, 64, {{0}}, 0, 0};
    ev_outbox_t *o = NULL;
    ev_outbox_job_t *jobs = NULL;
    ev_job_t in[5];
    char ids[5][4];
    size_t n = 0;
    int64_t pending = -1;
    char msg[256];

    (void)state;
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    ev_outbox_set_consumer(o, take, &c);
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof(ids[i]), "e%d", i + 1);
        in[i] = job(ids[i], ids[i]);
        in[i].target_arn = arn[to[i]];
    }
    in[2].rule_arn = "arn:aws:events:us-east-1:000000000000:rule/r2"; /* a route of its own */
    assert_int_equal(ev_outbox_enqueue(o, in, 5), EV_OK);
    in[0] = job("e6", "e6");
    in[0].target_arn = arn[0];
    assert_int_equal(ev_outbox_enqueue(o, in, 1), EV_OK);
    assert_int_equal(c.calls, 2); /* a commit's jobs in one hand-over */
    assert_int_equal(c.ngot, 6);
    for (int i = 0; i < 6; i++) {
        char want[4];

        snprintf(want, sizeof(want), "e%d", i + 1);
        assert_int_equal(c.got[i].id, i + 1);
        assert_string_equal(c.got[i].event_id, want);
        assert_string_equal((const char *)c.got[i].payload, want);
        assert_string_equal(c.got[i].target_arn, arn[i < 5 ? to[i] : 0]);
        assert_int_equal(c.got[i].group, i < 5 ? 1 : 6);
        assert_int_equal(c.got[i].group_n, i < 5 ? 5 : 1);
    }
    assert_string_equal(c.got[2].rule_arn, "arn:aws:events:us-east-1:000000000000:rule/r2");
    assert_string_equal(c.got[3].rule_arn, "arn:aws:events:us-east-1:000000000000:rule/r1");
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 2);
    assert_int_equal(ev_test_count(path, "SELECT n FROM outbox_grp WHERE id = 1"), 5);
    assert_int_equal(ev_test_count(path, "SELECT live FROM outbox_grp WHERE id = 1"), 5);

    /* e6's row finished: it leaves; the first half finished: it stays. */
    finish(o, &c.got[5]);
    finish(o, &c.got[0]);
    finish(o, &c.got[1]);
    finish(o, &c.got[2]);
    ev_outbox_sync(o); /* and the bulk delete */
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 1);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp WHERE id = 6"), 0);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 2);
    ev_outbox_set_consumer(o, NULL, NULL);
    ev_outbox_close(o);
    consumer_clear(&c);

    /* After a restart: 1..3 are finished, 4 and 5 are not. */
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 2);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 2);
    assert_int_equal(jobs[0].id, 4);
    assert_string_equal(jobs[0].event_id, "e4");
    assert_string_equal(jobs[0].target_arn, arn[2]);
    assert_int_equal(jobs[0].group, 1);
    assert_int_equal(jobs[0].group_n, 5);
    assert_int_equal(jobs[1].id, 5);
    assert_string_equal(jobs[1].target_arn, arn[1]);
    ev_outbox_set_consumer(o, take, &c);
    /* Finishing one leaves the row; finishing the last removes it. */
    finish(o, &jobs[0]);
    ev_outbox_sync(o);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp WHERE id = 1"), 1);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 1);
    finish(o, &jobs[1]);
    ev_outbox_sync(o);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp WHERE id = 1"), 0);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 0);
    for (size_t i = 0; i < n; i++)
        ev_outbox_job_clear(&jobs[i]);
    free(jobs);
    /* New ids go on above the largest stored at the open (nothing names a
     * deleted one: 6 is free again). */
    in[0] = job("e7", "e7");
    assert_int_equal(ev_outbox_enqueue(o, in, 1), EV_OK);
    assert_int_equal(c.ngot, 1);
    assert_int_equal(c.got[0].id, 6);
    ev_outbox_set_consumer(o, NULL, NULL);
    ev_outbox_close(o);
    consumer_clear(&c);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_done"), 0);
    ev_test_db_remove(path);
}

/*
 * A row that waits long for a few jobs (a failing target's) is stored again
 * with just those, and the tombstones of the others go; the row counts from
 * what it stores across a restart and leaves with its last job.
 */
static void test_row_stored_again(void **state)
{
    char *path = ev_test_db("outbox");
    consumer_t c = {PTHREAD_MUTEX_INITIALIZER, 64, {{0}}, 0, 0};
    ev_outbox_t *o = NULL;
    ev_outbox_job_t *jobs = NULL, one;
    ev_job_t in[4];
    size_t n = 0;
    int64_t pending = -1, live = -1, tombs = -1;
    char msg[256];

    (void)state;
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    ev_outbox_set_consumer(o, take, &c);
    in[0] = job("s1", "one");
    in[1] = job("s2", "two");
    in[2] = job("s3", "three");
    in[3] = job("s4", "four");
    in[3].target_arn = "arn:aws:events:us-east-1:000000000000:api-destination/failing/x";
    assert_int_equal(ev_outbox_enqueue(o, in, 4), EV_OK);
    assert_int_equal(c.ngot, 4);
    finish(o, &c.got[0]);
    finish(o, &c.got[1]);
    finish(o, &c.got[2]);
    /* Within a few seconds (REWRITE_AFTER_MS, COMPACT_MS): stored again with s4
     * only, and the tombstones of the others gone at the compaction after. */
    for (int i = 0; i < 500 && (live != 1 || tombs != 0); i++) {
        live = ev_test_count(path, "SELECT live FROM outbox_grp WHERE id = 1");
        tombs = ev_test_count(path, "SELECT count(*) FROM outbox_done");
        if (live != 1 || tombs != 0)
            usleep(10000);
    }
    assert_int_equal(live, 1);
    assert_int_equal(ev_test_count(path, "SELECT n FROM outbox_grp WHERE id = 1"), 4);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_done"), 0);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 1);
    assert_int_equal(ev_outbox_load_one(o, 2, &one), EV_ERR_NOT_FOUND);
    assert_int_equal(ev_outbox_load_one(o, 4, &one), EV_OK);
    assert_string_equal((const char *)one.payload, "four");
    assert_string_equal(one.event_id, "s4");
    assert_string_equal(one.target_arn, in[3].target_arn);
    assert_int_equal(one.group, 1);
    assert_int_equal(one.group_n, 4);
    ev_outbox_job_clear(&one);
    ev_outbox_set_consumer(o, NULL, NULL);
    ev_outbox_close(o);
    consumer_clear(&c);

    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 1);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(jobs[0].id, 4);
    finish(o, &jobs[0]);
    ev_outbox_sync(o);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 0);
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 0);
    ev_outbox_job_clear(&jobs[0]);
    free(jobs);
    ev_outbox_close(o);
    ev_test_db_remove(path);
}

/* Jobs stored one per row before groups (schema 9) move over at the open,
 * with their ids and retry state. */
static void test_legacy_rows(void **state)
{
    char *path = ev_test_db("outbox");
    ev_outbox_t *o = NULL;
    ev_outbox_job_t *jobs = NULL;
    size_t n = 0;
    int64_t pending = -1;
    char msg[256];

    (void)state;
    exec_sql(path, "INSERT INTO outbox (id, account, region, event_id, bus, rule_arn, target_id, "
                   "target_arn, payload, event_ms, due_ms, attempts) VALUES "
                   "(7, '000000000000', 'us-east-1', 'old-1', 'default', 'arn:r', 't1', 'arn:d', "
                   "X'7b7d00', 5, 6, 0),"
                   "(9, '000000000000', 'eu-west-1', 'old-2', 'b', 'arn:r2', 't2', 'arn:d2', "
                   "X'5b5d', 7, 99, 3);"
                   "INSERT INTO outbox_done (ids) VALUES (X'0700000000000000')");
    assert_int_equal(ev_outbox_open(path, 0, &o, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox"), 0);
    assert_int_equal(ev_test_count(path, "SELECT count(*) FROM outbox_grp"), 1); /* 7 was finished */
    assert_int_equal(ev_outbox_pending(o, &pending), EV_OK);
    assert_int_equal(pending, 1);
    assert_int_equal(ev_outbox_load(o, 10, &jobs, &n), EV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(jobs[0].id, 9);
    assert_string_equal(jobs[0].account, "000000000000");
    assert_string_equal(jobs[0].region, "eu-west-1");
    assert_string_equal(jobs[0].event_id, "old-2");
    assert_string_equal(jobs[0].bus, "b");
    assert_string_equal(jobs[0].rule_arn, "arn:r2");
    assert_string_equal(jobs[0].target_id, "t2");
    assert_string_equal(jobs[0].target_arn, "arn:d2");
    assert_int_equal(jobs[0].payload_len, 2);
    assert_memory_equal(jobs[0].payload, "[]", 2);
    assert_int_equal(jobs[0].event_ms, 7);
    assert_int_equal(jobs[0].due_ms, 99);
    assert_int_equal(jobs[0].attempts, 3);
    ev_outbox_job_clear(&jobs[0]);
    free(jobs);
    ev_outbox_close(o);
    ev_test_db_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_over_and_spill),
        cmocka_unit_test(test_load_target),
        cmocka_unit_test(test_results_and_restart),
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_history_old_and_new),
        cmocka_unit_test(test_finished_jobs_leave_in_bulk),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_row_stored_again),
        cmocka_unit_test(test_legacy_rows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
