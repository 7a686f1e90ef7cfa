/*
 * server/http.c - libmicrohttpd front. Collects a request (body capped at
 * EV_MAX_BODY_BYTES, refused from Content-Length before reading), checks its
 * SigV4 signature, routes it and sends the JSON or XML answer. Every response
 * carries x-amzn-RequestId.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "server/route.h"
#include "server/sigv4.h"
#include "util/util.h"

struct ev_server {
    struct MHD_Daemon *mhd;
    ev_server_cfg_t cfg;
    uint16_t port;
};

typedef struct {
    char *body;
    size_t len;
    int too_large;
} pending_t;

typedef struct {
    ev_sigv4_header_t *h;
    size_t n, cap;
} header_list_t;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    header_list_t *l = cls;

    (void)kind;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->h = realloc(l->h, l->cap * sizeof(*l->h));
        if (!l->h)
            abort();
    }
    l->h[l->n].name = key;
    l->h[l->n].value = value ? value : "";
    l->n++;
    return MHD_YES;
}

/* Keeps the URL and query arguments as they came on the wire: SigV4 signs
 * the raw path, and the canonical query decodes and re-encodes itself. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    ev_buf_t *b = cls;

    (void)kind;
    if (b->len)
        ev_buf_addc(b, '&');
    ev_buf_adds(b, key);
    ev_buf_addc(b, '=');
    if (value)
        ev_buf_adds(b, value);
    return MHD_YES;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, const ev_reply_t *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "x-amzn-RequestId", r->request_id);
    MHD_add_response_header(resp, "Content-Type", r->content_type);
    if (r->error_type)
        MHD_add_response_header(resp, "x-amzn-ErrorType", r->error_type);
    if (r->query_error)
        MHD_add_response_header(resp, "x-amzn-query-error", r->query_error);
    ret = MHD_queue_response(conn, (unsigned int)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, ev_err e, const char *msg)
{
    ev_reply_t r;
    enum MHD_Result ret;

    memset(&r, 0, sizeof(r));
    ev_route_error_reply(&r, e, msg);
    ret = send_reply(conn, &r);
    ev_reply_free(&r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    ev_server_t *srv = cls;
    pending_t *p = *con_cls;
    header_list_t hl = {0};
    ev_buf_t query;
    ev_request_t req;
    ev_reply_t reply;
    enum MHD_Result ret;

    (void)version;
    if (!p) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

        p = ev_xcalloc(1, sizeof(*p));
        *con_cls = p;
        if (cl && strtoull(cl, NULL, 10) > EV_MAX_BODY_BYTES) {
            p->too_large = 1;
            return reply_error(conn, EV_ERR_REQUEST_TOO_LARGE,
                               "Request body is larger than 1048576 bytes.");
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!p->too_large) {
            if (p->len + *upload_size > EV_MAX_BODY_BYTES) {
                p->too_large = 1;
                free(p->body);
                p->body = NULL;
                *upload_size = 0;
                return reply_error(conn, EV_ERR_REQUEST_TOO_LARGE,
                                   "Request body is larger than 1048576 bytes.");
            }
            p->body = realloc(p->body, p->len + *upload_size + 1);
            if (!p->body)
                abort();
            memcpy(p->body + p->len, upload_data, *upload_size);
            p->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (p->too_large)
        return MHD_YES;

    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &hl);
    ev_buf_init(&query, 64 * 1024);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &query);
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = url;
    req.query = ev_buf_cstr(&query);
    req.headers = hl.h;
    req.nheaders = hl.n;
    req.body = p->body ? p->body : "";
    req.body_len = p->len;
    ev_route(&srv->cfg, &req, &reply);
    ret = send_reply(conn, &reply);
    ev_reply_free(&reply);
    ev_buf_free(&query);
    free(hl.h);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    pending_t *p = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (p) {
        free(p->body);
        free(p);
        *con_cls = NULL;
    }
}

ev_err ev_server_start(const ev_server_cfg_t *cfg, ev_server_t **out, char *msg, size_t msglen)
{
    ev_server_t *s = ev_xcalloc(1, sizeof(*s));
    struct sockaddr_storage ss;
    socklen_t sslen;
    const union MHD_DaemonInfo *info;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

    memset(&ss, 0, sizeof(ss));
    if (strchr(cfg->host, ':')) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(cfg->port);
        if (inet_pton(AF_INET6, cfg->host, &a6->sin6_addr) != 1)
            goto bad_host;
        sslen = sizeof(*a6);
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

        a4->sin_family = AF_INET;
        a4->sin_port = htons(cfg->port);
        if (inet_pton(AF_INET, cfg->host, &a4->sin_addr) != 1)
            goto bad_host;
        sslen = sizeof(*a4);
    }
    (void)sslen;
    s->cfg = *cfg;
    s->mhd = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
                              MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
                              MHD_OPTION_CONNECTION_LIMIT, 1000u,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                              MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
                              MHD_OPTION_END);
    if (!s->mhd) {
        snprintf(msg, msglen, "cannot listen on %s:%u (address in use or not available)",
                 cfg->host, cfg->port);
        free(s);
        return EV_ERR_INTERNAL;
    }
    info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    *out = s;
    return EV_OK;
bad_host:
    snprintf(msg, msglen, "--listen: '%s' is not a numeric IPv4 or IPv6 address", cfg->host);
    free(s);
    return EV_ERR_INTERNAL;
}

uint16_t ev_server_port(const ev_server_t *s)
{
    return s->port;
}

void ev_server_stop(ev_server_t *s)
{
    if (!s)
        return;
    /* Stop accepting first; MHD_stop_daemon then joins the workers, each of
     * which finishes the request it is handling. */
    MHD_socket fd = MHD_quiesce_daemon(s->mhd);

    MHD_stop_daemon(s->mhd);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    free(s);
}
