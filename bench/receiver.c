/*
 * bench/receiver.c - the API-destination endpoint of the benchmarks: a
 * single-threaded epoll HTTP/1.1 server on 127.0.0.1 with keep-alive and
 * pipelining that answers every request 200 {} at once, counts it, and
 * stamps the arrival time of the event whose detail carries "seq": N into
 * the shared page (bench.h) so the load generator can measure the time
 * from the PutEvents acknowledgement to the arrival. Each event detail also
 * carries "ts": the sender's CLOCK_MONOTONIC ns; the receiver prints the
 * send-to-arrival percentiles when it stops.
 *
 * A second port accepts connections and reads requests but never answers:
 * the endpoint that times out, for the isolation benchmark.
 *
 *   receiver --shm FILE [--cap N] --ports-file FILE [--port P] [--dead-port Q]
 *            [--max-seconds S]
 *
 * Writes "P Q\n" (the bound ports) to --ports-file once it listens. Stops on
 * SIGTERM/SIGINT, when its parent dies, or after --max-seconds (default 600).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define MAX_REQUEST (4 * 1024 * 1024)

typedef struct {
    int fd;
    int dead;          /* on the port that never answers */
    int want_out;
    bench_buf_t in, out;
    size_t outoff;
} rconn_t;

static volatile sig_atomic_t stopping;
static bench_shm_t *shm;
static bench_lat_t send_lat; /* "ts" to arrival */
static const char reply[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static int listen_on(int port, int *bound)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4096) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(fd);
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

static const char *hdr(const char *h, size_t hlen, const char *name, size_t *vlen)
{
    size_t n = strlen(name);
    const char *p = h, *end = h + hlen;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));

        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;

            while (v < eol && *v == ' ')
                v++;
            *vlen = (size_t)(eol - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* The unsigned number after "key": in body, or -1. */
static long long num_after(const char *body, size_t len, const char *key)
{
    size_t kl = strlen(key);
    const char *p = memmem(body, len, key, kl);
    long long v = 0;
    int any = 0;

    if (!p)
        return -1;
    p += kl;
    while (p < body + len && (*p == ' ' || *p == ':' || *p == '\\' || *p == '"'))
        p++;
    while (p < body + len && *p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        any = 1;
    }
    return any ? v : -1;
}

static void arrived(const rconn_t *c, const char *head, size_t hlen, const char *body,
                    size_t blen, uint64_t now)
{
    long long seq, ts;
    size_t vl;

    if (c->dead) {
        __atomic_fetch_add(&shm->dead, 1, __ATOMIC_RELAXED);
        return;
    }
    if (!hdr(head, hlen, "x-api-key", &vl))
        __atomic_fetch_add(&shm->no_auth, 1, __ATOMIC_RELAXED);
    seq = num_after(body, blen, "\"seq\"");
    ts = num_after(body, blen, "\"ts\"");
    if (seq > 0 && (uint64_t)seq < shm->cap) {
        if (__atomic_load_n(&shm->arrival_ns[seq], __ATOMIC_RELAXED))
            __atomic_fetch_add(&shm->dups, 1, __ATOMIC_RELAXED);
        else
            __atomic_store_n(&shm->arrival_ns[seq], now, __ATOMIC_RELAXED);
    }
    if (ts > 0 && (uint64_t)ts <= now)
        bench_lat_add(&send_lat, now - (uint64_t)ts);
    __atomic_store_n(&shm->last_ns, now, __ATOMIC_RELAXED);
    __atomic_fetch_add(&shm->bytes, hlen + blen, __ATOMIC_RELAXED);
    /* Count last: a reader that sees the count sees the arrival time too. */
    __atomic_fetch_add(&shm->healthy, 1, __ATOMIC_RELEASE);
}

static void close_conn(int ep, rconn_t *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    bench_buf_free(&c->in);
    bench_buf_free(&c->out);
    free(c);
}

static void watch(int ep, rconn_t *c, int out)
{
    struct epoll_event ev;

    if (c->want_out == out)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = out;
}

/* Writes pending output; -1 when the connection is gone. */
static int flush_out(int ep, rconn_t *c)
{
    while (c->outoff < c->out.len) {
        ssize_t w = write(c->fd, c->out.p + c->outoff, c->out.len - c->outoff);

        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(ep, c, 1);
            return 0;
        }
        if (w <= 0)
            return -1;
        c->outoff += (size_t)w;
    }
    bench_buf_reset(&c->out);
    c->outoff = 0;
    watch(ep, c, 0);
    return 0;
}

/* Handles every complete request in c->in; -1 to close. */
static int serve(int ep, rconn_t *c)
{
    size_t off = 0;
    int close_after = 0;
    uint64_t now = bench_now_ns();

    while (off < c->in.len) {
        const char *p = c->in.p + off, *he = memmem(p, c->in.len - off, "\r\n\r\n", 4), *v;
        size_t hlen, blen = 0, vl;

        if (!he)
            break;
        hlen = (size_t)(he - p) + 4;
        v = hdr(p, hlen, "content-length", &vl);
        if (v)
            blen = strtoul(v, NULL, 10);
        if (hdr(p, hlen, "transfer-encoding", &vl)) {
            /* chunked: take it whole when its last chunk is in */
            const char *fin = memmem(p + hlen, c->in.len - off - hlen, "\r\n0\r\n\r\n", 7);

            if (!fin && !(c->in.len - off - hlen >= 5 && memcmp(p + hlen, "0\r\n\r\n", 5) == 0))
                break;
            blen = fin ? (size_t)(fin - (p + hlen)) + 7 : 5;
        }
        if (blen > MAX_REQUEST)
            return -1;
        if (c->in.len - off < hlen + blen)
            break;
        arrived(c, p, hlen, p + hlen, blen, now);
        v = hdr(p, hlen, "connection", &vl);
        if ((v && vl >= 5 && strncasecmp(v, "close", 5) == 0) || memmem(p, hlen, "HTTP/1.0", 8))
            close_after = 1;
        if (!c->dead)
            bench_buf_add(&c->out, reply, sizeof(reply) - 1);
        off += hlen + blen;
    }
    if (off) {
        memmove(c->in.p, c->in.p + off, c->in.len - off);
        c->in.len -= off;
    }
    if (c->dead) {
        c->in.len = 0; /* read and forget; never answer */
        return 0;
    }
    if (c->out.len && flush_out(ep, c) != 0)
        return -1;
    return close_after && !c->out.len ? -1 : 0;
}

static void accept_all(int ep, int lfd, int dead)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
        struct epoll_event ev;
        rconn_t *c;

        if (fd < 0)
            return;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->dead = dead;
        if (dead)
            __atomic_fetch_add(&shm->dead_conns, 1, __ATOMIC_RELAXED);
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
}

int main(int argc, char **argv)
{
    const char *shm_path = NULL, *ports_file = NULL;
    int port = 0, dead_port = 0, bound = 0, dead_bound = 0, lfd, dfd, ep;
    uint64_t cap = 4u << 20;
    double max_s = 600;
    static int lmark, dmark;
    struct epoll_event ev, evs[512];
    uint64_t until;
    char tmp[65536];
    FILE *f;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!v) {
            fprintf(stderr, "receiver: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--shm") == 0)
            shm_path = v;
        else if (strcmp(a, "--cap") == 0)
            cap = strtoull(v, NULL, 10);
        else if (strcmp(a, "--ports-file") == 0)
            ports_file = v;
        else if (strcmp(a, "--port") == 0)
            port = atoi(v);
        else if (strcmp(a, "--dead-port") == 0)
            dead_port = atoi(v);
        else if (strcmp(a, "--max-seconds") == 0)
            max_s = atof(v);
        else {
            fprintf(stderr, "receiver: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (!shm_path || !ports_file) {
        fprintf(stderr, "usage: receiver --shm FILE --ports-file FILE [--port P] "
                        "[--dead-port Q] [--cap N] [--max-seconds S]\n");
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    shm = bench_shm_open(shm_path, cap, 1);
    lfd = listen_on(port, &bound);
    dfd = listen_on(dead_port, &dead_bound);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!shm || lfd < 0 || dfd < 0 || ep < 0) {
        fprintf(stderr, "receiver: cannot start: %s\n", strerror(errno));
        return 1;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = &lmark;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = &dmark;
    epoll_ctl(ep, EPOLL_CTL_ADD, dfd, &ev);
    snprintf(tmp, sizeof(tmp), "%s.tmp", ports_file);
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d %d\n", bound, dead_bound) < 0 || fclose(f) != 0 ||
        rename(tmp, ports_file) != 0) {
        fprintf(stderr, "receiver: cannot write %s\n", ports_file);
        return 1;
    }
    until = bench_now_ns() + (uint64_t)(max_s * 1e9);
    while (!stopping && bench_now_ns() < until) {
        int n = epoll_wait(ep, evs, 512, 200);

        for (int i = 0; i < n; i++) {
            rconn_t *c = evs[i].data.ptr;

            if (evs[i].data.ptr == &lmark || evs[i].data.ptr == &dmark) {
                accept_all(ep, evs[i].data.ptr == &lmark ? lfd : dfd,
                           evs[i].data.ptr == &dmark);
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                if (flush_out(ep, c) != 0) {
                    close_conn(ep, c);
                    continue;
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                int gone = 0;

                for (;;) {
                    ssize_t r = read(c->fd, tmp, sizeof(tmp));

                    if (r > 0) {
                        bench_buf_add(&c->in, tmp, (size_t)r);
                        if ((size_t)r < sizeof(tmp))
                            break;
                        continue;
                    }
                    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                        gone = 1;
                    break;
                }
                if (serve(ep, c) != 0 || gone)
                    close_conn(ep, c);
            }
        }
    }
    fprintf(stderr,
            "receiver: %llu answered, %llu to the dead port (%llu connections), %llu without "
            "x-api-key, %llu duplicates; send->arrival p50 %.2f ms p99 %.2f ms max %.2f ms\n",
            (unsigned long long)shm->healthy, (unsigned long long)shm->dead,
            (unsigned long long)shm->dead_conns, (unsigned long long)shm->no_auth,
            (unsigned long long)shm->dups, bench_lat_pct(&send_lat, 50),
            bench_lat_pct(&send_lat, 99), bench_lat_max(&send_lat));
    return 0;
}
