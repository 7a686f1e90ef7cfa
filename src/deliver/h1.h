/*
 * deliver/h1.h - the HTTP/1.1 client that carries API destination
 * deliveries: one request per transfer over kept-alive connections (plain
 * TCP or TLS with OpenSSL, certificates verified against the system's trust
 * store and an optional extra CA file), host names resolved off the calling
 * thread, a whole-transfer timeout, redirects never followed, the first
 * bytes of each response body kept.
 *
 * It is driven by one thread (a sender, sender.c) around its own epoll set:
 * every registration carries a pointer whose first member is an int tag, so
 * the thread hands events of tag EV_H1_TAG_* here and keeps its own. Nothing
 * here is thread-safe; each sender has its own client.
 */
#ifndef EV_DELIVER_H1_H
#define EV_DELIVER_H1_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* The first int of every pointer this client registers in the epoll set. */
#define EV_H1_TAG_CONN 0x6831636e
#define EV_H1_TAG_RESOLVER 0x68317273

typedef enum {
    EV_H1_OK = 0,
    EV_H1_URL,        /* the URL cannot be used */
    EV_H1_RESOLVE,    /* the host name does not resolve */
    EV_H1_CONNECT,    /* no address accepted a connection */
    EV_H1_TLS,        /* the TLS handshake failed */
    EV_H1_PEER_CERT,  /* the server's certificate is not trusted for that host */
    EV_H1_SEND,       /* the request could not be written */
    EV_H1_RECV,       /* the connection failed while reading the response */
    EV_H1_NOTHING,    /* the connection closed before any response byte */
    EV_H1_WEIRD,      /* the reply is not an HTTP/1.x response */
    EV_H1_TIMEOUT,    /* the transfer took longer than the timeout */
} ev_h1_err;

typedef struct ev_h1 ev_h1_t;
typedef struct ev_h1_conn ev_h1_conn_t;

typedef struct ev_h1_xfer {
    /* In: set by the caller, untouched until the transfer is done. */
    const char *url;      /* http:// or https:// */
    const char *method;
    char *const *headers; /* "Name: value" lines (no CR or LF) */
    size_t nheaders;
    const char *body;     /* NULL: no body and no Content-Length */
    size_t body_len;
    ev_buf_t *resp;       /* receives the body's first resp_keep bytes (NULL: none) */
    size_t resp_keep;
    void *ud;

    /* Out: valid once done. */
    ev_h1_err err;
    int status;                 /* the HTTP status when err == EV_H1_OK */
    char retry_after[128];      /* the Retry-After header, trimmed; "" when none */
    char detail[160];           /* what went wrong, in more words (may be "") */

    /* The client's. */
    ev_h1_conn_t *conn;
    struct ev_h1_pool *pool;    /* scheme, host and port of url */
    const char *target;         /* path and query of url */
    size_t target_len;
    int64_t deadline_ms;
    int resent;                 /* sent again once on a fresh connection */
    struct ev_h1_xfer *tnext, *tprev; /* transfers by deadline */
} ev_h1_xfer_t;

typedef struct {
    int epfd;                   /* the driving thread's epoll set */
    int64_t timeout_ms;         /* per transfer, from start to the end of the response */
    const char *ca_file;        /* PEM certificates trusted besides the system's, or NULL */
    /* Called on the driving thread for every transfer that ends. */
    void (*done)(ev_h1_xfer_t *x, void *arg);
    void *done_arg;
} ev_h1_cfg_t;

/* NULL (and a reason in msg) when its name-lookup wake-up cannot be set up. The TLS
 * context is made at the first https connection and shared by every client. */
ev_h1_t *ev_h1_new(const ev_h1_cfg_t *cfg, char *msg, size_t msglen);

/* Starts a transfer; it ends in cfg.done (possibly before this returns). */
void ev_h1_start(ev_h1_t *h, ev_h1_xfer_t *x);

/* An epoll event for a pointer whose tag is EV_H1_TAG_*. */
void ev_h1_event(ev_h1_t *h, void *ptr, uint32_t events);

/* Ends transfers past their deadline and closes long-idle connections;
 * returns the milliseconds until it next needs calling (-1: no transfer). */
int64_t ev_h1_tick(ev_h1_t *h);

/* Closes every connection. Transfers still running are abandoned without a
 * callback (their memory is not touched). */
void ev_h1_free(ev_h1_t *h);

/* A short description of an error ("Timeout was reached", ...). */
const char *ev_h1_strerror(ev_h1_err err);

/* s[0..n) is a token of RFC 9110 (a header name, a method) and n > 0. */
int ev_h1_is_token(const char *s, size_t n);

/* Name lookups started by every client so far (one per origin at a time,
 * answers cached for 60 s): for tests and metrics. */
long ev_h1_lookups_started(void);

#endif
