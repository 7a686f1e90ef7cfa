/*
 * bench/bench.c - the shared half of the HTTP benchmarks: SigV4 signing,
 * the epoll keep-alive load generator, setup calls, percentiles, RSS and
 * the receiver's shared page. See bench.h.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- time, buffers, numbers ---- */

uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

void bench_buf_reset(bench_buf_t *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void bench_buf_add(bench_buf_t *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;

        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void bench_buf_adds(bench_buf_t *b, const char *s)
{
    bench_buf_add(b, s, strlen(s));
}

void bench_buf_printf(bench_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;

        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void bench_buf_free(bench_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

void bench_lat_add(bench_lat_t *l, uint64_t ns)
{
    uint64_t us = ns / 1000;

    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4096;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    l->sorted = 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

double bench_lat_pct(bench_lat_t *l, double pct)
{
    size_t i;

    if (!l->n)
        return 0;
    if (!l->sorted) {
        qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
        l->sorted = 1;
    }
    i = (size_t)(pct / 100.0 * (double)l->n);
    if (i >= l->n)
        i = l->n - 1;
    return l->v[i] / 1000.0;
}

double bench_lat_max(bench_lat_t *l)
{
    return bench_lat_pct(l, 100.0);
}

void bench_lat_free(bench_lat_t *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

long bench_rss_kib(long pid)
{
    char path[64], line[256];
    FILE *f;
    long v = -1;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

double bench_cpu_s(long pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    long hz = sysconf(_SC_CLK_TCK);
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid > 0 ? pid : (long)getpid());
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                     &st) != 2)
        return -1;
    return (double)(ut + st) / (double)(hz > 0 ? hz : 100);
}

void bench_result(const char *key, const char *fmt, ...)
{
    const char *path = getenv("BENCH_RESULTS");
    char val[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    printf("RESULT %s %s\n", key, val);
    fflush(stdout);
    if (path && *path) {
        FILE *f = fopen(path, "a");

        if (f) {
            fprintf(f, "%s %s\n", key, val);
            fclose(f);
        }
    }
}

/* ---- endpoint and signing ---- */

int bench_ep_parse(bench_ep_t *ep, const char *url)
{
    const char *p = url;
    char *end;
    long port;

    memset(ep, 0, sizeof(*ep));
    ep->region = "us-east-1";
    ep->access_key = "test";
    ep->secret_key = "test";
    if (strncmp(p, "http://", 7) == 0)
        p += 7;
    if (strncmp(p, "127.0.0.1:", 10) != 0 && strncmp(p, "localhost:", 10) != 0)
        return -1;
    port = strtol(p + 10, &end, 10);
    if (port <= 0 || port > 65535 || (*end && *end != '/'))
        return -1;
    ep->port = (int)port;
    snprintf(ep->host, sizeof(ep->host), "127.0.0.1:%ld", port);
    return 0;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256(p, n, md);
    hex(md, sizeof(md), out);
}

static void hmac(const unsigned char *key, size_t klen, const char *msg, size_t mlen,
                 unsigned char out[32])
{
    unsigned int olen = 32;

    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &olen);
}

/* The signing key depends on the day only: derived once per day. */
static void signing_key(const bench_ep_t *ep, const char *date, unsigned char key[32])
{
    static __thread char cached_date[9];
    static __thread char cached_secret[64];
    static __thread unsigned char cached[32];
    char k0[128];
    unsigned char k1[32], k2[32], k3[32];

    if (strcmp(cached_date, date) == 0 && strcmp(cached_secret, ep->secret_key) == 0) {
        memcpy(key, cached, 32);
        return;
    }
    snprintf(k0, sizeof(k0), "AWS4%s", ep->secret_key);
    hmac((unsigned char *)k0, strlen(k0), date, strlen(date), k1);
    hmac(k1, 32, ep->region, strlen(ep->region), k2);
    hmac(k2, 32, "events", 6, k3);
    hmac(k3, 32, "aws4_request", 12, cached);
    snprintf(cached_date, sizeof(cached_date), "%s", date);
    snprintf(cached_secret, sizeof(cached_secret), "%s", ep->secret_key);
    memcpy(key, cached, 32);
}

void bench_sign_request(const bench_ep_t *ep, const char *target, const char *body,
                        size_t body_len, bench_buf_t *out)
{
    static const char ctype[] = "application/x-amz-json-1.1";
    static const char signed_headers[] = "content-type;host;x-amz-date;x-amz-target";
    char amz_date[17], date[9], body_hash[65], creq_hash[65], sig_hex[65];
    char creq[1024], sts[512];
    unsigned char key[32], sig[32];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
    memcpy(date, amz_date, 8);
    date[8] = '\0';
    sha256_hex(body, body_len, body_hash);
    n = snprintf(creq, sizeof(creq),
                 "POST\n/\n\ncontent-type:%s\nhost:%s\nx-amz-date:%s\nx-amz-target:%s\n\n%s\n%s",
                 ctype, ep->host, amz_date, target, signed_headers, body_hash);
    sha256_hex(creq, (size_t)n, creq_hash);
    n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s/%s/events/aws4_request\n%s",
                 amz_date, date, ep->region, creq_hash);
    signing_key(ep, date, key);
    hmac(key, 32, sts, (size_t)n, sig);
    hex(sig, 32, sig_hex);
    bench_buf_printf(out,
                     "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nX-Amz-Date: %s\r\n"
                     "X-Amz-Target: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/"
                     "events/aws4_request, SignedHeaders=%s, Signature=%s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     ep->host, ctype, amz_date, target, ep->access_key, date, ep->region,
                     signed_headers, sig_hex, body_len);
    bench_buf_add(out, body, body_len);
}

/* ---- HTTP response parsing ---- */

typedef struct {
    int status;
    size_t total;    /* bytes of the whole response */
    size_t body_off;
    size_t body_len; /* chunked: the raw chunked bytes */
    int close;       /* the server closes after it */
} resp_t;

static const char *find_header(const char *h, size_t hlen, const char *name, size_t *vlen)
{
    size_t n = strlen(name);
    const char *p = h, *end = h + hlen;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));

        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > n + 1 && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;

            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            *vlen = (size_t)(eol - v);
            while (*vlen && (v[*vlen - 1] == '\r' || v[*vlen - 1] == ' '))
                (*vlen)--;
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* 1: complete, 0: need more, -1: malformed. eof: the peer closed. */
static int parse_response(const char *buf, size_t len, int eof, resp_t *r)
{
    const char *hend, *v;
    size_t vlen;

    memset(r, 0, sizeof(r[0]));
    hend = memmem(buf, len, "\r\n\r\n", 4);
    if (!hend)
        return eof ? -1 : 0;
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
        return -1;
    r->status = atoi(buf + 9);
    r->body_off = (size_t)(hend - buf) + 4;
    if (buf[7] == '0')
        r->close = 1;
    v = find_header(buf, r->body_off, "Connection", &vlen);
    if (v && vlen == 5 && strncasecmp(v, "close", 5) == 0)
        r->close = 1;
    if (v && vlen == 10 && strncasecmp(v, "keep-alive", 10) == 0)
        r->close = 0;
    v = find_header(buf, r->body_off, "Content-Length", &vlen);
    if (v) {
        r->body_len = strtoul(v, NULL, 10);
        r->total = r->body_off + r->body_len;
        return len >= r->total ? 1 : 0;
    }
    v = find_header(buf, r->body_off, "Transfer-Encoding", &vlen);
    if (v && vlen >= 7 && strncasecmp(v, "chunked", 7) == 0) {
        size_t off = r->body_off;

        for (;;) {
            const char *eol = memmem(buf + off, len - off, "\r\n", 2);
            size_t n;

            if (!eol)
                return 0;
            n = strtoul(buf + off, NULL, 16);
            off = (size_t)(eol - buf) + 2;
            if (n == 0) {
                const char *fin = memmem(buf + off - 2, len - (off - 2), "\r\n\r\n", 4);

                if (!fin)
                    return 0;
                r->total = (size_t)(fin - buf) + 4;
                r->body_len = r->total - r->body_off;
                return 1;
            }
            if (len < off + n + 2)
                return 0;
            off += n + 2;
        }
    }
    if (r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200)) {
        r->total = r->body_off;
        return 1;
    }
    /* Neither: the body runs to the end of the connection. */
    r->close = 1;
    if (!eof)
        return 0;
    r->body_len = len - r->body_off;
    r->total = len;
    return 1;
}

static int connect_ep(const bench_ep_t *ep, int nonblock)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)ep->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (nonblock)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* ---- setup calls ---- */

int bench_call(const bench_ep_t *ep, const char *target, const char *body, bench_buf_t *resp)
{
    bench_buf_t req = {0}, in = {0};
    struct timeval tv = {10, 0};
    size_t off = 0;
    resp_t r;
    int fd = connect_ep(ep, 0), status = 0, pr = 0;

    bench_buf_reset(resp);
    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    bench_sign_request(ep, target, body, strlen(body), &req);
    while (off < req.len) {
        ssize_t w = write(fd, req.p + off, req.len - off);

        if (w <= 0)
            goto out;
        off += (size_t)w;
    }
    for (;;) {
        char tmp[16384];
        ssize_t n = read(fd, tmp, sizeof(tmp));

        if (n < 0)
            goto out;
        if (n > 0)
            bench_buf_add(&in, tmp, (size_t)n);
        pr = in.len ? parse_response(in.p, in.len, n == 0, &r) : -1;
        if (pr != 0 || n == 0)
            break;
    }
    if (pr == 1) {
        status = r.status;
        bench_buf_add(resp, in.p + r.body_off, r.body_len);
    }
out:
    close(fd);
    bench_buf_free(&req);
    bench_buf_free(&in);
    return status;
}

void bench_call_ok(const bench_ep_t *ep, const char *target, const char *body,
                   bench_buf_t *resp)
{
    int st = bench_call(ep, target, body, resp);

    if (st != 200) {
        fprintf(stderr, "setup: %s -> HTTP %d %s\n  request: %.300s\n", target, st,
                resp->p ? resp->p : "", body);
        exit(1);
    }
}

int bench_json_str(const char *json, const char *key, char *out, size_t outlen)
{
    char pat[128];
    const char *p, *e;

    snprintf(pat, sizeof(pat), "\"%s\"", key);
    p = json ? strstr(json, pat) : NULL;
    if (!p)
        return -1;
    p += strlen(pat);
    while (*p == ' ' || *p == ':')
        p++;
    if (*p != '"')
        return -1;
    p++;
    e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= outlen)
        return -1;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return 0;
}

/* ---- the load generator ---- */

enum { C_CLOSED, C_IDLE, C_BUSY };

typedef struct {
    int fd;
    int state;
    bench_buf_t out, in;
    size_t outoff;
    int want_out;
    uint64_t req_no;
    int nevents;
    uint64_t t0;        /* latency origin */
    uint64_t deadline;
    uint64_t retry_at;  /* closed: do not reconnect before */
} lconn_t;

static void set_error(bench_load_res_t *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(bench_load_res_t *res, const char *fmt, ...)
{
    va_list ap;

    if (res->first_error[0])
        return;
    va_start(ap, fmt);
    vsnprintf(res->first_error, sizeof(res->first_error), fmt, ap);
    va_end(ap);
}

static void lconn_close(int ep, lconn_t *c, uint64_t now)
{
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = C_CLOSED;
    c->want_out = 0;
    c->retry_at = now + 10000000ull; /* 10 ms: no spin against a dead server */
    bench_buf_reset(&c->in);
}

static void lconn_watch(int ep, lconn_t *c, int out)
{
    struct epoll_event ev;

    if (c->want_out == out)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = out;
}

static void lconn_flush(int ep, lconn_t *c, bench_load_res_t *res, uint64_t now)
{
    while (c->outoff < c->out.len) {
        ssize_t w = write(c->fd, c->out.p + c->outoff, c->out.len - c->outoff);

        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            lconn_watch(ep, c, 1);
            return;
        }
        if (w <= 0) {
            res->conn_errors++;
            set_error(res, "write: %s", strerror(errno));
            lconn_close(ep, c, now);
            return;
        }
        c->outoff += (size_t)w;
    }
    lconn_watch(ep, c, 0);
}

/* Starts request req_no on c; returns 0 when started. */
static int lconn_start(int ep, lconn_t *c, const bench_load_cfg_t *cfg, bench_load_res_t *res,
                       bench_buf_t *body, uint64_t req_no, uint64_t t0, uint64_t now)
{
    if (c->state == C_CLOSED) {
        struct epoll_event ev;

        if (now < c->retry_at)
            return -1;
        c->fd = connect_ep(cfg->ep, 1);
        if (c->fd < 0) {
            res->conn_errors++;
            set_error(res, "connect: %s", strerror(errno));
            c->retry_at = now + 10000000ull;
            return -1;
        }
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        c->want_out = 0;
        c->state = C_IDLE;
    }
    bench_buf_reset(body);
    c->nevents = cfg->build(cfg->ud, req_no, body);
    bench_buf_reset(&c->out);
    bench_sign_request(cfg->ep, cfg->target, body->p, body->len, &c->out);
    c->outoff = 0;
    c->req_no = req_no;
    c->t0 = t0;
    c->deadline = now + (uint64_t)(cfg->timeout_s * 1e9);
    c->state = C_BUSY;
    res->requests++;
    lconn_flush(ep, c, res, now);
    return 0;
}

static void lconn_read(int ep, lconn_t *c, const bench_load_cfg_t *cfg, bench_load_res_t *res,
                       uint64_t *last_answer)
{
    char tmp[65536];
    ssize_t n;
    int eof = 0, pr;
    resp_t r;
    uint64_t now;

    for (;;) {
        n = read(c->fd, tmp, sizeof(tmp));
        if (n > 0) {
            bench_buf_add(&c->in, tmp, (size_t)n);
            if ((size_t)n < sizeof(tmp))
                break;
            continue;
        }
        if (n == 0)
            eof = 1;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            eof = 1;
        break;
    }
    now = bench_now_ns();
    if (c->state != C_BUSY) {
        if (eof)
            lconn_close(ep, c, now); /* an idle keep-alive connection was closed */
        return;
    }
    pr = parse_response(c->in.p ? c->in.p : "", c->in.len, eof, &r);
    if (pr == 0 && !eof)
        return;
    if (pr != 1) {
        res->conn_errors++;
        set_error(res, "connection closed while waiting for an answer");
        lconn_close(ep, c, now);
        return;
    }
    bench_lat_add(&res->lat, now - c->t0);
    *last_answer = now;
    res->events_sent += (uint64_t)c->nevents;
    if (r.status == 200) {
        const char *fe;
        long failed = 0;

        fe = memmem(c->in.p + r.body_off, r.body_len, "\"FailedEntryCount\"", 18);
        if (fe) {
            fe += 18;
            while (*fe == ' ' || *fe == ':')
                fe++;
            failed = strtol(fe, NULL, 10);
        }
        res->ok++;
        res->events_failed += (uint64_t)failed;
        res->events_ok += (uint64_t)(c->nevents - failed);
        if (cfg->acked)
            cfg->acked(cfg->ud, c->req_no, now, c->in.p + r.body_off, r.body_len);
        if (failed && !res->first_error[0])
            set_error(res, "FailedEntryCount %ld: %.150s", failed, c->in.p + r.body_off);
    } else {
        res->http_errors++;
        set_error(res, "HTTP %d: %.160s", r.status, c->in.p + r.body_off);
    }
    if (r.close || eof) {
        lconn_close(ep, c, now);
        c->retry_at = 0;
        return;
    }
    /* Keep what follows (nothing, unless the server pipelined). */
    memmove(c->in.p, c->in.p + r.total, c->in.len - r.total);
    c->in.len -= r.total;
    c->state = C_IDLE;
}

void bench_load_run(const bench_load_cfg_t *cfg, bench_load_res_t *res)
{
    int ep = epoll_create1(EPOLL_CLOEXEC), nconns = cfg->conns > 0 ? cfg->conns : 1;
    lconn_t *conns = calloc((size_t)nconns, sizeof(*conns));
    struct epoll_event evs[256];
    bench_buf_t body = {0};
    uint64_t start = bench_now_ns(), end = start + (uint64_t)(cfg->seconds * 1e9);
    uint64_t hard_end = end + (uint64_t)(cfg->grace_s * 1e9), last_answer = start;
    uint64_t issued = 0, last_tick = 0;
    double interval_ns = cfg->rate > 0 ? 1e9 / cfg->rate : 0;

    memset(res, 0, sizeof(*res));
    if (ep < 0 || !conns) {
        fprintf(stderr, "load: cannot start\n");
        exit(2);
    }
    for (int i = 0; i < nconns; i++)
        conns[i].fd = -1;
    for (;;) {
        uint64_t now = bench_now_ns();
        int busy = 0, timeout_ms = 1, n;
        struct timespec wait_ts;

        /* Start what may start. */
        for (int i = 0; i < nconns && now < end; i++) {
            lconn_t *c = &conns[i];
            uint64_t t0 = now;

            if (c->state == C_BUSY)
                continue;
            if (interval_ns > 0) {
                t0 = start + (uint64_t)((double)issued * interval_ns);
                if (t0 > now)
                    break;
            }
            if (lconn_start(ep, c, cfg, res, &body, issued, t0, now) == 0)
                issued++;
        }
        for (int i = 0; i < nconns; i++) {
            lconn_t *c = &conns[i];

            if (c->state != C_BUSY)
                continue;
            if (now > c->deadline) {
                res->timeouts++;
                set_error(res, "request timed out after %.1f s", cfg->timeout_s);
                lconn_close(ep, c, now);
                continue;
            }
            busy++;
        }
        if (cfg->tick && now - last_tick >= 5000000ull) {
            cfg->tick(cfg->ud, now);
            last_tick = now;
        }
        if (now >= end && (!busy || now >= hard_end))
            break;
        if (busy == nconns) {
            timeout_ms = 5; /* nothing can start before an answer: epoll wakes us for it */
        } else if (interval_ns > 0 && now < end) {
            uint64_t next = start + (uint64_t)((double)issued * interval_ns);

            /* Paced in ns (epoll_pwait2): a ms timeout of 0 between starts
             * 0.5 ms apart made this loop spin, and take a core's worth of
             * CPU from the server it measures. */
            timeout_ms = next > now + 5000000ull ? 5 : -2;
            if (timeout_ms == -2) {
                uint64_t d = next > now ? next - now : 0;

                wait_ts.tv_sec = 0;
                wait_ts.tv_nsec = (long)d;
            }
        } else if (now >= end) {
            timeout_ms = 5;
        } else {
            timeout_ms = 1; /* a closed connection is waiting to reconnect */
        }
        if (timeout_ms == -2) {
            n = epoll_pwait2(ep, evs, 256, &wait_ts, NULL);
        } else {
            n = epoll_wait(ep, evs, 256, timeout_ms);
        }
        for (int i = 0; i < n; i++) {
            lconn_t *c = evs[i].data.ptr;

            if (c->fd < 0)
                continue;
            if (evs[i].events & EPOLLOUT)
                lconn_flush(ep, c, res, bench_now_ns());
            if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                lconn_read(ep, c, cfg, res, &last_answer);
        }
    }
    for (int i = 0; i < nconns; i++) {
        if (conns[i].fd >= 0)
            close(conns[i].fd);
        bench_buf_free(&conns[i].out);
        bench_buf_free(&conns[i].in);
    }
    res->elapsed_s = (double)((last_answer > end ? last_answer : end) - start) / 1e9;
    free(conns);
    bench_buf_free(&body);
    close(ep);
}

void bench_load_res_free(bench_load_res_t *res)
{
    bench_lat_free(&res->lat);
}

void bench_load_print(const char *label, bench_load_res_t *res)
{
    printf("%-10s %8.0f events/s accepted  (%llu events in %.1f s; %llu requests: %llu ok, "
           "%llu http errors, %llu timeouts, %llu connection errors; %llu entries failed)\n",
           label, res->elapsed_s > 0 ? (double)res->events_ok / res->elapsed_s : 0,
           (unsigned long long)res->events_ok, res->elapsed_s,
           (unsigned long long)res->requests, (unsigned long long)res->ok,
           (unsigned long long)res->http_errors, (unsigned long long)res->timeouts,
           (unsigned long long)res->conn_errors, (unsigned long long)res->events_failed);
    printf("%-10s latency p50 %.2f ms  p99 %.2f ms  max %.2f ms (per PutEvents call)\n", label,
           bench_lat_pct(&res->lat, 50), bench_lat_pct(&res->lat, 99), bench_lat_max(&res->lat));
    if (res->first_error[0])
        printf("%-10s first error: %s\n", label, res->first_error);
    fflush(stdout);
}

/* ---- the receiver's shared page ---- */

bench_shm_t *bench_shm_open(const char *path, uint64_t cap, int create)
{
    int fd = open(path, create ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDWR | O_CLOEXEC,
                  0600);
    struct stat st;
    size_t size;
    bench_shm_t *s;

    if (fd < 0)
        return NULL;
    if (create) {
        size = sizeof(bench_shm_t) + cap * sizeof(uint64_t);
        if (ftruncate(fd, (off_t)size) != 0) {
            close(fd);
            return NULL;
        }
    } else {
        if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(bench_shm_t)) {
            close(fd);
            return NULL;
        }
        size = (size_t)st.st_size;
    }
    s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (s == MAP_FAILED)
        return NULL;
    if (create) {
        s->cap = cap;
        __atomic_store_n(&s->magic, BENCH_SHM_MAGIC, __ATOMIC_RELEASE);
    } else if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != BENCH_SHM_MAGIC ||
               sizeof(bench_shm_t) + s->cap * sizeof(uint64_t) > size) {
        munmap(s, size);
        return NULL;
    }
    return s;
}

uint64_t bench_shm_load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}
