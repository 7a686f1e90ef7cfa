/*
 * deliver/h1.c - the delivery HTTP/1.1 client (see h1.h).
 *
 * A transfer takes an idle connection of its origin (scheme, host, port),
 * most recently used first, or opens one: resolve (numeric hosts at once,
 * names on a short-lived thread), connect to each address in turn, TLS
 * handshake. The request is written as one buffer; the response goes
 * through h1parse. A connection that answered in full and may be kept goes
 * back to its origin's idle list, where any byte or close from the server
 * ends it. A kept connection that fails before any answer byte (the server
 * closed it as it was reused) gets the request once more on a fresh one.
 *
 * Every transfer has the same timeout, so the list of running transfers in
 * start order is also the list by deadline.
 */
#include "deliver/h1.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deliver/h1parse.h"
#include "util/util.h"

#define READ_CHUNK (16 * 1024)
#define IDLE_MAX_MS 118000   /* an idle connection older than this is closed */
#define IDLE_PER_ORIGIN 256  /* idle connections kept per origin */
#define SWEEP_EVERY_MS 1000
#define READ_PER_EVENT (256 * 1024) /* then other connections get their turn */
#define RX (EPOLLIN | EPOLLRDHUP)   /* waiting for the server (idle or answering) */
#define DNS_CACHE_MS 60000          /* a name's addresses serve new connections this long */

enum { C_RESOLVING, C_CONNECTING, C_HANDSHAKE, C_SENDING, C_RECEIVING, C_IDLE };

typedef struct rq rq_t;

/* The addresses of an origin, shared by the pool that caches them and the
 * connections that try them (client thread only). */
typedef struct {
    int refs;
    struct addrinfo *ai;
} addrs_t;

typedef struct ev_h1_pool {
    int tls;
    char *host;    /* without brackets */
    char port[8];
    char *hosthdr; /* the Host header value */
    ev_h1_conn_t *idle; /* most recently used first */
    ev_h1_conn_t *idle_tail;
    size_t nidle;
    addrs_t *addrs;        /* the last answer (numeric hosts: for good) */
    int64_t addrs_until;   /* mono ms it serves until; 0: no end */
    rq_t *lookup;          /* the name lookup in flight: one per origin */
    ev_h1_conn_t *waiting; /* connections waiting for it */
    struct ev_h1_pool *next;
} pool_t;

/* Name lookups finished on their threads wait here for the client's thread.
 * Shared by the client and every lookup thread; the last one frees it. */
typedef struct {
    int tag; /* EV_H1_TAG_RESOLVER */
    int evfd;
    pthread_mutex_t lock;
    int refs;
    rq_t *done;
} hub_t;

struct rq {
    hub_t *hub;
    char host[256];
    char port[8];
    int rc;
    struct addrinfo *res;
    pool_t *pool; /* the client's thread only; NULL: the client is gone */
    rq_t *next;
};

struct ev_h1_conn {
    int tag; /* EV_H1_TAG_CONN */
    int fd;
    SSL *ssl;
    pool_t *pool;
    int state;
    uint32_t ev;      /* the epoll interest registered */
    int reused;       /* carried a whole exchange before */
    int clean;        /* ends between exchanges: its TLS session stays resumable */
    ev_h1_xfer_t *x;  /* its transfer (NULL when idle) */
    addrs_t *addrs;              /* the addresses it tries */
    struct addrinfo *next_ai;    /* the next of them */
    int waiting;                 /* in the pool's waiting list */
    ev_h1_conn_t *wnext, *wprev; /* there */
    char *out;
    size_t out_len, out_off, out_cap;
    int64_t idle_since;
    ev_h1_conn_t *inext, *iprev; /* the pool's idle list */
    ev_h1_conn_t *anext, *aprev; /* every connection */
    ev_h1resp_t resp;
};

struct ev_h1 {
    ev_h1_cfg_t cfg;
    hub_t *hub;
    pool_t *pools;
    ev_h1_conn_t *conns;
    ev_h1_xfer_t *thead, *ttail; /* running transfers, earliest deadline first */
    int64_t last_sweep;
};

static const char *const messages[] = {
    [EV_H1_OK] = "No error",
    [EV_H1_URL] = "URL using bad/illegal format or missing URL",
    [EV_H1_RESOLVE] = "Couldn't resolve host name",
    [EV_H1_CONNECT] = "Couldn't connect to server",
    [EV_H1_TLS] = "SSL connect error",
    [EV_H1_PEER_CERT] = "SSL peer certificate or SSH remote key was not OK",
    [EV_H1_SEND] = "Failed sending data to the peer",
    [EV_H1_RECV] = "Failure when receiving data from the peer",
    [EV_H1_NOTHING] = "Server returned nothing (no headers, no data)",
    [EV_H1_WEIRD] = "Weird server reply",
    [EV_H1_TIMEOUT] = "Timeout was reached",
};

const char *ev_h1_strerror(ev_h1_err err)
{
    return (unsigned)err < sizeof(messages) / sizeof(messages[0]) && messages[err]
               ? messages[err]
               : "Unknown error";
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- transfers ---- */

static void unlink_xfer(ev_h1_t *h, ev_h1_xfer_t *x)
{
    if (x->tprev)
        x->tprev->tnext = x->tnext;
    else if (h->thead == x)
        h->thead = x->tnext;
    if (x->tnext)
        x->tnext->tprev = x->tprev;
    else if (h->ttail == x)
        h->ttail = x->tprev;
    x->tnext = x->tprev = NULL;
}

static void finish(ev_h1_t *h, ev_h1_xfer_t *x, ev_h1_err err)
{
    unlink_xfer(h, x);
    x->conn = NULL;
    x->err = err;
    h->cfg.done(x, h->cfg.done_arg);
}

/* ---- connections ---- */

static void set_interest(ev_h1_t *h, ev_h1_conn_t *c, uint32_t ev)
{
    struct epoll_event e;

    if (c->ev == ev)
        return;
    memset(&e, 0, sizeof(e));
    e.events = ev;
    e.data.ptr = c;
    if (epoll_ctl(h->cfg.epfd, c->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) == 0)
        c->ev = ev;
}

static void idle_unlink(ev_h1_conn_t *c)
{
    pool_t *p = c->pool;

    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        p->idle = c->inext;
    if (c->inext)
        c->inext->iprev = c->iprev;
    else
        p->idle_tail = c->iprev;
    c->inext = c->iprev = NULL;
    p->nidle--;
}

/* Closes the socket (and TLS) of a connection, keeping the struct. */
static void drop_socket(ev_h1_t *h, ev_h1_conn_t *c)
{
    if (c->ssl) {
        /* SSL_free of a connection that did not shut down marks its session
         * unusable, and that session is the one new connections resume. */
        if (c->clean)
            SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        if (c->ev)
            epoll_ctl(h->cfg.epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
        c->ev = 0;
    }
}

static void addrs_unref(addrs_t *a)
{
    if (a && --a->refs == 0) {
        freeaddrinfo(a->ai);
        free(a);
    }
}

static void wait_unlink(ev_h1_conn_t *c)
{
    if (!c->waiting)
        return;
    c->waiting = 0;
    if (c->wprev)
        c->wprev->wnext = c->wnext;
    else
        c->pool->waiting = c->wnext;
    if (c->wnext)
        c->wnext->wprev = c->wprev;
    c->wnext = c->wprev = NULL;
}

static void conn_free(ev_h1_t *h, ev_h1_conn_t *c)
{
    if (c->state == C_IDLE)
        idle_unlink(c);
    wait_unlink(c); /* the lookup goes on for the others and the cache */
    drop_socket(h, c);
    addrs_unref(c->addrs);
    if (c->aprev)
        c->aprev->anext = c->anext;
    else
        h->conns = c->anext;
    if (c->anext)
        c->anext->aprev = c->aprev;
    if (c->out) {
        ev_wipe(c->out, c->out_cap); /* it held credentials */
        free(c->out);
    }
    free(c);
}

static void attach_new(ev_h1_t *h, ev_h1_xfer_t *x);

/* The connection cannot go on: it is closed, and its transfer fails, or is
 * sent once more on a fresh connection when a reused one died before any
 * answer byte. */
static void conn_fail(ev_h1_t *h, ev_h1_conn_t *c, ev_h1_err err)
{
    ev_h1_xfer_t *x = c->x;
    int again = x && c->reused && c->resp.got == 0 && !x->resent &&
                (err == EV_H1_SEND || err == EV_H1_RECV || err == EV_H1_NOTHING);

    c->x = NULL;
    conn_free(h, c);
    if (!x)
        return;
    if (again) {
        x->resent = 1;
        x->detail[0] = 0; /* the first try's cause is not the answer */
        attach_new(h, x);
        return;
    }
    finish(h, x, err);
}

static void detail_errno(ev_h1_xfer_t *x, int err)
{
    if (x)
        snprintf(x->detail, sizeof(x->detail), "%s", strerror(err));
}

static int is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

int ev_h1_is_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return 0;
    return n > 0;
}

/*
 * A header line we may send: "name: value" with a token for a name, no line
 * break, and none of the headers that frame the message or steer the
 * connection (this client writes those itself; another would let a caller
 * smuggle a second request onto a kept-alive connection).
 */
static int header_ok(const char *line)
{
    static const char *const own[] = {"Host",    "Content-Length", "Transfer-Encoding",
                                      "Connection", "Keep-Alive", "TE", "Trailer",
                                      "Upgrade", "Expect", "Proxy-Connection"};
    const char *colon = strchr(line, ':');
    size_t n;

    if (!colon || strpbrk(line, "\r\n"))
        return 0;
    n = (size_t)(colon - line);
    if (!ev_h1_is_token(line, n))
        return 0;
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (strlen(own[i]) == n && strncasecmp(own[i], line, n) == 0)
            return 0;
    return 1;
}

/* The request as bytes, in c->out. 0, or -1 when the method or a header
 * line is unusable. */
static int build_request(ev_h1_conn_t *c, const ev_h1_xfer_t *x)
{
    size_t need = strlen(x->method) + x->target_len + strlen(c->pool->hosthdr) + 128 +
                  x->body_len;
    char *w;

    if (!ev_h1_is_token(x->method, strlen(x->method)))
        return -1;
    for (size_t i = 0; i < x->nheaders; i++) {
        if (!header_ok(x->headers[i]))
            return -1;
        need += strlen(x->headers[i]) + 2;
    }
    if (need > c->out_cap) {
        if (c->out) {
            ev_wipe(c->out, c->out_cap);
            free(c->out);
        }
        c->out_cap = need + 256;
        c->out = ev_xmalloc(c->out_cap);
    }
    w = c->out;
    /* "http://h?q" asks for "/?q" */
    w += sprintf(w, "%s %s%.*s HTTP/1.1\r\nHost: %s\r\n", x->method,
                 x->target[0] == '?' ? "/" : "", (int)x->target_len, x->target,
                 c->pool->hosthdr);
    for (size_t i = 0; i < x->nheaders; i++) {
        size_t n = strlen(x->headers[i]);

        memcpy(w, x->headers[i], n);
        w += n;
        *w++ = '\r';
        *w++ = '\n';
    }
    if (x->body)
        w += sprintf(w, "Content-Length: %zu\r\n", x->body_len);
    *w++ = '\r';
    *w++ = '\n';
    if (x->body_len) {
        memcpy(w, x->body, x->body_len);
        w += x->body_len;
    }
    c->out_len = (size_t)(w - c->out);
    c->out_off = 0;
    return 0;
}

static void do_send(ev_h1_t *h, ev_h1_conn_t *c);
static void do_recv(ev_h1_t *h, ev_h1_conn_t *c);

/* A connected (and, for TLS, handshaken) connection takes its transfer. */
static void begin_exchange(ev_h1_t *h, ev_h1_conn_t *c)
{
    ev_h1_xfer_t *x = c->x;

    c->state = C_SENDING;
    c->clean = 0;
    if (build_request(c, x) != 0) {
        snprintf(x->detail, sizeof(x->detail), "a request header or the method is not valid");
        c->x = NULL;
        conn_free(h, c);
        finish(h, x, EV_H1_URL);
        return;
    }
    ev_h1resp_init(&c->resp, strcmp(x->method, "HEAD") == 0, x->resp, x->resp_keep);
    do_send(h, c);
}

static void tls_failed(ev_h1_t *h, ev_h1_conn_t *c)
{
    long vr = SSL_get_verify_result(c->ssl);
    ev_h1_xfer_t *x = c->x;

    if (vr != X509_V_OK) {
        snprintf(x->detail, sizeof(x->detail), "%s", X509_verify_cert_error_string(vr));
        conn_fail(h, c, EV_H1_PEER_CERT);
        return;
    }
    {
        unsigned long e = ERR_peek_last_error();

        if (e)
            ERR_error_string_n(e, x->detail, sizeof(x->detail));
        else
            snprintf(x->detail, sizeof(x->detail), "the server ended the handshake");
    }
    ERR_clear_error();
    conn_fail(h, c, EV_H1_TLS);
}

static void do_handshake(ev_h1_t *h, ev_h1_conn_t *c)
{
    int rc;

    ERR_clear_error();
    rc = SSL_do_handshake(c->ssl);
    if (rc == 1) {
        begin_exchange(h, c);
        return;
    }
    switch (SSL_get_error(c->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        set_interest(h, c, RX);
        break;
    case SSL_ERROR_WANT_WRITE:
        set_interest(h, c, EPOLLOUT);
        break;
    default:
        tls_failed(h, c);
        break;
    }
}

/* TLS sessions by origin, shared by every client of the process (a new
 * connection may be another sender's), each the newest the server gave. */
typedef struct sess {
    char *key; /* host|port */
    SSL_SESSION *s;
    struct sess *next;
} sess_t;

static pthread_mutex_t sess_lock = PTHREAD_MUTEX_INITIALIZER;
static sess_t *sessions;
static int clients; /* ev_h1_t alive; the last one frees the table */

static sess_t *sess_find(const pool_t *p)
{
    size_t hl = strlen(p->host);

    for (sess_t *e = sessions; e; e = e->next)
        if (strncmp(e->key, p->host, hl) == 0 && e->key[hl] == '|' &&
            strcmp(e->key + hl + 1, p->port) == 0)
            return e;
    return NULL;
}

/* Takes over the caller's reference. */
static void session_put(const pool_t *p, SSL_SESSION *s)
{
    sess_t *e;

    pthread_mutex_lock(&sess_lock);
    e = sess_find(p);
    if (!e) {
        e = ev_xcalloc(1, sizeof(*e));
        e->key = ev_xasprintf("%s|%s", p->host, p->port);
        e->next = sessions;
        sessions = e;
    }
    if (e->s)
        SSL_SESSION_free(e->s);
    e->s = s;
    pthread_mutex_unlock(&sess_lock);
}

/* A reference to the origin's session, or NULL. */
static SSL_SESSION *session_get(const pool_t *p)
{
    SSL_SESSION *s = NULL;
    sess_t *e;

    pthread_mutex_lock(&sess_lock);
    e = sess_find(p);
    if (e && e->s && SSL_SESSION_up_ref(e->s) == 1)
        s = e->s;
    pthread_mutex_unlock(&sess_lock);
    return s;
}

static int on_new_session(SSL *ssl, SSL_SESSION *sess);

/* One TLS context for every client, made at the first https connection
 * (the system's trust store costs about 1 MB in memory); NULL when it
 * cannot be made, and tried again next time. */
static SSL_CTX *tls_ctx;

static SSL *tls_new(const char *ca_file)
{
    SSL *ssl = NULL;

    pthread_mutex_lock(&sess_lock);
    if (!tls_ctx) {
        SSL_CTX *t = SSL_CTX_new(TLS_client_method());

        if (t && SSL_CTX_set_default_verify_paths(t) == 1 &&
            (!ca_file || X509_STORE_load_file(SSL_CTX_get_cert_store(t), ca_file) == 1)) {
            SSL_CTX_set_verify(t, SSL_VERIFY_PEER, NULL);
            SSL_CTX_set_min_proto_version(t, TLS1_2_VERSION);
            SSL_CTX_set_mode(t, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
            SSL_CTX_set_options(t, SSL_OP_IGNORE_UNEXPECTED_EOF);
            SSL_CTX_set_session_cache_mode(t, SSL_SESS_CACHE_CLIENT |
                                                  SSL_SESS_CACHE_NO_INTERNAL_STORE);
            SSL_CTX_sess_set_new_cb(t, on_new_session);
            tls_ctx = t;
        } else {
            SSL_CTX_free(t);
        }
    }
    if (tls_ctx)
        ssl = SSL_new(tls_ctx);
    pthread_mutex_unlock(&sess_lock);
    return ssl;
}

static void connected(ev_h1_t *h, ev_h1_conn_t *c)
{
    int one = 1;

    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (!c->pool->tls) {
        begin_exchange(h, c);
        return;
    }
    c->ssl = tls_new(h->cfg.ca_file);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        ERR_clear_error();
        snprintf(c->x->detail, sizeof(c->x->detail), "cannot start TLS");
        conn_fail(h, c, EV_H1_TLS);
        return;
    }
    {
        struct in6_addr a6;
        struct in_addr a4;
        const char *host = c->pool->host;

        int ok;

        /* Without the name or address check any trusted certificate would do:
         * a failure to set it up fails the connection. */
        if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1)
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) == 1;
        else
            ok = SSL_set_tlsext_host_name(c->ssl, host) == 1 && SSL_set1_host(c->ssl, host) == 1;
        if (!ok) {
            ERR_clear_error();
            snprintf(c->x->detail, sizeof(c->x->detail), "cannot set up the certificate check");
            conn_fail(h, c, EV_H1_TLS);
            return;
        }
    }
    SSL_set_app_data(c->ssl, c);
    {
        SSL_SESSION *sess = session_get(c->pool);

        if (sess) {
            SSL_set_session(c->ssl, sess); /* an abbreviated handshake if the server agrees */
            SSL_SESSION_free(sess);
        }
    }
    SSL_set_connect_state(c->ssl);
    c->state = C_HANDSHAKE;
    do_handshake(h, c);
}

/* Connects to the next address; the last one's error fails the transfer. */
static void try_connect(ev_h1_t *h, ev_h1_conn_t *c)
{
    int last = ECONNREFUSED;

    while (c->next_ai) {
        struct addrinfo *ai = c->next_ai;

        c->next_ai = ai->ai_next;
        drop_socket(h, c);
        c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            last = errno;
            continue;
        }
        if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            c->state = C_CONNECTING;
            set_interest(h, c, RX);
            connected(h, c);
            return;
        }
        if (errno == EINPROGRESS) {
            c->state = C_CONNECTING;
            set_interest(h, c, EPOLLOUT);
            if (c->ev)
                return;
            last = errno;
            continue;
        }
        last = errno;
    }
    detail_errno(c->x, last);
    conn_fail(h, c, EV_H1_CONNECT);
}

static void on_connect_event(ev_h1_t *h, ev_h1_conn_t *c)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err) {
        detail_errno(c->x, err);
        if (c->next_ai) {
            try_connect(h, c);
            return;
        }
        conn_fail(h, c, EV_H1_CONNECT);
        return;
    }
    set_interest(h, c, RX);
    connected(h, c);
}

/* ---- name lookups ---- */

static void hub_unref(hub_t *hub)
{
    int last;

    pthread_mutex_lock(&hub->lock);
    last = --hub->refs == 0;
    pthread_mutex_unlock(&hub->lock);
    if (!last)
        return;
    while (hub->done) {
        rq_t *r = hub->done;

        hub->done = r->next;
        if (r->res)
            freeaddrinfo(r->res);
        free(r);
    }
    close(hub->evfd);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

static void *lookup_main(void *arg)
{
    rq_t *r = arg;
    hub_t *hub = r->hub;
    struct addrinfo hints;
    uint64_t one = 1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    r->rc = getaddrinfo(r->host, r->port, &hints, &r->res);
    pthread_mutex_lock(&hub->lock);
    r->next = hub->done;
    hub->done = r;
    pthread_mutex_unlock(&hub->lock);
    if (write(hub->evfd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the client is already woken */
    }
    hub_unref(hub);
    return NULL;
}

static atomic_long lookups_started;

long ev_h1_lookups_started(void)
{
    return atomic_load(&lookups_started);
}

/* c tries the pool's addresses. */
static void connect_with(ev_h1_t *h, ev_h1_conn_t *c, addrs_t *a)
{
    a->refs++;
    c->addrs = a;
    c->next_ai = a->ai;
    try_connect(h, c);
}

/* The pool's addresses become `ai` (owned), good until `until` (0: no end). */
static addrs_t *pool_addrs(pool_t *p, struct addrinfo *ai, int64_t until)
{
    addrs_t *a = ev_xcalloc(1, sizeof(*a));

    a->refs = 1;
    a->ai = ai;
    addrs_unref(p->addrs);
    p->addrs = a;
    p->addrs_until = until;
    return a;
}

/*
 * Finds c's addresses: a numeric host at once, a name from the pool's cache
 * (DNS_CACHE_MS) or from a lookup on a thread, one per origin however many
 * connections wait for it.
 */
static void resolve(ev_h1_t *h, ev_h1_conn_t *c)
{
    struct addrinfo hints, *ai = NULL;
    pool_t *p = c->pool;
    const char *host = p->host;
    pthread_attr_t attr;
    pthread_t t;
    rq_t *r;

    if (p->addrs && (p->addrs_until == 0 || mono_ms() < p->addrs_until)) {
        connect_with(h, c, p->addrs);
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, p->port, &hints, &ai) == 0) {
        connect_with(h, c, pool_addrs(p, ai, 0));
        return;
    }
    if (strlen(host) >= sizeof(r->host)) {
        conn_fail(h, c, EV_H1_RESOLVE);
        return;
    }
    c->state = C_RESOLVING;
    c->waiting = 1;
    c->wprev = NULL;
    c->wnext = p->waiting;
    if (p->waiting)
        p->waiting->wprev = c;
    p->waiting = c;
    if (p->lookup)
        return; /* it answers for c too */
    r = ev_xcalloc(1, sizeof(*r));
    r->hub = h->hub;
    snprintf(r->host, sizeof(r->host), "%s", host);
    snprintf(r->port, sizeof(r->port), "%s", p->port);
    r->pool = p;
    pthread_mutex_lock(&h->hub->lock);
    h->hub->refs++;
    pthread_mutex_unlock(&h->hub->lock);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, lookup_main, r) != 0) {
        pthread_attr_destroy(&attr);
        free(r);
        hub_unref(h->hub);
        wait_unlink(c); /* the only one waiting: there was no lookup */
        c->state = C_CONNECTING;
        snprintf(c->x->detail, sizeof(c->x->detail), "cannot start a name lookup");
        conn_fail(h, c, EV_H1_RESOLVE);
        return;
    }
    pthread_attr_destroy(&attr);
    p->lookup = r;
    atomic_fetch_add(&lookups_started, 1);
}

/* Lookups that finished: the connections waiting for them go on connecting,
 * or fail with the lookup's error. */
static void lookups_done(ev_h1_t *h)
{
    hub_t *hub = h->hub;
    uint64_t v;
    rq_t *list;

    if (read(hub->evfd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing new */
    }
    pthread_mutex_lock(&hub->lock);
    list = hub->done;
    hub->done = NULL;
    pthread_mutex_unlock(&hub->lock);
    while (list) {
        rq_t *r = list;
        pool_t *p = r->pool;
        addrs_t *a = NULL;

        list = r->next;
        if (p) {
            p->lookup = NULL;
            if (r->rc == 0) {
                a = pool_addrs(p, r->res, mono_ms() + DNS_CACHE_MS);
                r->res = NULL;
            }
            while (p->waiting) {
                ev_h1_conn_t *c = p->waiting;

                wait_unlink(c);
                c->state = C_CONNECTING;
                if (a) {
                    connect_with(h, c, a);
                } else {
                    snprintf(c->x->detail, sizeof(c->x->detail), "%s", gai_strerror(r->rc));
                    conn_fail(h, c, EV_H1_RESOLVE);
                }
            }
        }
        if (r->res)
            freeaddrinfo(r->res);
        free(r);
    }
}

/* ---- origins ---- */

/* Splits url into its origin and request target; -1 when it cannot be used. */
static int parse_url(ev_h1_t *h, ev_h1_xfer_t *x)
{
    const char *u = x->url, *auth, *end, *hs, *he, *ps = NULL;
    char host[256], port[8];
    int tls;
    pool_t *p;

    if (strncasecmp(u, "https://", 8) == 0) {
        tls = 1;
        auth = u + 8;
    } else if (strncasecmp(u, "http://", 7) == 0) {
        tls = 0;
        auth = u + 7;
    } else {
        return -1;
    }
    end = auth + strcspn(auth, "/?#");
    if (memchr(auth, '@', (size_t)(end - auth)))
        return -1; /* no credentials in URLs */
    if (*auth == '[') {
        hs = auth + 1;
        he = memchr(hs, ']', (size_t)(end - hs));
        if (!he)
            return -1;
        if (he + 1 < end) {
            if (he[1] != ':')
                return -1;
            ps = he + 2;
        }
    } else {
        hs = auth;
        he = memchr(auth, ':', (size_t)(end - auth));
        if (he)
            ps = he + 1;
        else
            he = end;
    }
    if (he == hs || (size_t)(he - hs) >= sizeof(host))
        return -1;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    if (strpbrk(host, " \t\r\n%"))
        return -1;
    if (ps && ps < end) {
        unsigned long n = 0;

        for (const char *q = ps; q < end; q++) {
            if (*q < '0' || *q > '9' || n > 65535)
                return -1;
            n = n * 10 + (unsigned long)(*q - '0');
        }
        if (n == 0 || n > 65535)
            return -1;
        snprintf(port, sizeof(port), "%lu", n);
    } else {
        snprintf(port, sizeof(port), "%s", tls ? "443" : "80");
    }
    /* The target: path and query, without a fragment; "/" when empty. */
    x->target = *end == '/' || *end == '?' ? end : "/";
    x->target_len = *end == '/' || *end == '?' ? strcspn(end, "#") : 1;
    for (size_t i = 0; i < x->target_len; i++)
        if ((unsigned char)x->target[i] <= ' ' || x->target[i] == 0x7f)
            return -1;
    for (p = h->pools; p; p = p->next)
        if (p->tls == tls && strcmp(p->port, port) == 0 && strcasecmp(p->host, host) == 0)
            break;
    if (!p) {
        int v6 = strchr(host, ':') != NULL;
        int dflt = strcmp(port, tls ? "443" : "80") == 0;

        p = ev_xcalloc(1, sizeof(*p));
        p->tls = tls;
        p->host = ev_xstrdup(host);
        snprintf(p->port, sizeof(p->port), "%s", port);
        p->hosthdr = ev_xasprintf("%s%s%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "",
                                  dflt ? "" : ":", dflt ? "" : port);
        p->next = h->pools;
        h->pools = p;
    }
    x->pool = p;
    return 0;
}

static ev_h1_conn_t *conn_new(ev_h1_t *h, pool_t *p)
{
    ev_h1_conn_t *c = ev_xcalloc(1, sizeof(*c));

    c->tag = EV_H1_TAG_CONN;
    c->fd = -1;
    c->pool = p;
    c->anext = h->conns;
    if (h->conns)
        h->conns->aprev = c;
    h->conns = c;
    return c;
}

static void attach_new(ev_h1_t *h, ev_h1_xfer_t *x)
{
    ev_h1_conn_t *c = conn_new(h, x->pool);

    c->x = x;
    x->conn = c;
    resolve(h, c);
}

/* ---- sending and receiving ---- */

static void do_send(ev_h1_t *h, ev_h1_conn_t *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n;

        if (c->ssl) {
            int rc;

            ERR_clear_error();
            errno = 0;
            rc = SSL_write(c->ssl, c->out + c->out_off, (int)(c->out_len - c->out_off));
            if (rc <= 0) {
                int e = SSL_get_error(c->ssl, rc);

                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    set_interest(h, c, e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : RX);
                    return;
                }
                detail_errno(c->x, errno ? errno : EPIPE);
                conn_fail(h, c, EV_H1_SEND);
                return;
            }
            n = rc;
        } else {
            n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    set_interest(h, c, EPOLLOUT);
                    return;
                }
                if (errno == EINTR)
                    continue;
                detail_errno(c->x, errno);
                conn_fail(h, c, EV_H1_SEND);
                return;
            }
        }
        c->out_off += (size_t)n;
    }
    /* Sent: the request (credentials included) need not stay in memory while
     * the connection lives on. */
    ev_wipe(c->out, c->out_len);
    c->state = C_RECEIVING;
    set_interest(h, c, RX);
}

/* The transfer got its whole response: it ends, the connection is kept or closed. */
static void exchange_done(ev_h1_t *h, ev_h1_conn_t *c, int extra)
{
    ev_h1_xfer_t *x = c->x;
    pool_t *p = c->pool;

    x->status = c->resp.status;
    memcpy(x->retry_after, c->resp.retry_after, sizeof(x->retry_after));
    c->x = NULL;
    c->clean = !extra;
    if (!c->resp.keep_alive || extra || p->nidle >= IDLE_PER_ORIGIN) {
        conn_free(h, c);
    } else {
        c->state = C_IDLE;
        c->reused = 1;
        c->idle_since = mono_ms();
        c->iprev = NULL;
        c->inext = p->idle;
        if (p->idle)
            p->idle->iprev = c;
        else
            p->idle_tail = c;
        p->idle = c;
        p->nidle++;
        set_interest(h, c, RX);
    }
    finish(h, x, EV_H1_OK);
}

/* Reads what is there: -1 error (errno set), 0 end of stream, 1 bytes in
 * *n, 2 nothing now. */
static int read_some(ev_h1_t *h, ev_h1_conn_t *c, char *buf, size_t cap, size_t *n)
{
    if (c->ssl) {
        int rc, e;

        ERR_clear_error();
        errno = 0;
        rc = SSL_read(c->ssl, buf, (int)cap);
        if (rc > 0) {
            *n = (size_t)rc;
            return 1;
        }
        e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ) {
            set_interest(h, c, RX);
            return 2;
        }
        if (e == SSL_ERROR_WANT_WRITE) {
            set_interest(h, c, EPOLLOUT);
            return 2;
        }
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        if (!errno)
            errno = ECONNRESET;
        return -1;
    }
    for (;;) {
        ssize_t r = recv(c->fd, buf, cap, 0);

        if (r > 0) {
            *n = (size_t)r;
            return 1;
        }
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 2 : -1;
    }
}

static void do_recv(ev_h1_t *h, ev_h1_conn_t *c)
{
    char buf[READ_CHUNK];

    for (size_t total = 0; total < READ_PER_EVENT;) {
        size_t n = 0;
        int rc = read_some(h, c, buf, sizeof(buf), &n);
        ssize_t used;

        if (rc == 2)
            return;
        total += n;
        if (rc < 0) {
            detail_errno(c->x, errno);
            conn_fail(h, c, c->resp.got ? EV_H1_RECV
                            : errno == ECONNRESET ? EV_H1_NOTHING
                                                  : EV_H1_RECV);
            return;
        }
        if (rc == 0) {
            if (ev_h1resp_eof(&c->resp)) {
                c->resp.keep_alive = 0;
                exchange_done(h, c, 0);
            } else {
                conn_fail(h, c, c->resp.got ? EV_H1_RECV : EV_H1_NOTHING);
            }
            return;
        }
        used = ev_h1resp_feed(&c->resp, buf, n);
        if (used < 0) {
            conn_fail(h, c, EV_H1_WEIRD);
            return;
        }
        if (ev_h1resp_done(&c->resp)) {
            exchange_done(h, c, (size_t)used < n);
            return;
        }
    }
}

/* An idle connection became readable: the server closed it or sent
 * something unasked (a TLS session ticket is read and the connection kept). */
static void idle_event(ev_h1_t *h, ev_h1_conn_t *c)
{
    char buf[512];
    size_t n;

    if (read_some(h, c, buf, sizeof(buf), &n) != 2)
        conn_free(h, c);
}

void ev_h1_event(ev_h1_t *h, void *ptr, uint32_t events)
{
    ev_h1_conn_t *c = ptr;

    if (*(int *)ptr == EV_H1_TAG_RESOLVER) {
        lookups_done(h);
        return;
    }
    switch (c->state) {
    case C_CONNECTING:
        on_connect_event(h, c);
        break;
    case C_HANDSHAKE:
        do_handshake(h, c);
        break;
    case C_SENDING:
        if (c->ssl || (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            do_send(h, c);
        break;
    case C_RECEIVING:
        do_recv(h, c);
        break;
    case C_IDLE:
        /* EPOLLOUT: TLS wanted to write while reading (idle_event asked) */
        if (events & (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            idle_event(h, c);
        break;
    default:
        break;
    }
}

/* ---- the client ---- */

void ev_h1_start(ev_h1_t *h, ev_h1_xfer_t *x)
{
    ev_h1_conn_t *c;

    x->err = EV_H1_OK;
    x->status = 0;
    x->retry_after[0] = '\0';
    x->detail[0] = '\0';
    x->resent = 0;
    x->conn = NULL;
    x->deadline_ms = mono_ms() + h->cfg.timeout_ms;
    x->tnext = NULL;
    x->tprev = h->ttail;
    if (h->ttail)
        h->ttail->tnext = x;
    else
        h->thead = x;
    h->ttail = x;
    if (parse_url(h, x) != 0) {
        snprintf(x->detail, sizeof(x->detail), "the URL cannot be used");
        finish(h, x, EV_H1_URL);
        return;
    }
    c = x->pool->idle;
    if (c) {
        idle_unlink(c);
        c->state = C_SENDING;
        c->x = x;
        x->conn = c;
        begin_exchange(h, c);
        return;
    }
    attach_new(h, x);
}

int64_t ev_h1_tick(ev_h1_t *h)
{
    int64_t now = mono_ms();

    while (h->thead && h->thead->deadline_ms <= now) {
        ev_h1_xfer_t *x = h->thead;
        ev_h1_conn_t *c = x->conn;

        if (c) {
            c->x = NULL;
            conn_free(h, c);
        }
        finish(h, x, EV_H1_TIMEOUT);
    }
    if (now - h->last_sweep >= SWEEP_EVERY_MS) {
        h->last_sweep = now;
        for (pool_t *p = h->pools; p; p = p->next)
            while (p->idle_tail && now - p->idle_tail->idle_since > IDLE_MAX_MS)
                conn_free(h, p->idle_tail);
    }
    return h->thead ? h->thead->deadline_ms - now : -1;
}

/* OpenSSL has a session (or a TLS 1.3 ticket) for a connection: its origin
 * keeps the newest, so the next connection skips the full handshake. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    ev_h1_conn_t *c = SSL_get_app_data(ssl);

    if (!c || !SSL_SESSION_is_resumable(sess))
        return 0;
    session_put(c->pool, sess);
    return 1; /* the reference is the table's */
}

ev_h1_t *ev_h1_new(const ev_h1_cfg_t *cfg, char *msg, size_t msglen)
{
    ev_h1_t *h = ev_xcalloc(1, sizeof(*h));
    struct epoll_event e;

    pthread_mutex_lock(&sess_lock);
    clients++;
    pthread_mutex_unlock(&sess_lock);
    h->cfg = *cfg;
    h->hub = ev_xcalloc(1, sizeof(*h->hub));
    h->hub->tag = EV_H1_TAG_RESOLVER;
    h->hub->refs = 1;
    h->hub->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&h->hub->lock, NULL);
    memset(&e, 0, sizeof(e));
    e.events = EPOLLIN;
    e.data.ptr = h->hub;
    if (h->hub->evfd < 0 || epoll_ctl(cfg->epfd, EPOLL_CTL_ADD, h->hub->evfd, &e) != 0) {
        snprintf(msg, msglen, "cannot set up name lookups");
        goto fail;
    }
    h->last_sweep = mono_ms();
    return h;
fail:
    ERR_clear_error();
    ev_h1_free(h);
    return NULL;
}

void ev_h1_free(ev_h1_t *h)
{
    if (!h)
        return;
    while (h->conns) {
        ev_h1_conn_t *c = h->conns;

        c->x = NULL; /* abandoned: not touched */
        conn_free(h, c);
    }
    while (h->pools) {
        pool_t *p = h->pools;

        h->pools = p->next;
        if (p->lookup)
            p->lookup->pool = NULL; /* its answer is dropped */
        addrs_unref(p->addrs);
        free(p->host);
        free(p->hosthdr);
        free(p);
    }
    if (h->hub) {
        if (h->hub->evfd >= 0)
            epoll_ctl(h->cfg.epfd, EPOLL_CTL_DEL, h->hub->evfd, NULL);
        hub_unref(h->hub);
    }
    pthread_mutex_lock(&sess_lock);
    if (--clients == 0) {
        SSL_CTX_free(tls_ctx);
        tls_ctx = NULL;
        while (sessions) {
            sess_t *e = sessions;

            sessions = e->next;
            SSL_SESSION_free(e->s);
            free(e->key);
            free(e);
        }
    }
    pthread_mutex_unlock(&sess_lock);
    free(h);
}
