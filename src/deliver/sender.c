/*
 * deliver/sender.c - a thread driving one HTTP client (h1.c) for the
 * delivery engine (see sender.h). Two lists cross threads, both under the
 * sender's lock: transfers to start (engine -> sender) and finished ones
 * (sender -> engine). Each side swaps or copies a whole list, so neither
 * holds the lock while requests are sent.
 */
#include "deliver/sender.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <unistd.h>

#include "util/util.h"

#define WAIT_MAX_MS 1000
#define EVENTS 64
#define SENDER_NICE 15

typedef struct {
    void *items;
    size_t n, cap;
} vec_t;

struct ev_sender {
    pthread_t thread;
    ev_h1_t *h1;
    int epfd;          /* the client's sockets and evfd */
    int evfd;          /* eventfd: transfers were added, or stop */
    pthread_mutex_t lock;
    vec_t add;  /* ev_h1_xfer_t *: handed over, not yet started */
    vec_t done; /* ev_h1_xfer_t *: finished, not yet taken */
    vec_t ended; /* the sender's own: finished in this round */
    atomic_int stop;
    void (*wake)(void *);
    void *wake_arg;
};

static void push(vec_t *v, const void *item, size_t size)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *p = realloc(v->items, cap * size);

        if (!p)
            abort();
        v->items = p;
        v->cap = cap;
    }
    memcpy((char *)v->items + v->n * size, item, size);
    v->n++;
}

/* The client ended a transfer (on the sender's thread). */
static void on_done(ev_h1_xfer_t *x, void *arg)
{
    ev_sender_t *s = arg;

    push(&s->ended, &x, sizeof(x));
}

/* Finished transfers are handed to the engine in one go. */
static void collect(ev_sender_t *s)
{
    if (!s->ended.n)
        return;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->ended.n; i++)
        push(&s->done, &((ev_h1_xfer_t **)s->ended.items)[i], sizeof(ev_h1_xfer_t *));
    pthread_mutex_unlock(&s->lock);
    s->ended.n = 0;
    s->wake(s->wake_arg);
}

static void *sender_main(void *arg)
{
    ev_sender_t *s = arg;
    vec_t add = {0};
    struct epoll_event evs[EVENTS];

    pthread_setname_np(pthread_self(), "ev-sender");
    /* When PutEvents and deliveries compete for the CPU, PutEvents (the
     * caller waiting for its answer) goes first; deliveries are durable and
     * catch up. Measured on 2 cores with curl: ingest 18.7-21.5k events/s
     * with senders at nice 5, 11.6-13.1k at nice 0. With h1 a delivery costs
     * the senders so little that nice 5 no longer held them back (ingest
     * 13.8-19.2k, deliveries meanwhile 12-19k/s). Nice 10 was bimodal:
     * ingest 16-33k, sometimes with deliveries keeping pace; nice 19: ingest
     * 31-41k but only 6.7-8k/s delivered while PutEvents take 20k/s; nice
     * 15: ingest 35.7-37.2k and 10.5-12k/s delivered at 20k PutEvents/s.
     * The drain (no PutEvents) is the same at any nice, 29-32k/s. */
    ev_thread_nice("EVBRIDGE_SENDER_NICE", SENDER_NICE);
    while (!atomic_load(&s->stop)) {
        vec_t tmp;
        int n, wait = WAIT_MAX_MS;
        int64_t next;

        pthread_mutex_lock(&s->lock);
        tmp = s->add;
        s->add = add;
        add = tmp;
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < add.n; i++)
            ev_h1_start(s->h1, ((ev_h1_xfer_t **)add.items)[i]);
        add.n = 0;
        collect(s); /* transfers that ended at once */

        next = ev_h1_tick(s->h1);
        collect(s); /* transfers that just timed out */
        if (next >= 0 && next < wait)
            wait = (int)next;
        n = epoll_wait(s->epfd, evs, EVENTS, wait);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == s) {
                uint64_t v;

                if (read(s->evfd, &v, sizeof(v)) < 0) {
                    /* EAGAIN: already drained */
                }
                continue;
            }
            ev_h1_event(s->h1, evs[i].data.ptr, evs[i].events);
        }
        (void)ev_h1_tick(s->h1);
        collect(s);
    }
    free(add.items);
    return NULL;
}

static void wakeup(ev_sender_t *s)
{
    uint64_t one = 1;

    if (write(s->evfd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, the sender is woken */
    }
}

ev_sender_t *ev_sender_start(int64_t timeout_ms, const char *ca_file, void (*wake)(void *),
                             void *arg, char *msg, size_t msglen)
{
    ev_sender_t *s = ev_xcalloc(1, sizeof(*s));
    struct epoll_event ev;
    ev_h1_cfg_t hc;

    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = s;
    if (s->epfd < 0 || s->evfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) != 0) {
        snprintf(msg, msglen, "cannot start the delivery senders");
        goto fail;
    }
    memset(&hc, 0, sizeof(hc));
    hc.epfd = s->epfd;
    hc.timeout_ms = timeout_ms;
    hc.ca_file = ca_file;
    hc.done = on_done;
    hc.done_arg = s;
    s->h1 = ev_h1_new(&hc, msg, msglen);
    if (!s->h1)
        goto fail;
    s->wake = wake;
    s->wake_arg = arg;
    pthread_mutex_init(&s->lock, NULL);
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        snprintf(msg, msglen, "cannot start the delivery senders");
        goto fail;
    }
    return s;
fail:
    ev_h1_free(s->h1);
    if (s->evfd >= 0)
        close(s->evfd);
    if (s->epfd >= 0)
        close(s->epfd);
    free(s);
    return NULL;
}

void ev_sender_add(ev_sender_t *s, ev_h1_xfer_t *x)
{
    int first;

    pthread_mutex_lock(&s->lock);
    first = s->add.n == 0;
    push(&s->add, &x, sizeof(x));
    pthread_mutex_unlock(&s->lock);
    if (first) /* later ones find the sender already woken */
        wakeup(s);
}

size_t ev_sender_done(ev_sender_t *s, ev_h1_xfer_t **out, size_t max)
{
    size_t n;

    pthread_mutex_lock(&s->lock);
    n = s->done.n < max ? s->done.n : max;
    if (n)
        memcpy(out, s->done.items, n * sizeof(*out));
    if (n < s->done.n)
        memmove(s->done.items, (ev_h1_xfer_t **)s->done.items + n,
                (s->done.n - n) * sizeof(*out));
    s->done.n -= n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void ev_sender_stop(ev_sender_t *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    wakeup(s);
    pthread_join(s->thread, NULL);
}

void ev_sender_free(ev_sender_t *s)
{
    if (!s)
        return;
    ev_h1_free(s->h1); /* transfers still running are abandoned untouched */
    close(s->evfd);
    close(s->epfd);
    pthread_mutex_destroy(&s->lock);
    free(s->add.items);
    free(s->done.items);
    free(s->ended.items);
    free(s);
}
