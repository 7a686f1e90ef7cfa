/*
 * api/events.c - PutEvents: entry validation with AWS's per-entry errors,
 * the event envelope, matching against the bus's compiled rules, input
 * transformation, and durable hand-off to the outbox (the call answers only
 * after every job it produced is committed).
 *
 * Each bus has a runtime: its enabled rules compiled into one matcher and
 * their targets with compiled inputs. Runtimes are built on first use and
 * rebuilt after any change to the scope's buses, rules or targets (a
 * generation counter), then shared read-only by all PutEvents threads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/buf.h"
#include "core/jcanon.h"
#include "core/log.h"
#include "match/match.h"
#include "store/outbox.h"
#include "util/util.h"
#include "xform/xform.h"

#define MAX_ENTRIES_BYTES 262144
#define MAX_PAYLOAD_BYTES (1024 * 1024)

typedef struct {
    char *id;
    char *arn;
    ev_xform_t *xform;
} rt_target_t;

typedef struct {
    char *name;
    char *arn;
    rt_target_t *targets;
    size_t ntargets;
} rt_rule_t;

typedef struct bus_rt {
    char *key;            /* account \n region \n bus */
    uint64_t gen;         /* configuration generation it was built from */
    int exists;
    ev_matcher_t *matcher;
    rt_rule_t *rules;
    size_t nrules;
    int refs;             /* readers + 1 while cached */
    struct bus_rt *next;
} bus_rt_t;

static atomic_uint_fast64_t config_gen = 1;
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static bus_rt_t *cache;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

void ev__bus_changed(ev_call_t *c, const char *bus)
{
    (void)c;
    (void)bus;
    atomic_fetch_add(&config_gen, 1);
}

static void free_rt(bus_rt_t *rt)
{
    for (size_t i = 0; i < rt->nrules; i++) {
        for (size_t j = 0; j < rt->rules[i].ntargets; j++) {
            free(rt->rules[i].targets[j].id);
            free(rt->rules[i].targets[j].arn);
            ev_xform_free(rt->rules[i].targets[j].xform);
        }
        free(rt->rules[i].targets);
        free(rt->rules[i].name);
        free(rt->rules[i].arn);
    }
    free(rt->rules);
    ev_matcher_unref(rt->matcher);
    free(rt->key);
    free(rt);
}

static void release(bus_rt_t *rt)
{
    int last;

    pthread_mutex_lock(&cache_lock);
    last = --rt->refs == 0;
    pthread_mutex_unlock(&cache_lock);
    if (last)
        free_rt(rt);
}

/* Builds a bus runtime from the store (read transaction of its own). */
static bus_rt_t *build(ev_call_t *c, const char *bus, const char *key, uint64_t gen)
{
    bus_rt_t *rt = ev_xcalloc(1, sizeof(*rt));
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_rule_t *rules = NULL;
    ev_target_t *targets = NULL;
    size_t nrules = 0, ntargets = 0;
    ev_bus_t bu;
    ev_err rc;

    rt->key = ev_xstrdup(key);
    rt->gen = gen;
    rt->refs = 1;
    if (ev_store_begin(c->app->store, 0) != EV_OK)
        goto done;
    rc = ev_store_bus_get(c->app->store, c->scope, bus, &bu);
    ev_bus_clear(&bu);
    rt->exists = rc == EV_OK || strcmp(bus, "default") == 0;
    if (rc == EV_OK) {
        rc = ev_store_rule_list(c->app->store, c->scope, bus, NULL, NULL, 0, &rules, &nrules);
        if (rc == EV_OK)
            rc = ev_store_target_list(c->app->store, c->scope, bus, NULL, &targets, &ntargets);
    }
    (void)ev_store_end(c->app->store, EV_OK);
    rt->rules = ev_xcalloc(nrules + 1, sizeof(*rt->rules));
    /* Rules come ordered by name and targets by rule (both in SQLite's BINARY
     * order, which is strcmp's): one merge walk pairs them, O(rules + targets). */
    for (size_t i = 0, tb = 0, te; i < nrules; i++, tb = te) {
        rt_rule_t *r;
        char *msg = NULL;

        while (tb < ntargets && strcmp(targets[tb].rule, rules[i].name) < 0)
            tb++;
        for (te = tb; te < ntargets && strcmp(targets[te].rule, rules[i].name) == 0; te++)
            ;
        if (!rules[i].event_pattern || strcmp(rules[i].state, "DISABLED") == 0)
            continue;
        r = &rt->rules[rt->nrules];
        if (ev_matcher_builder_add(b, rt->nrules, rules[i].event_pattern,
                                   strlen(rules[i].event_pattern), &msg) != EV_OK) {
            ev_warn("rule %s: stored pattern does not compile: %s", rules[i].arn,
                    msg ? msg : "");
            free(msg);
            continue;
        }
        r->name = ev_xstrdup(rules[i].name);
        r->arn = ev_xstrdup(rules[i].arn);
        r->targets = ev_xcalloc(te - tb + 1, sizeof(*r->targets));
        for (size_t j = tb; j < te; j++) {
            json_t *t;
            rt_target_t *x;

            t = json_loads(targets[j].body, 0, NULL);
            x = &r->targets[r->ntargets++];
            x->id = ev_xstrdup(targets[j].id);
            x->arn = ev_xstrdup(targets[j].arn);
            if (ev_xform_compile(targets[j].id, ev__str(t, "Input"), ev__str(t, "InputPath"),
                                 ev__obj(t, "InputTransformer"), &x->xform, &msg) != EV_OK) {
                ev_warn("rule %s target %s: stored input does not compile: %s", rules[i].arn,
                        targets[j].id, msg ? msg : "");
                free(msg);
                msg = NULL;
                x->xform = NULL;
            }
            json_decref(t);
        }
        rt->nrules++;
    }
done:
    rt->matcher = ev_matcher_builder_finish(b);
    ev_store_rule_list_free(rules, nrules);
    ev_store_target_list_free(targets, ntargets);
    return rt;
}

/* The current runtime of a bus (a reference: release it). */
static bus_rt_t *acquire(ev_call_t *c, const char *bus)
{
    char *key = ev_xasprintf("%s\n%s\n%s", c->scope.account, c->scope.region, bus);
    uint64_t gen = atomic_load(&config_gen);
    bus_rt_t *rt, **pp, *fresh = NULL;

    for (int pass = 0; pass < 2; pass++) {
        pthread_mutex_lock(&cache_lock);
        for (pp = &cache; (rt = *pp); pp = &rt->next)
            if (strcmp(rt->key, key) == 0)
                break;
        if (rt && rt->gen == gen) {
            rt->refs++;
            pthread_mutex_unlock(&cache_lock);
            if (pass)
                pthread_mutex_unlock(&build_lock);
            free(key);
            return rt;
        }
        pthread_mutex_unlock(&cache_lock);
        /* One builder at a time (outside the cache lock, so that other buses'
         * requests go on): the others wait for its result instead of all
         * building the same runtime. */
        if (!pass)
            pthread_mutex_lock(&build_lock);
    }
    fresh = build(c, bus, key, gen);
    pthread_mutex_lock(&cache_lock);
    for (pp = &cache; (rt = *pp); pp = &rt->next)
        if (strcmp(rt->key, key) == 0)
            break;
    if (rt) {
        *pp = rt->next;
        if (--rt->refs == 0)
            free_rt(rt);
    }
    fresh->next = cache;
    cache = fresh;
    fresh->refs++;
    pthread_mutex_unlock(&cache_lock);
    pthread_mutex_unlock(&build_lock);
    free(key);
    return fresh;
}

void ev__events_cleanup(void)
{
    pthread_mutex_lock(&cache_lock);
    while (cache) {
        bus_rt_t *rt = cache;

        cache = rt->next;
        if (--rt->refs == 0)
            free_rt(rt);
    }
    pthread_mutex_unlock(&cache_lock);
}

static void scratch_free(void *p)
{
    ev_match_scratch_free(p);
}

static void scratch_key_init(void)
{
    (void)pthread_key_create(&scratch_key, scratch_free);
}

static ev_match_scratch_t *scratch(void)
{
    ev_match_scratch_t *s;

    pthread_once(&scratch_once, scratch_key_init);
    s = pthread_getspecific(scratch_key);
    if (!s) {
        s = ev_match_scratch_new();
        (void)pthread_setspecific(scratch_key, s);
    }
    return s;
}

/* ---- PutEvents ---- */

static size_t utf8len(const char *s)
{
    return s ? strlen(s) : 0;
}

/* AWS's entry size: Time 14 bytes, Source, DetailType, Detail, Resources. */
static size_t entry_size(const ev__pe_entry_t *e)
{
    size_t n = e->has_time ? 14 : 0;

    n += utf8len(e->source) + utf8len(e->detail_type) + utf8len(e->detail);
    for (size_t i = 0; i < e->nres; i++)
        n += utf8len(e->res[i]);
    return n;
}

static void iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* s as a JSON string, escaped as jansson's json_dumps does (s is valid UTF-8:
 * it comes from the parsed request or from us). */
static void add_json_string(ev_buf_t *b, const char *s)
{
    ev_buf_json_string(b, s ? s : "", s ? strlen(s) : 0, 1);
}

/* The envelope, compact, in AWS's key order. */
static void envelope(ev_buf_t *b, const ev_call_t *c, const char *id, const ev__pe_entry_t *e,
                     const char *time_iso, const char *detail)
{
    size_t size = 160 + strlen(detail) + utf8len(e->detail_type) + utf8len(e->source);

    for (size_t i = 0; i < e->nres; i++)
        size += utf8len(e->res[i]) + 3;
    ev_buf_reserve(b, size); /* one allocation for most envelopes */
    ev_buf_adds(b, "{\"version\":\"0\",\"id\":");
    add_json_string(b, id);
    ev_buf_adds(b, ",\"detail-type\":");
    add_json_string(b, e->detail_type);
    ev_buf_adds(b, ",\"source\":");
    add_json_string(b, e->source);
    ev_buf_adds(b, ",\"account\":");
    add_json_string(b, c->scope.account);
    ev_buf_adds(b, ",\"time\":");
    add_json_string(b, time_iso);
    ev_buf_adds(b, ",\"region\":");
    add_json_string(b, c->scope.region);
    ev_buf_adds(b, ",\"resources\":[");
    for (size_t i = 0; i < e->nres; i++) {
        if (i)
            ev_buf_addc(b, ',');
        add_json_string(b, e->res[i]);
    }
    ev_buf_adds(b, "],\"detail\":");
    ev_buf_adds(b, detail);
    ev_buf_addc(b, '}');
}

/* A failed entry's answer. */
typedef struct {
    const char *code, *msg;
} entry_err_t;

/* Checks one entry: 0 when valid (*detail: the re-serialised Detail,
 * malloc'd), else -1 and *err. */
static int check_entry(const ev__pe_entry_t *e, char **detail, entry_err_t *err)
{
    const char *d = e->detail;
    size_t n = d ? strlen(d) : 0;
    ev_buf_t out;

    *detail = NULL;
    *err = (entry_err_t){NULL, NULL};
    if (!e->source || !*e->source) {
        *err = (entry_err_t){"InvalidArgument", "Parameter Source is not valid. Reason: "
                                                "Source is a required argument."};
    } else if (!e->detail_type || !*e->detail_type) {
        *err = (entry_err_t){"InvalidArgument", "Parameter DetailType is not valid. Reason: "
                                                "DetailType is a required argument."};
    } else if (n == 0) {
        *err = (entry_err_t){"InvalidArgument", "Parameter Detail is not valid. Reason: "
                                                "Detail is a required argument."};
    } else {
        /* Most details are decided without a tree: the same compact form as
         * jansson's parse and dump; jansson decides the rest. */
        ev_buf_init(&out, 8 * n + 64); /* reals may grow: 0.1 is 0.10000000000000001 */
        if (ev_jcanon_object(&out, d, n) == 0) {
            *detail = ev_buf_steal(&out, NULL);
        } else {
            json_t *parsed = json_loads(d, JSON_REJECT_DUPLICATES, NULL);

            if (json_is_object(parsed)) {
                *detail = json_dumps(parsed, JSON_COMPACT | JSON_PRESERVE_ORDER);
                if (!*detail)
                    abort(); /* out of memory, as ev_xmalloc */
            } else {
                *err = (entry_err_t){"MalformedDetail", "Detail is malformed."};
            }
            json_decref(parsed);
        }
        ev_buf_free(&out);
        if (*detail && strncmp(e->source, "aws.", 4) == 0) {
            free(*detail);
            *detail = NULL;
            *err = (entry_err_t){"NotAuthorizedForSourceException",
                                 "Not authorized for the source."};
        }
    }
    return err->code ? -1 : 0;
}

typedef struct {
    ev_job_t *jobs;
    size_t n, cap;
    char **owned; /* payloads and ids to free */
    size_t nowned, capowned;
} jobs_t;

static char *own(jobs_t *j, char *p)
{
    if (j->nowned == j->capowned) {
        j->capowned = j->capowned ? 2 * j->capowned : 32;
        j->owned = realloc(j->owned, j->capowned * sizeof(*j->owned));
        if (!j->owned)
            abort();
    }
    j->owned[j->nowned++] = p;
    return p;
}

static ev_job_t *new_job(jobs_t *j)
{
    if (j->n == j->cap) {
        j->cap = j->cap ? 2 * j->cap : 16;
        j->jobs = realloc(j->jobs, j->cap * sizeof(*j->jobs));
        if (!j->jobs)
            abort();
    }
    memset(&j->jobs[j->n], 0, sizeof(j->jobs[0]));
    return &j->jobs[j->n++];
}

/* Matches an envelope against a bus runtime and adds one job per
 * (matching rule, target) whose input renders a payload. */
static void route_event(ev_call_t *c, bus_rt_t *rt, const char *id, const char *env, size_t len,
                        const char *now_iso, jobs_t *jobs)
{
    const uint64_t *tags;
    size_t ntags = 0;

    if (ev_matcher_match(rt->matcher, env, len, scratch(), &tags, &ntags) != EV_MATCH_OK)
        ntags = 0;
    for (size_t k = 0; k < ntags; k++) {
        const rt_rule_t *r = &rt->rules[tags[k]];

        for (size_t x = 0; x < r->ntargets; x++) {
            ev_xform_vars_t vars = {r->arn, r->name, now_iso};
            ev_job_t *job;
            ev_buf_t payload;

            if (!r->targets[x].xform)
                continue;
            ev_buf_init(&payload, MAX_PAYLOAD_BYTES);
            ev_buf_reserve(&payload, len + 64);
            if (ev_xform_apply(r->targets[x].xform, env, len, &vars, &payload) != EV_OK ||
                payload.failed) {
                /* AWS too sends nothing when a template renders no payload. */
                ev_debug("rule %s target %s: no payload for this event", r->arn,
                         r->targets[x].id);
                ev_buf_free(&payload);
                continue;
            }
            job = new_job(jobs);
            job->account = c->scope.account;
            job->region = c->scope.region;
            job->event_id = own(jobs, ev_xstrdup(id));
            job->bus = rt->key + strlen(c->scope.account) + strlen(c->scope.region) + 2;
            job->rule_arn = r->arn;
            job->target_id = r->targets[x].id;
            job->target_arn = r->targets[x].arn;
            job->payload_len = payload.len;
            job->payload = own(jobs, ev_buf_steal(&payload, NULL));
            job->event_ms = c->now_ms;
            job->due_ms = c->now_ms;
        }
    }
}

static void jobs_free(jobs_t *jobs)
{
    for (size_t k = 0; k < jobs->nowned; k++)
        free(jobs->owned[k]);
    free(jobs->owned);
    free(jobs->jobs);
}

ev_err ev_api_bus_put(ev_app_t *app, const char *account, const char *region,
                      const char *bus_arn, const char *event, size_t len)
{
    char *prefix = ev_xasprintf("arn:aws:events:%s:%s:event-bus/", region, account);
    json_t *doc = json_loadb(event, len, 0, NULL);
    const char *id = json_string_value(json_object_get(doc, "id"));
    char now_iso[32];
    jobs_t jobs = {0};
    ev_call_t c;
    bus_rt_t *rt;
    ev_err rc = EV_OK;

    memset(&c, 0, sizeof(c));
    c.app = app;
    c.scope.account = account;
    c.scope.region = region;
    c.now_ms = ev_now_ms();
    /* Only buses of the same account and region: cross-account delivery needs
     * permissions evbridge does not model. */
    if (strncmp(bus_arn, prefix, strlen(prefix)) != 0) {
        rc = EV_ERR_ACCESS_DENIED;
        goto out;
    }
    if (!json_is_object(doc) || !id) {
        rc = EV_ERR_VALIDATION;
        goto out;
    }
    rt = acquire(&c, bus_arn + strlen(prefix));
    if (!rt->exists) {
        release(rt);
        rc = EV_ERR_NOT_FOUND;
        goto out;
    }
    iso_time(c.now_ms, now_iso);
    route_event(&c, rt, id, event, len, now_iso, &jobs);
    rc = ev_outbox_enqueue(app->outbox, jobs.jobs, jobs.n);
    release(rt);
out:
    jobs_free(&jobs);
    json_decref(doc);
    free(prefix);
    return rc;
}

ev_err ev__put_entries(ev_call_t *c, const ev__pe_entry_t *entries, size_t n)
{
    bus_rt_t *rts[10] = {0};
    char ids[10][37];
    entry_err_t errs[10];
    size_t total = 0, failed = 0;
    jobs_t jobs = {0};
    char now_iso[32];
    ev_buf_t reply;
    ev_err rc = EV_OK;

    if (n > 10)
        n = 10; /* the model allows no more */
    for (size_t i = 0; i < n; i++)
        total += entry_size(&entries[i]);
    if (total > MAX_ENTRIES_BYTES)
        return ev_fail(c, EV_ERR_VALIDATION,
                       "Total size of the entries in the request is over the limit.");
    iso_time(c->now_ms, now_iso);
    for (size_t i = 0; i < n; i++) {
        const ev__pe_entry_t *e = &entries[i];
        char when[32], *detail = NULL, *bus;
        ev_buf_t env;
        int64_t event_ms = c->now_ms;

        ids[i][0] = '\0';
        if (check_entry(e, &detail, &errs[i]) != 0) {
            failed++;
            continue;
        }
        ev_uuid4(ids[i]);
        /* A Time outside years 1 to 9999 is not a time: the call's own is used. */
        if (e->time_is_num && e->time > -62135596800.0 && e->time < 253402300800.0)
            event_ms = (int64_t)(e->time * 1000.0);
        iso_time(event_ms, when);
        ev_buf_init(&env, MAX_PAYLOAD_BYTES);
        envelope(&env, c, ids[i], e, when, detail);
        free(detail);
        bus = ev__bus_name(c, e->bus);
        rts[i] = acquire(c, bus);
        free(bus);
        if (!env.failed)
            route_event(c, rts[i], ids[i], env.p, env.len, now_iso, &jobs);
        ev_buf_free(&env);
    }
    rc = ev_outbox_enqueue(c->app->outbox, jobs.jobs, jobs.n);
    if (rc) {
        rc = ev_fail(c, EV_ERR_INTERNAL, "The events could not be stored.");
    } else {
        /* What jansson's compact dump of the same answer would be. */
        ev_buf_init(&reply, (size_t)1 << 20);
        ev_buf_reserve(&reply, 64 + 64 * n);
        ev_buf_printf(&reply, "{\"FailedEntryCount\":%zu,\"Entries\":[", failed);
        for (size_t i = 0; i < n; i++) {
            ev_buf_adds(&reply, i ? ",{" : "{");
            if (ids[i][0]) {
                ev_buf_adds(&reply, "\"EventId\":");
                add_json_string(&reply, ids[i]);
            } else {
                ev_buf_adds(&reply, "\"ErrorCode\":");
                add_json_string(&reply, errs[i].code);
                ev_buf_adds(&reply, ",\"ErrorMessage\":");
                add_json_string(&reply, errs[i].msg);
            }
            ev_buf_addc(&reply, '}');
        }
        ev_buf_adds(&reply, "]}");
        if (reply.failed) { /* cannot happen: 10 entries are far below the limit */
            ev_buf_free(&reply);
            rc = ev_fail(c, EV_ERR_INTERNAL, "The answer could not be written.");
        } else {
            c->out_raw = ev_buf_steal(&reply, &c->out_raw_len);
        }
    }
    for (size_t k = 0; k < 10; k++)
        if (rts[k])
            release(rts[k]);
    jobs_free(&jobs);
    return rc;
}

/* The generic path: entries read from the parsed, validated request. */
static ev_err put_events(ev_call_t *c)
{
    json_t *list = json_object_get(c->in, "Entries");
    ev__pe_entry_t entries[10];
    const char **res[10] = {0};
    size_t n = json_array_size(list);
    ev_err rc;

    if (n > 10)
        n = 10;
    memset(entries, 0, sizeof(entries));
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(list, i), *t = json_object_get(e, "Time");
        json_t *rl = json_object_get(e, "Resources"), *r;
        ev__pe_entry_t *x = &entries[i];
        size_t k;

        x->source = ev__str(e, "Source");
        x->detail_type = ev__str(e, "DetailType");
        x->detail = ev__str(e, "Detail");
        x->bus = ev__str(e, "EventBusName");
        x->has_time = t != NULL;
        x->time_is_num = json_is_number(t);
        x->time = json_number_value(t);
        res[i] = ev_xcalloc(json_array_size(rl) + 1, sizeof(char *));
        json_array_foreach(rl, k, r)
            res[i][x->nres++] = json_string_value(r);
        x->res = res[i];
    }
    rc = ev__put_entries(c, entries, n);
    for (size_t i = 0; i < n; i++)
        free(res[i]);
    return rc;
}

ev_err ev__fire_scheduled(ev_app_t *app, ev_scope_t sc, const ev_rule_t *r, int64_t when_ms)
{
    const char *res[1] = {r->arn};
    const ev__pe_entry_t entry = {"aws.events", "Scheduled Event", "{}", NULL, res, 1, 0, 0, 0};
    ev_call_t c;
    ev_target_t *targets = NULL;
    size_t n = 0;
    jobs_t jobs = {0};
    char id[37], when[32];
    ev_buf_t env;
    ev_err rc;

    memset(&c, 0, sizeof(c));
    c.app = app;
    c.scope = sc;
    c.now_ms = when_ms;
    ev_uuid4(id);
    iso_time(when_ms, when);
    ev_buf_init(&env, MAX_PAYLOAD_BYTES);
    envelope(&env, &c, id, &entry, when, "{}");
    rc = ev_store_begin(app->store, 0);
    if (rc == EV_OK) {
        rc = ev_store_target_list(app->store, sc, r->bus, r->name, &targets, &n);
        (void)ev_store_end(app->store, EV_OK);
    }
    for (size_t i = 0; rc == EV_OK && i < n; i++) {
        json_t *t = json_loads(targets[i].body, 0, NULL);
        ev_xform_vars_t vars = {r->arn, r->name, when};
        ev_xform_t *x = NULL;
        char *msg = NULL;
        ev_buf_t payload;
        ev_job_t *job;

        ev_buf_init(&payload, MAX_PAYLOAD_BYTES);
        if (ev_xform_compile(targets[i].id, ev__str(t, "Input"), ev__str(t, "InputPath"),
                             ev__obj(t, "InputTransformer"), &x, &msg) != EV_OK ||
            ev_xform_apply(x, env.p, env.len, &vars, &payload) != EV_OK || payload.failed) {
            ev_warn("scheduled rule %s target %s: input transformation failed", r->arn,
                    targets[i].id);
            free(msg);
            ev_xform_free(x);
            ev_buf_free(&payload);
            json_decref(t);
            continue;
        }
        ev_xform_free(x);
        json_decref(t);
        job = new_job(&jobs);
        job->account = sc.account;
        job->region = sc.region;
        job->event_id = id;
        job->bus = r->bus;
        job->rule_arn = r->arn;
        job->target_id = targets[i].id;
        job->target_arn = targets[i].arn;
        job->payload_len = payload.len;
        job->payload = own(&jobs, ev_buf_steal(&payload, NULL));
        job->event_ms = when_ms;
        job->due_ms = when_ms;
    }
    if (rc == EV_OK)
        rc = ev_outbox_enqueue(app->outbox, jobs.jobs, jobs.n);
    jobs_free(&jobs);
    ev_store_target_list_free(targets, n);
    ev_buf_free(&env);
    return rc;
}

const ev_op_t ev__events_ops[] = {
    {"AWSEvents.PutEvents", put_events, EV_OP_NO_TRANSACTION},
    {NULL, NULL, 0},
};
