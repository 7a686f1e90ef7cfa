/*
 * tests/unit/deliver/test_sender.c - the sender thread against a real HTTP
 * server on 127.0.0.1 (a thread per keep-alive connection), a port that
 * accepts and never answers, and a closed port: every transfer comes back
 * exactly once with its result, a stuck transfer does not hold up the
 * others, and stopping with transfers in flight leaks nothing (ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deliver/sender.h"

#define MAX_CONNS 256

typedef struct {
    int lfd, port, answer;
    pthread_t accepter;
    pthread_t conns[MAX_CONNS];
    int fds[MAX_CONNS];
    int nconns;
    atomic_int requests;
    pthread_mutex_t lock;
} server_t;

typedef struct {
    server_t *srv;
    int fd;
} conn_arg_t;

static void *serve_conn(void *arg)
{
    conn_arg_t *c = arg;
    char buf[8192];
    size_t have = 0;

    for (;;) {
        ssize_t n = recv(c->fd, buf + have, sizeof(buf) - have - 1, 0);
        char *end;

        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        while ((end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strstr(buf, "Content-Length: ");
            size_t body = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
            size_t whole = (size_t)(end + 4 - buf) + body;
            static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

            if (have < whole)
                break;
            atomic_fetch_add(&c->srv->requests, 1);
            if (c->srv->answer && send(c->fd, ok, sizeof(ok) - 1, MSG_NOSIGNAL) < 0)
                goto out;
            memmove(buf, buf + whole, have - whole);
            have -= whole;
            buf[have] = '\0';
        }
    }
out:
    free(c);
    return NULL;
}

static void *accept_loop(void *arg)
{
    server_t *s = arg;

    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        conn_arg_t *c;

        if (fd < 0)
            return NULL;
        pthread_mutex_lock(&s->lock);
        if (s->nconns == MAX_CONNS) {
            pthread_mutex_unlock(&s->lock);
            close(fd);
            continue;
        }
        c = malloc(sizeof(*c));
        c->srv = s;
        c->fd = fd;
        s->fds[s->nconns] = fd;
        pthread_create(&s->conns[s->nconns++], NULL, serve_conn, c);
        pthread_mutex_unlock(&s->lock);
    }
}

static void server_start(server_t *s, int answer)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    memset(s, 0, sizeof(*s));
    s->answer = answer;
    pthread_mutex_init(&s->lock, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->lfd, 512), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->accepter, NULL, accept_loop, s);
}

static void server_stop(server_t *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->accepter, NULL);
    close(s->lfd);
    for (int i = 0; i < s->nconns; i++) {
        shutdown(s->fds[i], SHUT_RDWR);
        pthread_join(s->conns[i], NULL);
        close(s->fds[i]);
    }
    pthread_mutex_destroy(&s->lock);
}

/* ---- the engine's side ---- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int woken;
} waker_t;

static void wake(void *arg)
{
    waker_t *w = arg;

    pthread_mutex_lock(&w->lock);
    w->woken = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static char *const hdrs[] = {"Content-Type: application/json"};

static ev_h1_xfer_t *transfer(int port, int id)
{
    ev_h1_xfer_t *x = calloc(1, sizeof(*x));
    char url[64];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/t/%d", port, id);
    x->url = strdup(url);
    x->method = "POST";
    x->headers = hdrs;
    x->nheaders = 1;
    x->body = "{\"a\":1}";
    x->body_len = 7;
    x->ud = (void *)(intptr_t)id;
    return x;
}

static void transfer_free(ev_h1_xfer_t *x)
{
    free((char *)x->url);
    free(x);
}

/* Collects finished transfers until `want` came back or 10 s passed. */
static size_t collect(ev_sender_t *s, waker_t *w, ev_h1_xfer_t **out, size_t want)
{
    size_t got = 0;
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (got < want) {
        size_t n = ev_sender_done(s, out + got, want - got);

        got += n;
        if (n)
            continue;
        pthread_mutex_lock(&w->lock);
        while (!w->woken)
            if (pthread_cond_timedwait(&w->cond, &w->lock, &until) != 0)
                break;
        if (!w->woken) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        w->woken = 0;
        pthread_mutex_unlock(&w->lock);
    }
    return got;
}

static waker_t waker = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void test_many_transfers_each_come_back_once(void **state)
{
    enum { N = 300 };
    server_t srv;
    ev_sender_t *s;
    ev_h1_xfer_t *sent[N + 1];
    int seen[N] = {0};
    char msg[128];

    (void)state;
    server_start(&srv, 1);
    s = ev_sender_start(5000, NULL, wake, &waker, msg, sizeof(msg));
    assert_non_null(s);
    /* In waves of 50, as the engine caps the transfers to one origin. */
    for (int w = 0; w < N; w += 50) {
        for (int i = w; i < w + 50; i++)
            ev_sender_add(s, transfer(srv.port, i));
        assert_int_equal(collect(s, &waker, sent + w, 50), 50);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(sent[i]->err, EV_H1_OK);
        assert_int_equal(sent[i]->status, 200);
        seen[(intptr_t)sent[i]->ud]++;
        transfer_free(sent[i]);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(atomic_load(&srv.requests), N);
    assert_int_equal(ev_sender_done(s, sent, N), 0); /* nothing twice */
    /* Keep-alive: one connection per transfer of a wave, reused by the next. */
    assert_true(srv.nconns <= 50);
    ev_sender_stop(s);
    ev_sender_free(s);
    server_stop(&srv);
}

static void test_stuck_transfer_does_not_hold_up_others(void **state)
{
    server_t good, dead;
    ev_sender_t *s;
    ev_h1_xfer_t *sent[4];
    char msg[128];

    (void)state;
    server_start(&good, 1);
    server_start(&dead, 0);
    s = ev_sender_start(400, NULL, wake, &waker, msg, sizeof(msg));
    ev_sender_add(s, transfer(dead.port, 7));
    ev_sender_add(s, transfer(good.port, 1));
    assert_int_equal(collect(s, &waker, sent, 1), 1);
    assert_int_equal((intptr_t)sent[0]->ud, 1);
    assert_int_equal(sent[0]->err, EV_H1_OK);
    transfer_free(sent[0]);
    assert_int_equal(collect(s, &waker, sent, 1), 1);
    assert_int_equal((intptr_t)sent[0]->ud, 7);
    assert_int_equal(sent[0]->err, EV_H1_TIMEOUT);
    assert_string_equal(ev_h1_strerror(sent[0]->err), "Timeout was reached");
    transfer_free(sent[0]);
    ev_sender_stop(s);
    ev_sender_free(s);
    server_stop(&good);
    server_stop(&dead);
}

static void test_refused_connection(void **state)
{
    server_t srv;
    int port;
    ev_sender_t *s;
    ev_h1_xfer_t *sent[1];
    char msg[128];

    (void)state;
    server_start(&srv, 1);
    port = srv.port;
    server_stop(&srv); /* nothing listens there any more */
    s = ev_sender_start(5000, NULL, wake, &waker, msg, sizeof(msg));
    ev_sender_add(s, transfer(port, 3));
    assert_int_equal(collect(s, &waker, sent, 1), 1);
    assert_int_equal(sent[0]->err, EV_H1_CONNECT);
    assert_string_equal(sent[0]->detail, "Connection refused");
    transfer_free(sent[0]);
    ev_sender_stop(s);
    ev_sender_free(s);
}

/* Header lines that would frame the message or are no header, and methods
 * that are no token, are never written: such a transfer fails by itself and
 * the connection stays usable for the next one. */
static void test_unsendable_headers_and_methods(void **state)
{
    static char *const bad_headers[][1] = {
        {"Transfer-Encoding: chunked"}, {"content-length: 5"}, {"Host: other.test"},
        {"Connection: close"}, {"TE: trailers"}, {"Upgrade: h2c"}, {"Expect: 100-continue"},
        {"X Key: v"}, {"X-Key v"}, {": v"}, {"X-Key: a\r\nX-Other: b"}, {"X-Key: a\nb"},
    };
    static const char *const bad_methods[] = {"PO ST", "GET /x HTTP/1.1\r\nX:", ""};
    enum { NH = sizeof(bad_headers) / sizeof(bad_headers[0]), NM = 3 };
    server_t srv;
    ev_sender_t *s;
    ev_h1_xfer_t *sent[NH + NM + 1];
    char msg[128];
    size_t got;

    (void)state;
    server_start(&srv, 1);
    s = ev_sender_start(5000, NULL, wake, &waker, msg, sizeof(msg));
    for (size_t i = 0; i < NH + NM; i++) {
        ev_h1_xfer_t *x = transfer(srv.port, (int)i);

        if (i < NH)
            x->headers = bad_headers[i];
        else
            x->method = bad_methods[i - NH];
        ev_sender_add(s, x);
    }
    got = collect(s, &waker, sent, NH + NM);
    assert_int_equal(got, NH + NM);
    for (size_t i = 0; i < got; i++) {
        assert_int_equal(sent[i]->err, EV_H1_URL);
        assert_string_equal(sent[i]->detail, "a request header or the method is not valid");
        transfer_free(sent[i]);
    }
    ev_sender_add(s, transfer(srv.port, 99));
    assert_int_equal(collect(s, &waker, sent, 1), 1);
    assert_int_equal(sent[0]->err, EV_H1_OK);
    assert_int_equal(sent[0]->status, 200);
    transfer_free(sent[0]);
    assert_int_equal(atomic_load(&srv.requests), 1); /* only the good one arrived */
    ev_sender_stop(s);
    ev_sender_free(s);
    server_stop(&srv);
}

/* Transfers to a host name share one lookup per origin, and its answer
 * serves the connections after it ("localhost": /etc/hosts, no DNS traffic). */
static void test_one_lookup_per_name(void **state)
{
    enum { N = 40 };
    server_t srv;
    ev_sender_t *s;
    ev_h1_xfer_t *sent[2 * N];
    char msg[128], url[64];
    long before = ev_h1_lookups_started();

    (void)state;
    server_start(&srv, 1);
    s = ev_sender_start(5000, NULL, wake, &waker, msg, sizeof(msg));
    /* N connections wait for the first lookup; then 2N transfers: N reuse
     * them, N more connect with the cached answer */
    for (int round = 1; round <= 2; round++) {
        for (int i = 0; i < round * N; i++) {
            ev_h1_xfer_t *x = transfer(srv.port, i);

            snprintf(url, sizeof(url), "http://localhost:%d/n/%d", srv.port, i);
            free((char *)x->url);
            x->url = strdup(url);
            ev_sender_add(s, x);
        }
        assert_int_equal(collect(s, &waker, sent, (size_t)(round * N)), round * N);
        for (int i = 0; i < round * N; i++) {
            assert_int_equal(sent[i]->err, EV_H1_OK);
            assert_int_equal(sent[i]->status, 200);
            transfer_free(sent[i]);
        }
        assert_int_equal(ev_h1_lookups_started() - before, 1);
    }
    assert_int_equal(atomic_load(&srv.requests), 3 * N);
    assert_true(srv.nconns > N); /* the second round opened connections */
    ev_sender_stop(s);
    ev_sender_free(s);
    server_stop(&srv);
}

static void test_stop_with_transfers_in_flight(void **state)
{
    server_t dead;
    ev_sender_t *s;
    ev_h1_xfer_t *x[20];
    char msg[128];

    (void)state;
    server_start(&dead, 0);
    s = ev_sender_start(60000, NULL, wake, &waker, msg, sizeof(msg));
    for (int i = 0; i < 20; i++) {
        x[i] = transfer(dead.port, i);
        ev_sender_add(s, x[i]);
    }
    while (atomic_load(&dead.requests) < 20)
        usleep(1000);
    ev_sender_stop(s);
    ev_sender_free(s); /* closes the connections without touching the transfers */
    for (int i = 0; i < 20; i++)
        transfer_free(x[i]);
    server_stop(&dead);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_transfers_each_come_back_once),
        cmocka_unit_test(test_stuck_transfer_does_not_hold_up_others),
        cmocka_unit_test(test_refused_connection),
        cmocka_unit_test(test_unsendable_headers_and_methods),
        cmocka_unit_test(test_one_lookup_per_name),
        cmocka_unit_test(test_stop_with_transfers_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
