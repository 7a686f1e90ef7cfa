/*
 * deliver/sender.c - a thread driving one curl multi handle for the
 * delivery engine (see sender.h). Two lists cross threads, both under the
 * sender's lock: handles to add (engine -> sender) and finished transfers
 * (sender -> engine). Each side swaps a whole list out, so neither holds
 * the lock while curl works.
 */
#include "deliver/sender.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#define WAIT_MAX_MS 1000
#define EVENTS 64
#define SENDER_NICE 5

typedef struct {
    void *items;
    size_t n, cap;
} vec_t;

struct ev_sender {
    pthread_t thread;
    CURLM *multi;
    int epfd;          /* curl's sockets and evfd */
    int evfd;          /* eventfd: handles were added, or stop */
    int64_t timer_due; /* when curl wants socket_action(TIMEOUT); -1: never */
    pthread_mutex_t lock;
    vec_t add;  /* CURL *: handed over, not yet attached */
    vec_t done; /* ev_sent_t: finished, not yet taken */
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

/* curl tells which sockets to watch: they go into the sender's epoll set. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    ev_sender_t *s = arg;
    struct epoll_event ev;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (sockp)
            epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    /* The mark can be stale (a socket closed and its number reused, which
     * drops it from the epoll set): fall back to the other operation rather
     * than leave a transfer unwatched until its timeout. */
    if (sockp) {
        if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
            (void)epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
    } else if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ||
               (errno == EEXIST && epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)) {
        curl_multi_assign(s->multi, fd, s); /* any non-NULL mark: "registered" */
    }
    return 0;
}

/* Milliseconds on the monotonic clock, as curl's own timers (a wall clock
 * stepped back must not hold up a timeout). */
static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* curl asks to be called back after timeout_ms (-1: no timer). */
static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
    ev_sender_t *s = arg;

    (void)multi;
    s->timer_due = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    return 0;
}

/* Finished transfers: detached, then handed to the engine in one go. */
static void collect(ev_sender_t *s, vec_t *done)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(s->multi, &left))) {
        ev_sent_t sent;

        if (m->msg != CURLMSG_DONE)
            continue;
        sent.easy = m->easy_handle;
        sent.result = m->data.result;
        curl_multi_remove_handle(s->multi, sent.easy); /* m is invalid from here */
        push(done, &sent, sizeof(sent));
    }
    if (!done->n)
        return;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < done->n; i++)
        push(&s->done, &((ev_sent_t *)done->items)[i], sizeof(ev_sent_t));
    pthread_mutex_unlock(&s->lock);
    done->n = 0;
    s->wake(s->wake_arg);
}

static void *sender_main(void *arg)
{
    ev_sender_t *s = arg;
    vec_t add = {0}, done = {0};
    struct epoll_event evs[EVENTS];

    pthread_setname_np(pthread_self(), "ev-sender");
    /* When PutEvents and deliveries compete for the CPU, PutEvents (the
     * caller waiting for its answer) goes first; deliveries are durable and
     * catch up. Measured on 2 cores: ingest 18.7-21.5k events/s with senders
     * at nice 5, 11.6-13.1k at nice 0, the same drain rate either way. */
    ev_thread_nice("EVBRIDGE_SENDER_NICE", SENDER_NICE);
    while (!atomic_load(&s->stop)) {
        vec_t tmp;
        int running = 0, n, wait = WAIT_MAX_MS;

        pthread_mutex_lock(&s->lock);
        tmp = s->add;
        s->add = add;
        add = tmp;
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < add.n; i++) {
            ev_sent_t sent = {((CURL **)add.items)[i], CURLE_FAILED_INIT};

            /* Attaching sets a 0 ms timer; a handle that cannot be attached
             * comes back failed at once (the engine retries its job). */
            if (curl_multi_add_handle(s->multi, sent.easy) != CURLM_OK)
                push(&done, &sent, sizeof(sent));
        }
        add.n = 0;

        if (s->timer_due >= 0) {
            int64_t left = s->timer_due - mono_ms();

            wait = left <= 0 ? 0 : left < WAIT_MAX_MS ? (int)left : WAIT_MAX_MS;
        }
        if (done.n)
            wait = 0; /* handles curl would not attach go back at once */
        n = epoll_wait(s->epfd, evs, EVENTS, wait);
        for (int i = 0; i < n; i++) {
            int mask = 0;

            if (evs[i].data.fd == s->evfd) {
                uint64_t v;

                if (read(s->evfd, &v, sizeof(v)) < 0) {
                    /* EAGAIN: already drained */
                }
                continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP))
                mask |= CURL_CSELECT_IN;
            if (evs[i].events & EPOLLOUT)
                mask |= CURL_CSELECT_OUT;
            if (evs[i].events & EPOLLERR)
                mask |= CURL_CSELECT_ERR;
            curl_multi_socket_action(s->multi, evs[i].data.fd, mask, &running);
        }
        if (s->timer_due >= 0 && mono_ms() >= s->timer_due) {
            s->timer_due = -1; /* curl sets the next one, if any */
            curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        collect(s, &done);
    }
    free(add.items);
    free(done.items);
    return NULL;
}

static void wakeup(ev_sender_t *s)
{
    uint64_t one = 1;

    if (write(s->evfd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, the sender is woken */
    }
}

ev_sender_t *ev_sender_start(long max_host, void (*wake)(void *), void *arg)
{
    ev_sender_t *s = ev_xcalloc(1, sizeof(*s));
    struct epoll_event ev;

    s->timer_due = -1;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->multi = curl_multi_init();
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.fd = s->evfd;
    if (s->epfd < 0 || s->evfd < 0 || !s->multi ||
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) != 0)
        goto fail;
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_host);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, 1024L);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    s->wake = wake;
    s->wake_arg = arg;
    pthread_mutex_init(&s->lock, NULL);
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        goto fail;
    }
    return s;
fail:
    if (s->multi)
        curl_multi_cleanup(s->multi);
    if (s->evfd >= 0)
        close(s->evfd);
    if (s->epfd >= 0)
        close(s->epfd);
    free(s);
    return NULL;
}

void ev_sender_add(ev_sender_t *s, CURL *easy)
{
    int first;

    pthread_mutex_lock(&s->lock);
    first = s->add.n == 0;
    push(&s->add, &easy, sizeof(easy));
    pthread_mutex_unlock(&s->lock);
    if (first) /* later ones find the sender already woken */
        wakeup(s);
}

size_t ev_sender_done(ev_sender_t *s, ev_sent_t *out, size_t max)
{
    size_t n;

    pthread_mutex_lock(&s->lock);
    n = s->done.n < max ? s->done.n : max;
    if (n)
        memcpy(out, s->done.items, n * sizeof(*out));
    if (n < s->done.n)
        memmove(s->done.items, (ev_sent_t *)s->done.items + n,
                (s->done.n - n) * sizeof(ev_sent_t));
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

void ev_sender_forget(ev_sender_t *s, CURL *easy)
{
    /* A handle still in the add list was never attached: curl answers OK. */
    curl_multi_remove_handle(s->multi, easy);
}

void ev_sender_free(ev_sender_t *s)
{
    if (!s)
        return;
    curl_multi_cleanup(s->multi); /* may still tell on_socket to forget sockets */
    close(s->evfd);
    close(s->epfd);
    pthread_mutex_destroy(&s->lock);
    free(s->add.items);
    free(s->done.items);
    free(s);
}
