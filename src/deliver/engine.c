/*
 * deliver/engine.c - the delivery engine. One thread owns a CURLM and moves
 * each job through claimed -> queued (per destination, behind its token
 * bucket) -> sending -> done | retry at t | dead letter, recording every
 * attempt. The outbox wakes it when PutEvents commits new jobs.
 *
 * Targets are resolved once per configuration generation (rule, target,
 * destination, connection and the decrypted connection secret) and cached;
 * any committed change to the store drops the cache.
 */
#include "deliver/engine.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "deliver/oauth.h"
#include "deliver/request.h"
#include "deliver/h1.h"
#include "deliver/idq.h"
#include "deliver/sender.h"
#include "kms/kms.h"
#include "store/sqs.h"
#include "util/util.h"

#define LOAD_BATCH 512
#define MAX_HELD 32768       /* jobs held in memory with their payload */
#define MAX_LIGHT 262144     /* jobs held as ids only (about 64 MB) */
#define LIGHT_AFTER_MS 1000  /* a retry further away lets go of its payload */
#define TARGET_BUCKETS 1024
#define PER_DEST_INFLIGHT 128
#define DEST_FULL_JOBS 2048 /* queued jobs per destination held with their payload */
#define DEST_MIN_JOBS 64    /* ... when the engine holds more than half of MAX_HELD */
#define PARK_ID_BYTES (16u << 20) /* default cfg.park_id_bytes */
#define PER_ORIGIN_INFLIGHT 128 /* connections to one origin (scheme, host, port) at most */
#define RESPONSE_KEEP 1024
#define MAX_SENDERS 8
#define SENT_BATCH 256
#define STICKY_LOAD 8 /* transfers a sender may have above the least loaded and keep its origins */
#define DEFAULT_MAX_RETRIES 185
#define DEFAULT_MAX_AGE_S 86400

enum { K_GONE, K_API, K_SQS, K_BUS, K_UNSUPPORTED };

typedef struct dtarget {
    char *key;
    int refs;
    int kind;
    int max_retries;
    int64_t max_age_ms;
    char *dlq_arn;
    json_t *target_http;
    char *dest_arn, *endpoint, *method;
    double rate;
    char *conn_name, *auth_type;
    int usable;          /* the connection may be used */
    char *problem;       /* why not (NO_PERMISSIONS / NO_RESOURCE text) */
    const char *problem_code;
    json_t *secret;      /* decrypted SecretString (wiped on free) */
    struct dest *dest;   /* the engine's queue for dest_arn, once looked up */
    uint64_t hash;
    struct dtarget *next;
} dtarget_t;

typedef struct job job_t;


/* One OAuth connection: its token, and the single token request in flight. */
typedef struct oauth {
    char *key;                /* account|region|name */
    char *account, *region, *name, *conn_arn, *secret_arn, *kms_key;
    int64_t conn_modified_ms; /* the connection version the token belongs to */
    char *token;              /* NULL: none */
    int64_t expires_ms;       /* INT64_MAX: until a 401/407 */
    int loaded;               /* the stored token was looked for */
    int usable;               /* the connection is AUTHORIZED (or ACTIVE) */
    char *reason;             /* its StateReason when it is not */
    int authorize;            /* this request authorizes an AUTHORIZING connection */
    CURL *easy;
    struct curl_slist *hdrs;
    ev_http_request_t req;
    ev_buf_t resp;
    int64_t start_ms;
    job_t *waiting;           /* deliveries waiting for the token */
    struct oauth *next;
} oauth_t;

/* Where requests go (scheme://host:port): destinations that share one share
 * its connections. */
typedef struct origin {
    char *key;
    int inflight;
    int sender; /* the sender its last transfer went to */
    struct origin *next;
} origin_t;

typedef struct dest {
    char *arn;
    origin_t *origin;
    uint64_t gen;         /* store generation the rate was read at */
    double rate, tokens;
    int64_t refill_ms;
    int inflight;
    job_t *head, *tail;
    size_t queued;        /* jobs in head..tail */
    size_t retrying;      /* its jobs waiting in the timer heap for a retry */
    /* Parked: the new jobs for park_arn with ids in [parked_from, parked_to]
     * are in the store only (parked_from 0: none); read back, oldest first,
     * as the destination's backlog shrinks (unpark). */
    int64_t parked_from, parked_to;
    char *park_arn;
    /* The parked ids themselves while cfg.park_id_bytes allows (read back by id);
     * park_full: ids after park_ids.wlast were not recorded and are found by
     * a scan of the range for park_arn. */
    ev_idq_t park_ids;
    int park_full;
    struct dest *next;
} dest_t;

struct job {
    ev_outbox_job_t j; /* j.mem == NULL: a light job (its id only; read back when sent) */
    dtarget_t *t;
    dest_t *d;
    ev_h1_xfer_t x;    /* its transfer while sent */
    ev_http_request_t req;
    ev_buf_t resp;
    int64_t start_ms;
    int64_t retry_after_ms; /* -1: none, -2: negative (stop) */
    int sender;             /* the sender running its transfer */
    struct dest *rd;        /* in the timer heap: the destination it counts against */
    job_t *next;
    job_t *snext, *sprev;   /* the engine's list of jobs being sent */
};

/* Connection secrets opened since the configuration last changed: the
 * targets of one connection share one (each open costs a KMS decrypt). */
typedef struct scache {
    char *key; /* connection ARN | secret ARN */
    json_t *secret;
    struct scache *next;
} scache_t;

struct ev_engine {
    scache_t *secrets;
    ev_engine_cfg_t cfg;
    pthread_t thread;
    atomic_int stop;
    CURLM *multi; /* token requests, and the engine's sleep and wake-up */
    ev_sender_t *senders[MAX_SENDERS]; /* deliveries */
    size_t sload[MAX_SENDERS];         /* transfers each one runs */
    int nsenders;
    dtarget_t *targets[TARGET_BUCKETS];
    uint64_t gen;
    dest_t *dests;
    origin_t *origins;
    job_t *sending;
    oauth_t *oauth;
    int64_t last_scan;
    uint64_t scan_gen;
    atomic_size_t held;   /* jobs with their payload in memory (inbox included) */
    atomic_size_t light;  /* jobs held as ids only (waiting retries, long queues) */
    pthread_mutex_t inbox_lock;
    struct inbox *inbox;  /* jobs the outbox writer handed over */
    job_t **heap;         /* jobs waiting for their due time, earliest first */
    size_t nparked;       /* destinations with parked jobs */
    size_t park_bytes;    /* memory of every park_ids */
    size_t nheap, capheap;
    ev_job_result_t *res;
    job_t **res_jobs;
    char **res_strings;
    size_t nres, capres, nstr, capstr;
    atomic_int woken;
};

struct inbox {
    ev_outbox_job_t *jobs;
    size_t n;
    struct inbox *next;
};

static void fetched(ev_engine_t *e, oauth_t *o, CURLcode cc);
static size_t on_fetch_body(char *p, size_t size, size_t n, void *ud);
static void scrub_response(job_t *job);

/* ---- small helpers ---- */

static char *keep(ev_engine_t *e, char *s)
{
    if (e->nstr == e->capstr) {
        e->capstr = e->capstr ? 2 * e->capstr : 64;
        e->res_strings = realloc(e->res_strings, e->capstr * sizeof(char *));
        if (!e->res_strings)
            abort();
    }
    e->res_strings[e->nstr++] = s;
    return s;
}

/* FNV-1a: the target cache's buckets. */
static uint64_t hash_key(const char *k)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h;
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Drops a reference to a decrypted secret; the last one wipes it. */
static void secret_drop(json_t *secret)
{
    if (secret && secret->refcount == 1)
        ev_json_wipe(secret);
    else
        json_decref(secret);
}

static void dtarget_unref(dtarget_t *t)
{
    if (!t || --t->refs > 0)
        return;
    free(t->key);
    free(t->dlq_arn);
    json_decref(t->target_http);
    free(t->dest_arn);
    free(t->endpoint);
    free(t->method);
    free(t->conn_name);
    free(t->auth_type);
    free(t->problem);
    secret_drop(t->secret);
    free(t);
}

static void drop_cache(ev_engine_t *e)
{
    while (e->secrets) {
        scache_t *c = e->secrets;

        e->secrets = c->next;
        free(c->key);
        secret_drop(c->secret);
        free(c);
    }
    for (size_t b = 0; b < TARGET_BUCKETS; b++) {
        while (e->targets[b]) {
            dtarget_t *t = e->targets[b];

            e->targets[b] = t->next;
            dtarget_unref(t);
        }
    }
}

/* "arn:aws:events:<r>:<a>:<kind>/<name>[/<id>]" -> name (malloc'd) or NULL. */
static char *arn_part(const char *arn, const char *kind, int with_id)
{
    const char *p = strstr(arn, kind), *slash;

    if (!p || strncmp(arn, "arn:", 4) != 0)
        return NULL;
    p += strlen(kind);
    if (!with_id)
        return ev_xstrdup(p);
    slash = strrchr(p, '/');
    return slash && slash > p ? ev_xstrndup(p, (size_t)(slash - p)) : NULL;
}

/* Marks a connection DEAUTHORIZED with a reason (own transaction). */
static void deauthorize(ev_engine_t *e, ev_scope_t sc, const char *name, const char *reason)
{
    ev_connection_t c;
    ev_err rc = ev_store_begin(e->cfg.store, 1);

    if (rc)
        return;
    rc = ev_store_conn_get(e->cfg.store, sc, name, &c);
    if (rc == EV_OK && strcmp(c.state, "DEAUTHORIZED") != 0) {
        free(c.state);
        c.state = ev_xstrdup("DEAUTHORIZED");
        free(c.state_reason);
        c.state_reason = ev_xstrndup(reason, 512);
        rc = ev_store_conn_put(e->cfg.store, sc, &c);
        ev_warn("connection %s de-authorized: %s", name, reason);
    }
    ev_connection_clear(&c);
    (void)ev_store_end(e->cfg.store, rc);
}

/* A connection's decrypted secret (a reference), from the cache or opened. */
static ev_err open_secret(ev_engine_t *e, ev_kms_t *kms, const ev_connection_t *c,
                          json_t **secret, char **msg)
{
    char *key = ev_xasprintf("%s|%s", c->arn, c->secret_arn);
    scache_t *sc;
    ev_err rc;

    for (sc = e->secrets; sc; sc = sc->next) {
        if (strcmp(sc->key, key) == 0) {
            free(key);
            *secret = json_incref(sc->secret);
            return EV_OK;
        }
    }
    rc = ev_secret_open(kms, c->secret_arn, c->arn, secret, msg);
    if (rc != EV_OK) {
        free(key);
        return rc;
    }
    sc = ev_xcalloc(1, sizeof(*sc));
    sc->key = key;
    sc->secret = json_incref(*secret);
    sc->next = e->secrets;
    e->secrets = sc;
    return EV_OK;
}

/* Fills the API destination part of a resolved target (store transaction open). */
static void resolve_api(ev_engine_t *e, ev_scope_t sc, const char *target_arn, dtarget_t *t,
                        char **deauth_reason)
{
    char *name = arn_part(target_arn, ":api-destination/", 1), *cname = NULL, *msg = NULL;
    ev_api_destination_t d = {0};
    ev_connection_t c = {0};
    ev_kms_t kms;

    t->kind = K_API;
    t->problem_code = "NO_RESOURCE";
    if (!name || ev_store_dest_get(e->cfg.store, sc, name, &d) != EV_OK ||
        strcmp(d.arn, target_arn) != 0) {
        t->problem = ev_xasprintf("The API destination %s does not exist.", target_arn);
        goto out;
    }
    t->dest_arn = ev_xstrdup(d.arn);
    t->endpoint = ev_xstrdup(d.endpoint);
    t->method = ev_xstrdup(d.http_method);
    t->rate = (double)d.rate_limit;
    cname = arn_part(d.connection_arn, ":connection/", 1);
    if (!cname || ev_store_conn_get(e->cfg.store, sc, cname, &c) != EV_OK ||
        strcmp(c.arn, d.connection_arn) != 0) {
        t->problem = ev_xasprintf("The connection %s does not exist.", d.connection_arn);
        goto out;
    }
    t->conn_name = ev_xstrdup(c.name);
    t->auth_type = ev_xstrdup(c.auth_type);
    t->problem_code = "NO_PERMISSIONS";
    if (strcmp(c.state, "AUTHORIZED") != 0 && strcmp(c.state, "ACTIVE") != 0) {
        t->problem = ev_xasprintf("The connection %s is not authorized (state %s).", c.name,
                                  c.state);
        goto out;
    }
    kms.store = e->cfg.store;
    kms.master_key = e->cfg.master_key;
    kms.scope = sc;
    kms.now_ms = ev_now_ms();
    if (!c.secret_arn || open_secret(e, &kms, &c, &t->secret, &msg) != EV_OK) {
        t->problem = ev_xasprintf("The connection %s cannot be used: %s", c.name,
                                  msg ? msg : "its secret is missing.");
        *deauth_reason = ev_xstrdup(msg ? msg : "The connection secret is missing.");
        goto out;
    }
    t->usable = 1;
    t->problem_code = NULL;
out:
    free(msg);
    free(name);
    free(cname);
    ev_api_destination_clear(&d);
    ev_connection_clear(&c);
}

/* The resolved target of a job (a reference), from the cache or the store. */
static dtarget_t *resolve(ev_engine_t *e, const ev_outbox_job_t *j)
{
    char *key = ev_xasprintf("%s|%s|%s|%s", j->account, j->region, j->rule_arn, j->target_id);
    uint64_t hash = hash_key(key);
    dtarget_t **bucket = &e->targets[hash % TARGET_BUCKETS];
    ev_scope_t sc = {j->account, j->region};
    uint64_t gen = ev_store_generation(e->cfg.store);
    char *rule = NULL, *deauth = NULL;
    ev_target_t *list = NULL;
    size_t n = 0;
    dtarget_t *t;
    json_t *body = NULL, *rp;

    if (gen != e->gen) {
        drop_cache(e);
        e->gen = gen;
    }
    for (t = *bucket; t; t = t->next) {
        if (t->hash == hash && strcmp(t->key, key) == 0) {
            free(key);
            t->refs++;
            return t;
        }
    }
    t = ev_xcalloc(1, sizeof(*t));
    t->key = key;
    t->hash = hash;
    t->refs = 2; /* the cache's and the caller's */
    t->kind = K_GONE;
    if (ev_store_begin(e->cfg.store, 0) != EV_OK)
        goto cache;
    rule = strrchr(j->rule_arn, '/') ? ev_xstrdup(strrchr(j->rule_arn, '/') + 1) : NULL;
    if (rule && ev_store_target_list(e->cfg.store, sc, j->bus, rule, &list, &n) == EV_OK) {
        for (size_t i = 0; i < n && !body; i++)
            if (strcmp(list[i].id, j->target_id) == 0 && strcmp(list[i].arn, j->target_arn) == 0)
                body = json_loads(list[i].body, 0, NULL);
    }
    if (body) {
        rp = json_object_get(body, "RetryPolicy");
        t->max_retries = json_is_integer(json_object_get(rp, "MaximumRetryAttempts"))
                             ? (int)json_integer_value(json_object_get(rp, "MaximumRetryAttempts"))
                             : DEFAULT_MAX_RETRIES;
        t->max_age_ms = 1000 * (json_is_integer(json_object_get(rp, "MaximumEventAgeInSeconds"))
                                    ? json_integer_value(
                                          json_object_get(rp, "MaximumEventAgeInSeconds"))
                                    : DEFAULT_MAX_AGE_S);
        if (jstr(json_object_get(body, "DeadLetterConfig"), "Arn"))
            t->dlq_arn = ev_xstrdup(jstr(json_object_get(body, "DeadLetterConfig"), "Arn"));
        t->target_http = json_incref(json_object_get(body, "HttpParameters"));
        if (strstr(j->target_arn, ":api-destination/"))
            resolve_api(e, sc, j->target_arn, t, &deauth);
        else if (strncmp(j->target_arn, "arn:aws:sqs:", 12) == 0)
            t->kind = K_SQS;
        else if (strstr(j->target_arn, ":event-bus/") && e->cfg.bus_put)
            t->kind = K_BUS;
        else
            t->kind = K_UNSUPPORTED;
    }
    (void)ev_store_end(e->cfg.store, EV_OK);
    if (deauth)
        deauthorize(e, sc, t->conn_name, deauth);
cache:
    free(deauth);
    free(rule);
    json_decref(body);
    ev_store_target_list_free(list, n);
    t->next = *bucket;
    *bucket = t;
    return t;
}

/* ---- results ---- */

static ev_job_result_t *new_result(ev_engine_t *e, job_t *job)
{
    ev_job_result_t *r;

    if (e->nres == e->capres) {
        e->capres = e->capres ? 2 * e->capres : 256;
        e->res = realloc(e->res, e->capres * sizeof(*e->res));
        e->res_jobs = realloc(e->res_jobs, e->capres * sizeof(*e->res_jobs));
        if (!e->res || !e->res_jobs)
            abort();
    }
    r = &e->res[e->nres];
    memset(r, 0, sizeof(*r));
    r->job = &job->j;
    r->time_ms = job->start_ms ? job->start_ms : ev_now_ms();
    e->res_jobs[e->nres++] = job;
    return r;
}

/* Sends a dead letter to the target's queue; 0 when one was sent. */
static int dead_letter(ev_engine_t *e, job_t *job, const char *code, const char *msg,
                       const char *exhausted)
{
    ev_scope_t sc = {job->j.account, job->j.region};
    char attempts[16], id[37];
    ev_sqs_attr_t attrs[6];
    size_t n = 0;
    int made;
    ev_err rc;

    if (!job->t || !job->t->dlq_arn)
        return -1;
    made = job->j.attempts + (job->start_ms ? 1 : 0);
    snprintf(attempts, sizeof(attempts), "%d", made > 0 ? made - 1 : 0); /* retries, not tries */
    attrs[n++] = (ev_sqs_attr_t){"RULE_ARN", "String", job->j.rule_arn};
    attrs[n++] = (ev_sqs_attr_t){"TARGET_ARN", "String", job->j.target_arn};
    attrs[n++] = (ev_sqs_attr_t){"ERROR_CODE", "String", code};
    attrs[n++] = (ev_sqs_attr_t){"ERROR_MESSAGE", "String", msg};
    if (exhausted)
        attrs[n++] = (ev_sqs_attr_t){"EXHAUSTED_RETRY_CONDITION", "String", exhausted};
    attrs[n++] = (ev_sqs_attr_t){"RETRY_ATTEMPTS", "Number", attempts};
    rc = ev_store_begin(e->cfg.store, 1);
    if (rc == EV_OK) {
        rc = ev_store_sqs_send(e->cfg.store, sc, job->t->dlq_arn, (const char *)job->j.payload,
                               job->j.payload_len, attrs, n, ev_now_ms(), id);
        rc = ev_store_end(e->cfg.store, rc);
    }
    if (rc)
        ev_warn("dead-letter queue %s: cannot send (%s)", job->t->dlq_arn, ev_err_type(rc));
    return rc == EV_OK ? 0 : -1;
}

/* Ends a job for good: dead-lettered when a DLQ is set, else dropped. */
static void finish_dead(ev_engine_t *e, job_t *job, ev_job_result_t *r, const char *code,
                        const char *msg, const char *exhausted)
{
    r->outcome = EV_JOB_DEAD;
    r->result = dead_letter(e, job, code, msg, exhausted) == 0 ? "dead-lettered" : "failed";
    r->error = keep(e, ev_xasprintf("%s: %s%s%s", code, msg, exhausted ? " (exhausted " : "",
                                    exhausted ? exhausted : ""));
    if (exhausted)
        r->error = keep(e, ev_xasprintf("%s)", r->error));
}

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)]. */
static int64_t backoff(const ev_engine_t *e, int attempt)
{
    int64_t bound = e->cfg.backoff_base_ms;
    uint32_t rnd;

    for (int i = 0; i < attempt && bound < e->cfg.backoff_cap_ms; i++)
        bound *= 2;
    if (bound > e->cfg.backoff_cap_ms)
        bound = e->cfg.backoff_cap_ms;
    ev_random(&rnd, sizeof(rnd));
    return (int64_t)(rnd % (uint64_t)(bound + 1));
}

/* A failed attempt that may be retried: schedule it, or end it when the
 * retry policy is exhausted. */
static void retry_or_end(ev_engine_t *e, job_t *job, ev_job_result_t *r, const char *code,
                         const char *msg)
{
    int64_t now = ev_now_ms(), delay = job->retry_after_ms == 0 ? 0 : backoff(e, job->j.attempts);
    int made = job->j.attempts + 1; /* attempts so far, this one included */

    if (job->retry_after_ms == -2) {
        finish_dead(e, job, r, code, msg, NULL);
        return;
    }
    if (job->retry_after_ms > delay)
        delay = job->retry_after_ms;
    if (made > job->t->max_retries) {
        finish_dead(e, job, r, code, msg, "MaximumRetryAttempts");
        return;
    }
    if (now + delay - job->j.event_ms > job->t->max_age_ms) {
        finish_dead(e, job, r, code, msg, "MaximumEventAgeInSeconds");
        return;
    }
    r->outcome = EV_JOB_RETRY;
    r->due_ms = now + delay;
    r->result = "retry";
    r->error = keep(e, ev_xasprintf("%s: %s", code, msg));
}

/* ---- the timer heap (jobs waiting for their due time) ---- */

static void heap_push(ev_engine_t *e, job_t *job)
{
    size_t i;

    if (e->nheap == e->capheap) {
        e->capheap = e->capheap ? 2 * e->capheap : 256;
        e->heap = realloc(e->heap, e->capheap * sizeof(*e->heap));
        if (!e->heap)
            abort();
    }
    for (i = e->nheap++; i > 0 && e->heap[(i - 1) / 2]->j.due_ms > job->j.due_ms; i = (i - 1) / 2)
        e->heap[i] = e->heap[(i - 1) / 2];
    e->heap[i] = job;
}

static job_t *heap_pop(ev_engine_t *e)
{
    job_t *top = e->heap[0], *last = e->heap[--e->nheap];
    size_t i = 0, n = e->nheap;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= n)
            break;
        if (c + 1 < n && e->heap[c + 1]->j.due_ms < e->heap[c]->j.due_ms)
            c++;
        if (e->heap[c]->j.due_ms >= last->j.due_ms)
            break;
        e->heap[i] = e->heap[c];
        i = c;
    }
    if (n)
        e->heap[i] = last;
    return top;
}

/* ---- job lifetime ---- */

/* Lets go of what a job holds beyond its identity (payload, strings). */
static void job_lighten(ev_engine_t *e, job_t *job)
{
    if (job->j.mem) {
        ev_outbox_job_t keep_ = job->j;

        ev_outbox_job_clear(&job->j);
        job->j.id = keep_.id;
        job->j.event_ms = keep_.event_ms;
        job->j.due_ms = keep_.due_ms;
        job->j.attempts = keep_.attempts;
        job->j.group = keep_.group;
        job->j.group_n = keep_.group_n;
        atomic_fetch_sub(&e->held, 1);
        atomic_fetch_add(&e->light, 1);
    }
}

static void job_free(ev_engine_t *e, job_t *job)
{
    if (job->j.mem)
        atomic_fetch_sub(&e->held, 1);
    else
        atomic_fetch_sub(&e->light, 1);
    ev_outbox_job_clear(&job->j);
    dtarget_unref(job->t);
    ev_request_free(&job->req);
    ev_buf_free(&job->resp);
    free(job);
}

/* A light job takes back what was read of it from the store; its state
 * (attempts, due time) stays the in-memory one. */
static void job_refill(ev_engine_t *e, job_t *job, ev_outbox_job_t *full)
{
    full->attempts = job->j.attempts;
    full->due_ms = job->j.due_ms;
    job->j = *full;
    atomic_fetch_add(&e->held, 1);
    atomic_fetch_sub(&e->light, 1);
}

/* Reads back what a light job let go of. */
static ev_err job_reload(ev_engine_t *e, job_t *job)
{
    ev_outbox_job_t full;
    ev_err rc;

    if (job->j.mem)
        return EV_OK;
    rc = ev_outbox_load_one(e->cfg.outbox, job->j.id, &full);
    if (rc == EV_OK)
        job_refill(e, job, &full);
    return rc;
}

/* Reads back, in one query, the light jobs at the head of a destination's
 * queue (up to EV_OUTBOX_LOAD_SOME): sending a long queue then costs one read
 * per 64 jobs, not one each. Jobs not found are left light (job_reload sees). */
static void prefetch(ev_engine_t *e, dest_t *d)
{
    job_t *batch[EV_OUTBOX_LOAD_SOME];
    int64_t ids[EV_OUTBOX_LOAD_SOME];
    ev_outbox_job_t full[EV_OUTBOX_LOAD_SOME];
    size_t n = 0, walked = 0;

    for (job_t *j = d->head; j && n < EV_OUTBOX_LOAD_SOME && walked < 4 * EV_OUTBOX_LOAD_SOME;
         j = j->next, walked++) {
        if (j->j.mem)
            continue;
        batch[n] = j;
        ids[n++] = j->j.id;
    }
    if (n < 2)
        return; /* job_reload does one */
    memset(full, 0, sizeof(full));
    if (ev_outbox_load_some(e->cfg.outbox, ids, n, full) != EV_OK)
        return;
    for (size_t i = 0; i < n; i++)
        if (full[i].mem)
            job_refill(e, batch[i], &full[i]);
}

/* A retried job waits in the heap; one that waits long lets go of its payload
 * (it is in the store) and reads it again when it is due. */
static void rearm(ev_engine_t *e, job_t *job, const ev_job_result_t *r)
{
    job->j.attempts += r->attempted ? 1 : 0;
    job->j.due_ms = r->due_ms;
    dtarget_unref(job->t);
    job->t = NULL;
    if (job->d) {
        job->rd = job->d;
        job->rd->retrying++;
    }
    job->d = NULL;
    ev_request_free(&job->req);
    ev_buf_free(&job->resp);
    job->start_ms = 0;
    job->retry_after_ms = -1;
    job->next = NULL;
    if (r->due_ms - ev_now_ms() >= LIGHT_AFTER_MS)
        job_lighten(e, job);
    heap_push(e, job);
}

static void flush(ev_engine_t *e)
{
    ev_outbox_results(e->cfg.outbox, e->res, e->nres);
    for (size_t i = 0; i < e->nres; i++) {
        job_t *job = e->res_jobs[i];

        if (e->res[i].outcome == EV_JOB_RETRY)
            rearm(e, job, &e->res[i]);
        else
            job_free(e, job);
    }
    for (size_t i = 0; i < e->nstr; i++)
        free(e->res_strings[i]);
    e->nres = 0;
    e->nstr = 0;
}

/* ---- sending ---- */

static size_t on_fetch_body(char *p, size_t size, size_t n, void *ud)
{
    oauth_t *o = ud;

    ev_buf_add(&o->resp, p, size * n); /* the limit marks it failed, which is refused */
    return size * n;
}

/* The wait a Retry-After value asks for: ms >= 0, -2 for a negative number
 * (stop retrying), -1 when absent or unreadable. */
static int64_t retry_after_ms(const char *v)
{
    char *end;
    long secs;

    if (!*v)
        return -1;
    errno = 0;
    secs = strtol(v, &end, 10);
    while (*end == ' ')
        end++;
    if (end != v && *end == '\0') {
        if (secs < 0)
            return -2;
        return errno || secs > 100000000L ? -1 : (int64_t)secs * 1000;
    }
    {
        time_t t = curl_getdate(v, NULL);
        int64_t left = (int64_t)t * 1000 - ev_now_ms();

        return t > 0 ? (left > 0 ? left : 0) : -1;
    }
}

static const char *bearer_for(ev_engine_t *e, job_t *job);

/* curl's TLS context gets the --ca-file certificates beside the system's. */
static CURLcode add_ca(CURL *easy, void *ssl_ctx, void *file)
{
    (void)easy;
    return X509_STORE_load_file(SSL_CTX_get_cert_store(ssl_ctx), file) == 1
               ? CURLE_OK
               : CURLE_SSL_CACERT_BADFILE;
}

/* The options every request of the engine shares. */
static void common_opts(ev_engine_t *e, CURL *easy)
{
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)e->cfg.timeout_ms);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_PROXY, "");
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (e->cfg.ca_file) {
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, add_ca);
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, (void *)e->cfg.ca_file);
    }
}

/* Sends a job; an OAuth job uses `token` when given (a token that was just
 * fetched for it), else the connection's current one. */
static void start_with(ev_engine_t *e, job_t *job, const char *token)
{
    ev_request_in_t in;
    char *err = NULL;
    ev_job_result_t *r;
    const char *bearer = NULL;

    if (job->t->auth_type && strcmp(job->t->auth_type, "OAUTH_CLIENT_CREDENTIALS") == 0) {
        bearer = token ? token : bearer_for(e, job);
        if (!bearer)
            return; /* parked until the token request ends */
    }

    memset(&in, 0, sizeof(in));
    in.endpoint = job->t->endpoint;
    in.method = job->t->method;
    in.target_http = job->t->target_http;
    in.conn_http = json_object_get(job->t->secret, "invocation_http_parameters");
    in.auth_type = job->t->auth_type;
    in.secret = job->t->secret;
    in.bearer = bearer;
    in.payload = (const char *)job->j.payload;
    in.payload_len = job->j.payload_len;
    job->start_ms = ev_now_ms();
    job->retry_after_ms = -1;
    if (ev_request_build(&in, &job->req, &err) != EV_OK) {
        r = new_result(e, job);
        r->attempted = 1;
        finish_dead(e, job, r, "SDK_CLIENT_ERROR", err, NULL);
        free(err);
        return;
    }
    ev_buf_init(&job->resp, RESPONSE_KEEP + 1);
    memset(&job->x, 0, sizeof(job->x));
    job->x.url = job->req.url;
    job->x.method = job->req.method;
    job->x.headers = job->req.headers;
    job->x.nheaders = job->req.nheaders;
    job->x.body = job->req.body;
    job->x.body_len = job->req.body_len;
    job->x.resp = &job->resp;
    job->x.resp_keep = RESPONSE_KEEP;
    job->x.ud = job;
    job->d->inflight++;
    job->d->origin->inflight++;
    job->sprev = NULL;
    job->snext = e->sending;
    if (e->sending)
        e->sending->sprev = job;
    e->sending = job;
    /* The sender the origin used last, whose client holds its kept-alive
     * connections, unless another has STICKY_LOAD fewer transfers: then the
     * least loaded one. */
    job->sender = job->d->origin->sender < e->nsenders ? job->d->origin->sender : 0;
    {
        int least = 0;

        for (int i = 1; i < e->nsenders; i++)
            if (e->sload[i] < e->sload[least])
                least = i;
        if (e->sload[least] + STICKY_LOAD <= e->sload[job->sender])
            job->sender = least;
    }
    job->d->origin->sender = job->sender;
    e->sload[job->sender]++;
    ev_sender_add(e->senders[job->sender], &job->x);
}

static void start(ev_engine_t *e, job_t *job)
{
    start_with(e, job, NULL);
}

/* Overwrites every occurrence of s (at least 4 bytes) in buf with '*'. */
static void mask(char *buf, size_t len, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n < 4)
        return;
    for (char *p = buf; (p = memmem(p, len - (size_t)(p - buf), s, n)); p += n)
        memset(p, '*', n);
}

/* An endpoint may echo what it received: the history keeps no credential
 * (the values of the request's custom and auth headers are masked). */
static void scrub_response(job_t *job)
{
    static const char *const keys[] = {"password", "api_key_value", "client_secret"};
    char *buf = job->resp.p;

    if (!buf)
        return;
    for (size_t i = 0; i < job->req.nheaders; i++) {
        const char *h = job->req.headers[i], *colon = strchr(h, ':'), *sp;

        if (!colon || strncasecmp(h, "Content-Type:", 13) == 0 ||
            strncasecmp(h, "User-Agent:", 11) == 0 || strncasecmp(h, "Range:", 6) == 0 ||
            strncasecmp(h, "Accept-Encoding:", 16) == 0)
            continue;
        mask(buf, job->resp.len, colon + 2);
        sp = strchr(colon + 2, ' '); /* "Basic x" / "Bearer x": the credential alone too */
        if (sp)
            mask(buf, job->resp.len, sp + 1);
    }
    for (size_t i = 0; job->t && job->t->secret && i < 3; i++)
        mask(buf, job->resp.len, jstr(job->t->secret, keys[i]));
}

static void drop_token(ev_engine_t *e, const job_t *job);

static void completed(ev_engine_t *e, ev_h1_xfer_t *x)
{
    job_t *job = x->ud;
    long status = x->status;
    ev_job_result_t *r;
    char msg[256];

    e->sload[job->sender]--; /* the sender handed the transfer back */
    job->d->inflight--;
    job->d->origin->inflight--;
    if (job->sprev)
        job->sprev->snext = job->snext;
    else
        e->sending = job->snext;
    if (job->snext)
        job->snext->sprev = job->sprev;
    job->snext = job->sprev = NULL; /* a retried job is sent again */
    r = new_result(e, job);
    r->attempted = 1;
    r->status = x->err == EV_H1_OK ? (int)status : 0;
    r->latency_ms = ev_now_ms() - job->start_ms;
    scrub_response(job);
    r->response = ev_buf_cstr(&job->resp);
    r->response_len = job->resp.len;
    if (x->err != EV_H1_OK) {
        if (x->detail[0])
            snprintf(msg, sizeof(msg), "%s: %s", ev_h1_strerror(x->err), x->detail);
        else
            snprintf(msg, sizeof(msg), "%s", ev_h1_strerror(x->err));
        retry_or_end(e, job, r, x->err == EV_H1_TIMEOUT ? "TIMEOUT" : "SDK_CLIENT_ERROR", msg);
        return;
    }
    job->retry_after_ms = retry_after_ms(x->retry_after);
    if (status >= 200 && status < 300) {
        r->outcome = EV_JOB_DONE;
        r->result = "success";
        return;
    }
    snprintf(msg, sizeof(msg), "Unable to invoke ApiDestination endpoint: the endpoint returned "
             "HTTP %ld.", status);
    if ((status == 401 || status == 407) && job->t->auth_type &&
        strcmp(job->t->auth_type, "OAUTH_CLIENT_CREDENTIALS") != 0) {
        ev_scope_t sc = {job->j.account, job->j.region};
        char reason[128];

        snprintf(reason, sizeof(reason), "The endpoint returned HTTP %ld to the connection's "
                 "credentials.", status);
        deauthorize(e, sc, job->t->conn_name, reason);
    }
    if ((status == 401 || status == 407) && job->t->auth_type &&
        strcmp(job->t->auth_type, "OAUTH_CLIENT_CREDENTIALS") == 0) {
        /* The token was refused: drop it; the retry fetches a new one at once. */
        drop_token(e, job);
        job->retry_after_ms = 0;
        retry_or_end(e, job, r, "SDK_CLIENT_ERROR", msg);
        if (r->outcome == EV_JOB_RETRY)
            r->due_ms = ev_now_ms();
        return;
    }
    if (status == 401 || status == 407 || status == 409 || status == 429 || status >= 500)
        retry_or_end(e, job, r, status == 429 ? "THROTTLING" : "SDK_CLIENT_ERROR", msg);
    else
        finish_dead(e, job, r, "SDK_CLIENT_ERROR", msg, NULL);
}

/* ---- OAuth tokens ---- */

static ev_kms_t kms_of(ev_engine_t *e, const char *account, const char *region)
{
    ev_kms_t k;

    k.store = e->cfg.store;
    k.master_key = e->cfg.master_key;
    k.scope.account = account;
    k.scope.region = region;
    k.now_ms = ev_now_ms();
    return k;
}

static void oauth_clear_token(oauth_t *o)
{
    ev_free_secret(o->token);
    o->token = NULL;
    o->expires_ms = 0;
}

static void oauth_free(oauth_t *o)
{
    oauth_clear_token(o);
    free(o->reason);
    free(o->key);
    free(o->account);
    free(o->region);
    free(o->name);
    free(o->conn_arn);
    free(o->secret_arn);
    free(o->kms_key);
    ev_request_free(&o->req);
    ev_buf_free(&o->resp);
    free(o);
}

/* The engine's record of a connection, refreshed from the store; NULL when
 * the connection is gone. A changed connection loses its token. */
static oauth_t *oauth_of(ev_engine_t *e, const char *account, const char *region,
                         const char *name)
{
    char *key = ev_xasprintf("%s|%s|%s", account, region, name);
    ev_scope_t sc = {account, region};
    ev_connection_t c;
    oauth_t *o;

    for (o = e->oauth; o; o = o->next)
        if (strcmp(o->key, key) == 0)
            break;
    if (ev_store_begin(e->cfg.store, 0) != EV_OK) {
        free(key);
        return o;
    }
    if (ev_store_conn_get(e->cfg.store, sc, name, &c) != EV_OK) {
        (void)ev_store_end(e->cfg.store, EV_OK);
        free(key);
        return NULL;
    }
    (void)ev_store_end(e->cfg.store, EV_OK);
    if (!o) {
        o = ev_xcalloc(1, sizeof(*o));
        o->key = key;
        key = NULL;
        o->account = ev_xstrdup(account);
        o->region = ev_xstrdup(region);
        o->name = ev_xstrdup(name);
        o->next = e->oauth;
        e->oauth = o;
    }
    if (o->conn_modified_ms != c.modified_ms) {
        oauth_clear_token(o);
        o->loaded = 0;
        o->conn_modified_ms = c.modified_ms;
    }
    o->usable = strcmp(c.state, "AUTHORIZED") == 0 || strcmp(c.state, "ACTIVE") == 0;
    free(o->reason);
    o->reason = c.state_reason ? ev_xstrdup(c.state_reason) : NULL;
    free(o->conn_arn);
    free(o->secret_arn);
    free(o->kms_key);
    o->conn_arn = ev_xstrdup(c.arn);
    o->secret_arn = c.secret_arn ? ev_xstrdup(c.secret_arn) : NULL;
    o->kms_key = c.kms_key ? ev_xstrdup(c.kms_key) : NULL;
    ev_connection_clear(&c);
    free(key);
    return o;
}

/* Loads the token sealed in the store (once per connection version). */
static void oauth_load(ev_engine_t *e, oauth_t *o)
{
    ev_kms_t k = kms_of(e, o->account, o->region);
    json_t *tok = NULL;
    char *msg = NULL;

    if (o->loaded || !o->secret_arn)
        return;
    o->loaded = 1;
    if (ev_store_begin(e->cfg.store, 1) != EV_OK)
        return;
    if (ev_token_load(&k, o->secret_arn, o->conn_arn, &tok, &msg) == EV_OK &&
        json_is_string(json_object_get(tok, "access_token"))) {
        oauth_clear_token(o);
        o->token = ev_xstrdup(json_string_value(json_object_get(tok, "access_token")));
        o->expires_ms = json_integer_value(json_object_get(tok, "expires_ms"));
    }
    (void)ev_store_end(e->cfg.store, EV_OK);
    free(msg);
    ev_json_wipe(tok);
}

static int token_fresh(const oauth_t *o)
{
    /* Refreshed ahead of time: a token with less than 60 s left is not used. */
    return o->token && o->expires_ms - ev_now_ms() > 60000;
}

static void start_fetch(ev_engine_t *e, oauth_t *o, const json_t *secret)
{
    char *err = NULL;

    if (o->easy)
        return; /* single flight */
    ev_request_free(&o->req);
    if (ev_oauth_request(secret, &o->req, &err) != EV_OK) {
        free(err);
        o->start_ms = ev_now_ms();
        fetched(e, o, CURLE_URL_MALFORMAT);
        return;
    }
    o->easy = curl_easy_init();
    if (!o->easy)
        abort();
    for (size_t i = 0; i < o->req.nheaders; i++)
        o->hdrs = curl_slist_append(o->hdrs, o->req.headers[i]);
    o->hdrs = curl_slist_append(o->hdrs, "Expect:");
    ev_buf_free(&o->resp);
    ev_buf_init(&o->resp, EV_OAUTH_MAX_RESPONSE + 1);
    o->start_ms = ev_now_ms();
    curl_easy_setopt(o->easy, CURLOPT_URL, o->req.url);
    curl_easy_setopt(o->easy, CURLOPT_CUSTOMREQUEST, o->req.method);
    if (o->req.body) {
        curl_easy_setopt(o->easy, CURLOPT_POSTFIELDS, o->req.body);
        curl_easy_setopt(o->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->req.body_len);
    }
    curl_easy_setopt(o->easy, CURLOPT_HTTPHEADER, o->hdrs);
    common_opts(e, o->easy);
    curl_easy_setopt(o->easy, CURLOPT_WRITEFUNCTION, on_fetch_body);
    curl_easy_setopt(o->easy, CURLOPT_WRITEDATA, o);
    curl_easy_setopt(o->easy, CURLOPT_PRIVATE, o);
    curl_multi_add_handle(e->multi, o->easy);
}

/* The bearer token for a delivery, or NULL: the job is parked and a token
 * request is under way (or the job was ended). */
static const char *bearer_for(ev_engine_t *e, job_t *job)
{
    oauth_t *o = oauth_of(e, job->j.account, job->j.region, job->t->conn_name);

    if (o && !o->usable) {
        ev_job_result_t *r = new_result(e, job);

        finish_dead(e, job, r, "NO_PERMISSIONS",
                    o->reason ? o->reason : "The connection is not authorized.", NULL);
        return NULL;
    }
    if (o) {
        oauth_load(e, o);
        if (token_fresh(o))
            return o->token;
        job->next = o->waiting;
        o->waiting = job;
        o->authorize = 0;
        start_fetch(e, o, job->t->secret);
        return NULL;
    }
    {
        ev_job_result_t *r = new_result(e, job);

        finish_dead(e, job, r, "NO_RESOURCE", "The connection no longer exists.", NULL);
    }
    return NULL;
}

static void drop_token(ev_engine_t *e, const job_t *job)
{
    oauth_t *o = oauth_of(e, job->j.account, job->j.region, job->t->conn_name);
    ev_kms_t k;

    if (!o)
        return;
    oauth_clear_token(o);
    o->loaded = 1;
    k = kms_of(e, o->account, o->region);
    if (o->secret_arn && ev_store_begin(e->cfg.store, 1) == EV_OK) {
        ev_err rc = ev_token_delete(&k, o->secret_arn);

        (void)ev_store_end(e->cfg.store, rc);
    }
}

/* Records the outcome of a token request on the connection. */
static void set_connection(ev_engine_t *e, oauth_t *o, int ok, const char *reason)
{
    ev_scope_t sc = {o->account, o->region};
    ev_connection_t c;
    ev_err rc;

    if (!ok) {
        deauthorize(e, sc, o->name, reason);
        return;
    }
    if (!o->authorize || ev_store_begin(e->cfg.store, 1) != EV_OK)
        return;
    rc = ev_store_conn_get(e->cfg.store, sc, o->name, &c);
    if (rc == EV_OK && strcmp(c.state, "AUTHORIZING") == 0) {
        free(c.state);
        c.state = ev_xstrdup(c.connectivity ? "ACTIVE" : "AUTHORIZED");
        free(c.state_reason);
        c.state_reason = NULL;
        c.authorized_ms = ev_now_ms();
        rc = ev_store_conn_put(e->cfg.store, sc, &c);
        if (rc == EV_OK)
            o->conn_modified_ms = c.modified_ms;
    }
    ev_connection_clear(&c);
    (void)ev_store_end(e->cfg.store, rc);
}

static void fetched(ev_engine_t *e, oauth_t *o, CURLcode cc)
{
    long status = 0;
    char *token = NULL, *why = NULL, reason[512];
    int64_t expires_in = -1, latency;
    job_t *waiting;
    int ok = 0;

    if (o->easy) {
        curl_easy_getinfo(o->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(e->multi, o->easy);
        curl_easy_cleanup(o->easy);
        curl_slist_free_all(o->hdrs);
        o->easy = NULL;
        o->hdrs = NULL;
    }
    latency = ev_now_ms() - o->start_ms;
    if (cc != CURLE_OK) {
        snprintf(reason, sizeof(reason), "OAuth token retrieval failed: %s (%s).",
                 cc == CURLE_URL_MALFORMAT ? "the token request cannot be built"
                                           : curl_easy_strerror(cc),
                 o->conn_arn ? "authorization endpoint" : "");
    } else if (status < 200 || status > 299) {
        snprintf(reason, sizeof(reason), "OAuth token retrieval failed: the authorization "
                 "endpoint returned HTTP %ld.", status);
    } else if (ev_oauth_parse(ev_buf_cstr(&o->resp), o->resp.failed ? EV_OAUTH_MAX_RESPONSE + 1
                                                                    : o->resp.len,
                              &token, &expires_in, &why) != EV_OK) {
        snprintf(reason, sizeof(reason), "OAuth token retrieval failed: %s.", why);
    } else {
        ok = 1;
        reason[0] = '\0';
    }
    free(why);
    if (ok) {
        ev_kms_t k = kms_of(e, o->account, o->region);
        json_t *tok;
        char *msg = NULL;

        oauth_clear_token(o);
        o->token = token;
        token = NULL;
        /* expires_in <= 0: usable for the deliveries waiting now only. */
        o->expires_ms = expires_in < 0 ? INT64_MAX
                        : expires_in == 0 ? ev_now_ms() + 60000
                                          : ev_now_ms() + expires_in * 1000;
        tok = json_pack("{s:s,s:I}", "access_token", o->token, "expires_ms",
                        (json_int_t)o->expires_ms);
        if (o->secret_arn && ev_store_begin(e->cfg.store, 1) == EV_OK) {
            ev_err rc = ev_token_store(&k, o->kms_key, o->secret_arn, o->conn_arn, tok, &msg);

            (void)ev_store_end(e->cfg.store, rc);
        }
        free(msg);
        ev_json_wipe(tok);
        o->loaded = 1;
    }
    ev_free_secret(token);
    if (o->req.url) {
        /* The history names the endpoint without the query (it may carry secrets). */
        char *endpoint = ev_xstrndup(o->req.url, strcspn(o->req.url, "?"));

        ev_outbox_record(e->cfg.outbox, o->account, o->region, o->conn_arn ? o->conn_arn : "",
                         endpoint, o->start_ms, (int)status, ok ? "success" : "failed",
                         ok ? NULL : reason, latency);
        free(endpoint);
    }
    set_connection(e, o, ok, reason);
    waiting = o->waiting;
    o->waiting = NULL;
    while (waiting) {
        job_t *job = waiting;

        waiting = job->next;
        job->next = NULL;
        if (ok && o->token) {
            start_with(e, job, o->token);
        } else {
            ev_job_result_t *r = new_result(e, job);

            finish_dead(e, job, r, "NO_PERMISSIONS", reason, NULL);
        }
    }
    if (ok && o->expires_ms != INT64_MAX && o->expires_ms - ev_now_ms() <= 60000)
        oauth_clear_token(o); /* served the waiting deliveries; the next ones fetch again */
}

/* Starts the token exchange of every OAuth connection waiting in AUTHORIZING. */
static void scan_authorizing(ev_engine_t *e, int64_t now)
{
    uint64_t gen = ev_store_generation(e->cfg.store);
    ev_conn_ref_t *refs = NULL;
    size_t n = 0;

    if (gen == e->scan_gen && now - e->last_scan < 1000)
        return;
    e->scan_gen = gen;
    e->last_scan = now;
    if (ev_store_begin(e->cfg.store, 0) != EV_OK)
        return;
    if (ev_store_conn_refs(e->cfg.store, "OAUTH_CLIENT_CREDENTIALS", "AUTHORIZING", &refs, &n) !=
        EV_OK)
        n = 0;
    (void)ev_store_end(e->cfg.store, EV_OK);
    for (size_t i = 0; i < n; i++) {
        oauth_t *o = oauth_of(e, refs[i].account, refs[i].region, refs[i].name);
        ev_kms_t k;
        json_t *secret = NULL;
        char *msg = NULL;

        if (!o || o->easy || !o->secret_arn)
            continue;
        k = kms_of(e, o->account, o->region);
        if (ev_store_begin(e->cfg.store, 1) != EV_OK)
            continue;
        if (ev_secret_open(&k, o->secret_arn, o->conn_arn, &secret, &msg) == EV_OK) {
            (void)ev_store_end(e->cfg.store, EV_OK);
            o->authorize = 1;
            start_fetch(e, o, secret);
        } else {
            ev_scope_t sc = {o->account, o->region};

            (void)ev_store_end(e->cfg.store, EV_OK);
            deauthorize(e, sc, o->name, msg ? msg : "The connection secret cannot be read.");
        }
        free(msg);
        ev_json_wipe(secret);
    }
    ev_store_conn_refs_free(refs, n);
}

/* ---- claiming and dispatch ---- */

/* "scheme://host:port/path?q" -> "scheme://host:port" */
static origin_t *origin_of(ev_engine_t *e, const char *endpoint)
{
    const char *p = strstr(endpoint, "://");
    size_t n = p ? (size_t)(p + 3 - endpoint) + strcspn(p + 3, "/?#") : strlen(endpoint);
    origin_t *o;

    for (o = e->origins; o; o = o->next)
        if (strlen(o->key) == n && strncasecmp(o->key, endpoint, n) == 0)
            return o;
    o = ev_xcalloc(1, sizeof(*o));
    o->key = ev_xstrndup(endpoint, n);
    o->next = e->origins;
    e->origins = o;
    return o;
}

static dest_t *dest_of(ev_engine_t *e, dtarget_t *t)
{
    dest_t *d = t->dest;

    if (!d) {
        for (d = e->dests; d; d = d->next)
            if (strcmp(d->arn, t->dest_arn) == 0)
                break;
    }
    if (!d) {
        d = ev_xcalloc(1, sizeof(*d));
        d->arn = ev_xstrdup(t->dest_arn);
        d->tokens = 1;
        d->refill_ms = ev_now_ms();
        d->next = e->dests;
        e->dests = d;
    }
    t->dest = d;
    /* UpdateApiDestination may move it: a new target resolution follows. */
    if (!d->origin || d->inflight == 0)
        d->origin = origin_of(e, t->endpoint);
    d->rate = t->rate < 1 ? 1 : t->rate;
    return d;
}

/* The jobs a destination holds in memory: queued, in flight, waiting to retry. */
static size_t backlog(const dest_t *d)
{
    return d->queued + (size_t)d->inflight + d->retrying;
}

/* A destination that cannot keep up parks its new jobs: many long backlogs at
 * once keep only their first jobs each. */
static int must_park(const ev_engine_t *e, const dest_t *d)
{
    size_t b = backlog(d);

    return b >= DEST_FULL_JOBS || (b >= DEST_MIN_JOBS && atomic_load(&e->held) > MAX_HELD / 2);
}

/* A new job for a destination whose backlog is long leaves memory: it is in
 * the store, and every later new job of that target follows it there until
 * the backlog has room again, so the engine's memory stays bounded however long
 * an endpoint is down, and the jobs of other destinations keep flowing. */
static int park(ev_engine_t *e, job_t *job)
{
    dest_t *d = job->d;

    if (d->parked_from) {
        /* Jobs reach the engine in id order (intake); anything older than the
         * parked range stays in memory rather than be missed by unpark. */
        if (job->j.id < d->parked_from || strcmp(d->park_arn, job->j.target_arn) != 0)
            return 0;
    } else if (!must_park(e, d)) {
        return 0;
    } else {
        d->parked_from = job->j.id;
        d->park_arn = ev_xstrdup(job->j.target_arn);
        e->nparked++;
        ev_info("delivery: %s has %zu jobs in memory; its new jobs wait in the store from "
                "job %lld on", d->arn, backlog(d), (long long)job->j.id);
    }
    if (job->j.id > d->parked_to)
        d->parked_to = job->j.id;
    if (!d->park_full) {
        size_t grown;

        if (ev_idq_push(&d->park_ids, job->j.id, ev_idq_bytes(&d->park_ids) + e->cfg.park_id_bytes -
                                                     e->park_bytes,
                        &grown) == 0) {
            e->park_bytes += grown;
        } else {
            d->park_full = 1;
            ev_info("delivery: %s: parked jobs from job %lld on are not remembered by id; "
                    "they are read back by a scan of the store",
                    d->arn, (long long)job->j.id);
        }
    }
    job_free(e, job);
    return 1;
}

/* Decides for a fresh job (handed over or paged in, in id order), before its
 * due time is looked at: parked (1, freed) or not (0, its target resolved). */
static int park_fresh(ev_engine_t *e, job_t *job)
{
    job->t = resolve(e, &job->j);
    if (job->t->kind == K_API && job->t->usable) {
        job->d = dest_of(e, job->t);
        return park(e, job);
    }
    /* A job of a parked target that cannot be sent now (rule deleted,
     * connection not authorized) still follows the parked range: the range
     * must hold no id that went through admit, or unpark would read it again. */
    for (dest_t *d = e->nparked ? e->dests : NULL; d; d = d->next) {
        if (d->parked_from && strcmp(d->park_arn, job->j.target_arn) == 0) {
            job->d = d;
            if (park(e, job))
                return 1;
            job->d = NULL;
            return 0;
        }
    }
    return 0;
}

/* Reads parked jobs back, oldest first, once the destination's backlog is short. */
static void unpark(ev_engine_t *e, dest_t *d, int64_t now);

/* Handles a job that is due: queue it behind its destination or end it now.
 * Its target may already be resolved (a fresh job). */
static void admit(ev_engine_t *e, job_t *job)
{
    ev_job_result_t *r;
    char *msg;

    if (!job->t)
        job->t = resolve(e, &job->j);
    switch (job->t->kind) {
    case K_API:
        if (job->t->usable) {
            job->d = dest_of(e, job->t);
            if (job->d->tail)
                job->d->tail->next = job;
            else
                job->d->head = job;
            job->d->tail = job;
            /* New jobs beyond the first are parked (above); retries that
             * come due while the queue is long wait as ids. */
            if (++job->d->queued > DEST_FULL_JOBS)
                job_lighten(e, job);
            return;
        }
        r = new_result(e, job);
        finish_dead(e, job, r, job->t->problem_code, job->t->problem, NULL);
        return;
    case K_SQS: {
        ev_scope_t sc = {job->j.account, job->j.region};
        char id[37];
        ev_err rc = ev_store_begin(e->cfg.store, 1);

        job->start_ms = ev_now_ms();
        if (rc == EV_OK) {
            rc = ev_store_sqs_send(e->cfg.store, sc, job->j.target_arn,
                                   (const char *)job->j.payload, job->j.payload_len, NULL, 0,
                                   job->start_ms, id);
            rc = ev_store_end(e->cfg.store, rc);
        }
        r = new_result(e, job);
        r->attempted = 1;
        r->latency_ms = ev_now_ms() - job->start_ms;
        if (rc == EV_OK) {
            r->status = 200;
            r->outcome = EV_JOB_DONE;
            r->result = "success";
        } else {
            msg = ev_xasprintf("The queue %s does not exist.", job->j.target_arn);
            finish_dead(e, job, r, "NO_RESOURCE", msg, NULL);
            free(msg);
        }
        return;
    }
    case K_BUS: {
        ev_err rc;

        job->start_ms = ev_now_ms();
        rc = e->cfg.bus_put(e->cfg.bus_put_ud, job->j.account, job->j.region, job->j.target_arn,
                            (const char *)job->j.payload, job->j.payload_len);
        r = new_result(e, job);
        r->attempted = 1;
        r->latency_ms = ev_now_ms() - job->start_ms;
        if (rc == EV_OK) {
            r->status = 200;
            r->outcome = EV_JOB_DONE;
            r->result = "success";
        } else {
            msg = ev_xasprintf(rc == EV_ERR_ACCESS_DENIED
                                   ? "evbridge delivers only to buses of the same account and "
                                     "region (%s)."
                                   : "The event bus %s does not exist or the event is not valid.",
                               job->j.target_arn);
            finish_dead(e, job, r, rc == EV_ERR_ACCESS_DENIED ? "NO_PERMISSIONS" : "NO_RESOURCE",
                        msg, NULL);
            free(msg);
        }
        return;
    }
    case K_UNSUPPORTED:
        r = new_result(e, job);
        msg = ev_xasprintf("evbridge cannot deliver to %s (unsupported target type).",
                           job->j.target_arn);
        finish_dead(e, job, r, "NO_RESOURCE", msg, NULL);
        free(msg);
        return;
    default:
        /* The rule or target was deleted after the event was accepted. */
        r = new_result(e, job);
        r->outcome = EV_JOB_DEAD;
        r->result = "dropped";
        r->error = "NO_RESOURCE: the rule or target no longer exists";
        return;
    }
}

/* A job that is due goes to admit(); one that is not waits in the heap. */
static void arrive(ev_engine_t *e, ev_outbox_job_t *j, int64_t now, int fresh)
{
    job_t *job = ev_xcalloc(1, sizeof(*job));

    job->j = *j; /* takes the strings */
    job->retry_after_ms = -1;
    if (fresh && park_fresh(e, job))
        return;
    if (job->j.due_ms > now) {
        /* Not due yet (a retry stored before a restart, or read back from
         * the parked range): it counts against its destination's backlog, and
         * one that waits long waits as an id, as in rearm. */
        if (!job->t)
            job->t = resolve(e, &job->j);
        if (job->t->kind == K_API && job->t->usable) {
            job->rd = dest_of(e, job->t);
            job->rd->retrying++;
        }
        dtarget_unref(job->t); /* resolved again when due */
        job->t = NULL;
        job->d = NULL;
        if (job->j.due_ms - now >= LIGHT_AFTER_MS)
            job_lighten(e, job);
        heap_push(e, job);
    } else {
        admit(e, job);
    }
}

/* Reads up to `room` parked jobs back by their recorded ids; -1 when the
 * store cannot answer (the ids stay recorded). */
static ssize_t read_parked_ids(ev_engine_t *e, dest_t *d, size_t room, ev_outbox_job_t *out)
{
    int64_t ids[EV_OUTBOX_LOAD_SOME];
    size_t n = 0;

    while (n < room && d->park_ids.n > 0) {
        ev_outbox_job_t got[EV_OUTBOX_LOAD_SOME];
        ev_idq_t before = d->park_ids; /* pop never reallocates: this restores it */
        size_t k = ev_idq_pop(&d->park_ids, ids,
                              room - n < EV_OUTBOX_LOAD_SOME ? room - n : EV_OUTBOX_LOAD_SOME);

        memset(got, 0, sizeof(got));
        if (ev_outbox_load_some(e->cfg.outbox, ids, k, got) != EV_OK) {
            d->park_ids = before;
            if (n == 0)
                return -1;
            break;
        }
        for (size_t i = 0; i < k; i++)
            if (got[i].mem) /* a recorded job is in the store until the engine ends it */
                out[n++] = got[i];
        d->parked_from = ids[k - 1] + 1;
    }
    return (ssize_t)n;
}

static void unpark(ev_engine_t *e, dest_t *d, int64_t now)
{
    ev_outbox_job_t *jobs = NULL;
    size_t n = 0, b = backlog(d), room;
    int all;

    if (atomic_load(&e->held) > MAX_HELD / 2) {
        if (b >= DEST_MIN_JOBS / 2)
            return;
        room = DEST_MIN_JOBS - b;
    } else {
        if (b >= DEST_FULL_JOBS / 2)
            return;
        room = DEST_FULL_JOBS - b;
    }
    if (room > LOAD_BATCH)
        room = LOAD_BATCH;
    if (atomic_load(&e->held) + room > MAX_HELD)
        return; /* the next round tries again */
    if (d->park_ids.n > 0) {
        ssize_t got;

        jobs = ev_xcalloc(room, sizeof(*jobs));
        got = read_parked_ids(e, d, room, jobs);
        if (got < 0) {
            free(jobs);
            return;
        }
        n = (size_t)got;
        all = d->park_ids.n == 0 && !d->park_full;
        if (d->park_ids.n == 0 && d->park_full) {
            /* Every recorded id is back and the rest is scanned for: the
             * memory goes back to the other destinations' budget. */
            e->park_bytes -= ev_idq_bytes(&d->park_ids);
            ev_idq_clear(&d->park_ids);
        }
    } else {
        /* Beyond what was recorded: a scan of the rest of the range. */
        if (ev_outbox_load_target(e->cfg.outbox, d->park_arn, d->parked_from, d->parked_to, room,
                                  &jobs, &n) != EV_OK)
            return;
        all = n < room;
        if (!all)
            d->parked_from = jobs[n - 1].id + 1;
    }
    atomic_fetch_add(&e->held, n);
    if (all) { /* all read back: new jobs queue in memory again */
        ev_info("delivery: %s: every job that waited in the store is back in memory "
                "(last %lld)", d->arn, (long long)d->parked_to);
        e->nparked--;
        d->parked_from = 0;
        d->parked_to = 0;
        free(d->park_arn);
        d->park_arn = NULL;
        e->park_bytes -= ev_idq_bytes(&d->park_ids);
        ev_idq_clear(&d->park_ids);
        d->park_full = 0;
    }
    for (size_t i = 0; i < n; i++)
        arrive(e, &jobs[i], now, 0);
    free(jobs);
}

/* The outbox writer hands committed jobs over (its thread; must not block). */
static int take(void *arg, ev_outbox_job_t *jobs, size_t n)
{
    ev_engine_t *e = arg;
    struct inbox *in;

    if (atomic_load(&e->held) + n > MAX_HELD || atomic_load(&e->light) > MAX_LIGHT)
        return 0;
    in = ev_xcalloc(1, sizeof(*in));
    in->jobs = jobs;
    in->n = n;
    atomic_fetch_add(&e->held, n);
    pthread_mutex_lock(&e->inbox_lock);
    /* Kept in commit order: prepend, and the engine reverses the list. */
    in->next = e->inbox;
    e->inbox = in;
    pthread_mutex_unlock(&e->inbox_lock);
    atomic_store(&e->woken, 1);
    curl_multi_wakeup(e->multi);
    return 1;
}

static void free_inbox(ev_engine_t *e, struct inbox *in)
{
    while (in) {
        struct inbox *next = in->next;

        for (size_t i = 0; i < in->n; i++) {
            ev_outbox_job_clear(&in->jobs[i]);
            atomic_fetch_sub(&e->held, 1);
        }
        free(in->jobs);
        free(in);
        in = next;
    }
}

/* Takes in new jobs (handed over or paged in) and the retries now due. */
static void intake(ev_engine_t *e, int64_t now)
{
    struct inbox *in, *rev = NULL;
    ev_outbox_job_t *jobs = NULL;
    size_t n = 0, k = 0, room;

    /* Jobs that found no room wait in the store, oldest first. They are read
     * before the inbox is taken and the two are merged by id: a commit handed
     * over just before a page-in can hold lower ids than the page, and
     * parking relies on fresh jobs arriving in id order. */
    room = atomic_load(&e->held) < MAX_HELD && atomic_load(&e->light) <= MAX_LIGHT
               ? MAX_HELD - atomic_load(&e->held)
               : 0;
    if (room > LOAD_BATCH)
        room = LOAD_BATCH;
    if (room > 0 && ev_outbox_load(e->cfg.outbox, room, &jobs, &n) == EV_OK && n) {
        atomic_fetch_add(&e->held, n);
        if (n == room)
            atomic_store(&e->woken, 1); /* more may be waiting */
    }
    pthread_mutex_lock(&e->inbox_lock);
    in = e->inbox;
    e->inbox = NULL;
    pthread_mutex_unlock(&e->inbox_lock);
    while (in) {
        struct inbox *next = in->next;

        in->next = rev;
        rev = in;
        in = next;
    }
    while (rev) {
        struct inbox *next = rev->next;

        for (size_t i = 0; i < rev->n; i++) {
            while (k < n && jobs[k].id < rev->jobs[i].id)
                arrive(e, &jobs[k++], now, 1);
            arrive(e, &rev->jobs[i], now, 1);
        }
        free(rev->jobs);
        free(rev);
        rev = next;
    }
    while (k < n)
        arrive(e, &jobs[k++], now, 1);
    free(jobs);
    while (e->nheap && e->heap[0]->j.due_ms <= now) {
        job_t *job = heap_pop(e);
        ev_err rc;

        rc = job_reload(e, job);
        if (rc == EV_ERR_INTERNAL) { /* try again in a second */
            job->j.due_ms = now + 1000;
            heap_push(e, job);
            break;
        }
        if (job->rd) {
            job->rd->retrying--;
            job->rd = NULL;
        }
        if (rc != EV_OK) { /* gone from the store: nothing left to do */
            job_free(e, job);
            continue;
        }
        admit(e, job);
    }
}

/* Starts what the token buckets allow; returns ms until a token is due. */
static int64_t dispatch(ev_engine_t *e, int64_t now)
{
    int64_t wait = 1000;
    uint64_t gen = ev_store_generation(e->cfg.store);

    for (dest_t *d = e->dests; d; d = d->next) {
        if (d->head && d->gen != gen && job_reload(e, d->head) == EV_OK) {
            /* The configuration changed (e.g. UpdateApiDestination raised the
             * rate): queued jobs follow the destination's current rate. */
            dtarget_t *t = resolve(e, &d->head->j);

            if (t->kind == K_API && t->dest_arn && strcmp(t->dest_arn, d->arn) == 0)
                d->rate = t->rate < 1 ? 1 : t->rate;
            dtarget_unref(t);
            d->gen = gen;
        }
        /* A small burst (a tenth of a second's worth) keeps any one-second
         * window close to the rate. */
        double burst = d->rate / 10.0 < 1.0 ? 1.0 : d->rate / 10.0;

        if (d->parked_from)
            unpark(e, d, now);

        d->tokens += (double)(now - d->refill_ms) * d->rate / 1000.0;
        if (d->tokens > burst)
            d->tokens = burst;
        d->refill_ms = now;
        while (d->head && d->tokens >= 1.0 && d->inflight < PER_DEST_INFLIGHT &&
               d->origin->inflight < PER_ORIGIN_INFLIGHT) {
            job_t *job = d->head;
            ev_err rc;

            if (!job->j.mem)
                prefetch(e, d);
            rc = job_reload(e, job);

            if (rc == EV_ERR_INTERNAL)
                break; /* the store is busy: the next round tries again */
            d->head = job->next;
            if (!d->head)
                d->tail = NULL;
            d->queued--;
            job->next = NULL;
            if (rc != EV_OK) { /* gone from the store: nothing left to do */
                job_free(e, job);
                continue;
            }
            d->tokens -= 1.0;
            start(e, job);
        }
        if (d->head && d->tokens < 1.0 && d->origin->inflight < PER_ORIGIN_INFLIGHT) {
            int64_t need = (int64_t)((1.0 - d->tokens) * 1000.0 / d->rate) + 1;

            if (need < wait)
                wait = need;
        }
    }
    /* Destinations sharing an origin take turns at being served first. */
    if (e->dests && e->dests->next) {
        dest_t *first = e->dests, *last = first;

        while (last->next)
            last = last->next;
        e->dests = first->next;
        first->next = NULL;
        last->next = first;
    }
    return wait;
}

/* A sender finished transfers (its thread). */
static void wake_engine(void *arg)
{
    ev_engine_t *e = arg;

    atomic_store(&e->woken, 1);
    curl_multi_wakeup(e->multi);
}

static void *engine_main(void *arg)
{
    ev_engine_t *e = arg;

    pthread_setname_np(pthread_self(), "ev-engine");
    ev_thread_nice("EVBRIDGE_ENGINE_NICE", 0);
    atomic_store(&e->woken, 1);
    while (!atomic_load(&e->stop)) {
        int64_t now = ev_now_ms(), wait;
        int running = 0, left;
        CURLMsg *m;

        atomic_store(&e->woken, 0);
        intake(e, now);
        scan_authorizing(e, now);
        wait = dispatch(e, now);
        curl_multi_perform(e->multi, &running);
        while ((m = curl_multi_info_read(e->multi, &left))) {
            if (m->msg == CURLMSG_DONE) { /* token requests are the only ones */
                oauth_t *o = NULL;

                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&o);
                fetched(e, o, m->data.result);
            }
        }
        for (int i = 0; i < e->nsenders; i++) {
            ev_h1_xfer_t *sent[SENT_BATCH];
            size_t n;

            while ((n = ev_sender_done(e->senders[i], sent, SENT_BATCH)) > 0)
                for (size_t k = 0; k < n; k++)
                    completed(e, sent[k]);
        }
        /* Anything that ended freed a slot (or a retry is due now): go round
         * again before sleeping, or queued jobs would wait for a timeout. */
        if (e->nres)
            wait = 0;
        flush(e);
        if (e->nheap) {
            int64_t due = e->heap[0]->j.due_ms - ev_now_ms();

            if (due < wait)
                wait = due < 0 ? 0 : due;
        }
        {
            /* Transfers added after curl_multi_perform (retries, waiting
             * deliveries) must not sleep: curl says when it next needs us. */
            long ct = -1;

            curl_multi_timeout(e->multi, &ct);
            if (ct >= 0 && ct < wait)
                wait = ct;
        }
        if (!atomic_load(&e->woken) && wait > 0)
            curl_multi_poll(e->multi, NULL, 0, (int)wait, NULL);
    }
    flush(e);
    return NULL;
}

ev_err ev_engine_start(const ev_engine_cfg_t *cfg, ev_engine_t **out, char *msg, size_t msglen)
{
    ev_engine_t *e = ev_xcalloc(1, sizeof(*e));

    *out = NULL;
    e->cfg = *cfg;
    if (!e->cfg.timeout_ms)
        e->cfg.timeout_ms = 5000;
    if (!e->cfg.backoff_base_ms)
        e->cfg.backoff_base_ms = 1000;
    if (!e->cfg.backoff_cap_ms)
        e->cfg.backoff_cap_ms = 60000;
    pthread_mutex_init(&e->inbox_lock, NULL);
    e->multi = curl_multi_init();
    curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)PER_DEST_INFLIGHT);
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, 1024L);
    e->nsenders = e->cfg.senders;
    if (e->cfg.park_id_bytes == 0)
        e->cfg.park_id_bytes = PARK_ID_BYTES;
    if (e->nsenders <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        /* Two per core: a sender sleeps in epoll between a request and its
         * answer; on 2 cores 3-4 senders drained 15-25% more than 2. */
        e->nsenders = cpus < 1 ? 2 : cpus > 2 ? 4 : 2 * (int)cpus;
    }
    if (e->nsenders > MAX_SENDERS)
        e->nsenders = MAX_SENDERS;
    for (int i = 0; i < e->nsenders; i++) {
        e->senders[i] = ev_sender_start(e->cfg.timeout_ms, e->cfg.ca_file, wake_engine, e, msg,
                                        msglen);
        if (!e->senders[i]) {
            e->nsenders = i;
            goto fail;
        }
    }
    if (pthread_create(&e->thread, NULL, engine_main, e) != 0) {
        snprintf(msg, msglen, "cannot start the delivery engine");
        goto fail;
    }
    ev_outbox_set_consumer(cfg->outbox, take, e);
    *out = e;
    return EV_OK;
fail:
    for (int i = 0; i < e->nsenders; i++) {
        ev_sender_stop(e->senders[i]);
        ev_sender_free(e->senders[i]);
    }
    curl_multi_cleanup(e->multi);
    pthread_mutex_destroy(&e->inbox_lock);
    free(e);
    return EV_ERR_INTERNAL;
}

void ev_engine_stop(ev_engine_t *e)
{
    if (!e)
        return;
    /* From here the writer hands nothing over; what it did not hand over, and
     * every job still held below, stays in the outbox for the next start. */
    ev_outbox_set_consumer(e->cfg.outbox, NULL, NULL);
    atomic_store(&e->stop, 1);
    curl_multi_wakeup(e->multi);
    pthread_join(e->thread, NULL);
    for (int i = 0; i < e->nsenders; i++)
        ev_sender_stop(e->senders[i]);
    while (e->sending) {
        job_t *job = e->sending;

        e->sending = job->snext;
        job_free(e, job);
    }
    while (e->dests) {
        dest_t *d = e->dests;

        e->dests = d->next;
        while (d->head) {
            job_t *job = d->head;

            d->head = job->next;
            job_free(e, job);
        }
        free(d->arn);
        free(d->park_arn);
        ev_idq_clear(&d->park_ids);
        free(d);
    }
    while (e->oauth) {
        oauth_t *o = e->oauth;

        e->oauth = o->next;
        if (o->easy) {
            curl_multi_remove_handle(e->multi, o->easy);
            curl_easy_cleanup(o->easy);
            curl_slist_free_all(o->hdrs);
        }
        while (o->waiting) {
            job_t *job = o->waiting;

            o->waiting = job->next;
            job_free(e, job);
        }
        oauth_free(o);
    }
    while (e->nheap)
        job_free(e, heap_pop(e));
    while (e->origins) {
        origin_t *o = e->origins;

        e->origins = o->next;
        free(o->key);
        free(o);
    }
    free_inbox(e, e->inbox);
    drop_cache(e);
    for (int i = 0; i < e->nsenders; i++)
        ev_sender_free(e->senders[i]); /* finished transfers were freed above, with their jobs */
    curl_multi_cleanup(e->multi);
    pthread_mutex_destroy(&e->inbox_lock);
    free(e->heap);
    free(e->res);
    free(e->res_jobs);
    free(e->res_strings);
    free(e);
}
