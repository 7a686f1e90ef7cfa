/*
 * api/scheduler.c - fires scheduled rules. A thread wakes every half second,
 * reads the enabled rules that have a ScheduleExpression, and sends each
 * rule's "Scheduled Event" to its targets at every rate() period since the
 * rule was created, or every matching cron() minute (UTC). Firings missed
 * while the server was down are not replayed, as in AWS.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/log.h"
#include "util/util.h"

typedef struct entry {
    char *key;       /* account|region|arn|schedule|created */
    int64_t next_ms; /* next firing */
    int seen;
    struct entry *next;
} entry_t;

struct ev_scheduler {
    ev_app_t *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    entry_t *entries;
};

static void tick(ev_scheduler_t *s, int64_t now)
{
    ev_scoped_rule_t *rules = NULL;
    size_t n = 0;
    entry_t **pp, *e;

    if (ev_store_begin(s->app->store, 0) != EV_OK)
        return;
    if (ev_store_rules_scheduled(s->app->store, &rules, &n) != EV_OK)
        n = 0;
    (void)ev_store_end(s->app->store, EV_OK);
    for (e = s->entries; e; e = e->next)
        e->seen = 0;
    for (size_t i = 0; i < n; i++) {
        const ev_rule_t *r = &rules[i].rule;
        char *key = ev_xasprintf("%s|%s|%s|%s|%lld", rules[i].account, rules[i].region, r->arn,
                                 r->schedule, (long long)r->created_ms);

        for (e = s->entries; e; e = e->next)
            if (strcmp(e->key, key) == 0)
                break;
        if (!e) {
            e = ev_xcalloc(1, sizeof(*e));
            e->key = key;
            key = NULL;
            e->next_ms = ev__schedule_next(r->schedule, r->created_ms, now);
            e->next = s->entries;
            s->entries = e;
        }
        free(key);
        e->seen = 1;
        if (now >= e->next_ms) {
            ev_scope_t sc = {rules[i].account, rules[i].region};

            if (ev__fire_scheduled(s->app, sc, r, e->next_ms) != EV_OK)
                ev_warn("scheduled rule %s: the event could not be stored", r->arn);
            e->next_ms = ev__schedule_next(r->schedule, r->created_ms, now);
        }
    }
    for (pp = &s->entries; (e = *pp);) {
        if (!e->seen) {
            *pp = e->next;
            free(e->key);
            free(e);
        } else {
            pp = &e->next;
        }
    }
    ev_store_scoped_rules_free(rules, n);
}

static void *scheduler_main(void *arg)
{
    ev_scheduler_t *s = arg;

    pthread_setname_np(pthread_self(), "ev-scheduler");
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec ts;

        pthread_mutex_unlock(&s->lock);
        tick(s, ev_now_ms());
        pthread_mutex_lock(&s->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 500000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (!s->stop)
            pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

ev_err ev_scheduler_start(ev_app_t *app, ev_scheduler_t **out)
{
    ev_scheduler_t *s = ev_xcalloc(1, sizeof(*s));

    s->app = app;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
        free(s);
        *out = NULL;
        return EV_ERR_INTERNAL;
    }
    *out = s;
    return EV_OK;
}

void ev_scheduler_stop(ev_scheduler_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    while (s->entries) {
        entry_t *e = s->entries;

        s->entries = e->next;
        free(e->key);
        free(e);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
