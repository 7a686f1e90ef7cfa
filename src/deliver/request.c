/*
 * deliver/request.c - builds the HTTP request of one API destination
 * invocation: '*' path parameters, merged query string (the connection wins
 * on a conflict), merged headers (the connection wins; a fixed list is
 * stripped; EventBridge's own headers are set), authorization from the
 * connection, and the body with the connection's body parameters merged
 * into JSON-object payloads.
 */
#include "deliver/request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "deliver/h1.h"
#include "util/util.h"

#define MAX_URL (64 * 1024)

static const char *const stripped[] = {
    "A-IM", "Accept-Charset", "Accept-Datetime", "Accept-Encoding", "Cache-Control",
    "Connection", "Content-Encoding", "Content-Length", "Content-MD5", "Date", "Expect",
    "Forwarded", "From", "Host", "HTTP2-Settings", "If-Match", "If-Modified-Since",
    "If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards", "Origin", "Pragma",
    "Proxy-Authorization", "Range", "Referer", "TE", "Trailer", "Transfer-Encoding",
    "User-Agent", "Upgrade", "Via", "Warning",
};

char *ev_url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    ev_buf_t b;

    ev_buf_init(&b, MAX_URL);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            ev_buf_addc(&b, (char)ch);
        } else {
            ev_buf_addc(&b, '%');
            ev_buf_addc(&b, hex[ch >> 4]);
            ev_buf_addc(&b, hex[ch & 15]);
        }
    }
    return ev_buf_steal(&b, NULL);
}

/* A name/value list with case-insensitive (headers) or exact (query) keys;
 * a later put replaces an earlier one in place. */
typedef struct {
    char **k, **v;
    size_t n, cap;
    int ci;
} kv_t;

static void kv_put(kv_t *l, const char *k, const char *v)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->ci ? strcasecmp(l->k[i], k) == 0 : strcmp(l->k[i], k) == 0) {
            ev_free_secret(l->v[i]);
            l->v[i] = ev_xstrdup(v);
            return;
        }
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->k = realloc(l->k, l->cap * sizeof(*l->k));
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (!l->k || !l->v)
            abort();
    }
    l->k[l->n] = ev_xstrdup(k);
    l->v[l->n++] = ev_xstrdup(v);
}

static void kv_free(kv_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->k[i]);
        ev_free_secret(l->v[i]);
    }
    free(l->k);
    free(l->v);
}

/* Adds the object members of a target map ({"k": "v"}). */
static void put_map(kv_t *l, const json_t *map)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)map, k, v)
        if (json_is_string(v))
            kv_put(l, k, json_string_value(v));
}

/* Adds a connection parameter list ([{"key", "value"}]). */
static void put_list(kv_t *l, const json_t *list)
{
    json_t *p;
    size_t i;

    json_array_foreach(list, i, p) {
        const char *k = json_string_value(json_object_get(p, "key"));
        const char *v = json_string_value(json_object_get(p, "value"));

        if (k && v)
            kv_put(l, k, v);
    }
}

static int is_stripped(const char *name)
{
    for (size_t i = 0; i < sizeof(stripped) / sizeof(stripped[0]); i++)
        if (strcasecmp(stripped[i], name) == 0)
            return 1;
    return 0;
}

/*
 * The connection's API key name as a header name: AWS accepts names with
 * inner blanks and any printable character; only an RFC 9110 token (blanks
 * around it trimmed) that is not a header EventBridge strips or sets can be
 * sent. NULL otherwise; else a copy to free.
 */
static char *api_key_header(const char *name)
{
    size_t a = strspn(name, " \t"), b = strlen(name);
    char *r;

    while (b > a && (name[b - 1] == ' ' || name[b - 1] == '\t'))
        b--;
    if (!ev_h1_is_token(name + a, b - a))
        return NULL;
    r = ev_xstrndup(name + a, b - a);
    if (is_stripped(r)) {
        free(r);
        return NULL;
    }
    return r;
}

/* Removes every header of that name (the connection's credentials win). */
static void remove_header(ev_http_request_t *out, const char *name)
{
    size_t n = strlen(name), w = 0;

    for (size_t i = 0; i < out->nheaders; i++) {
        if (strncasecmp(out->headers[i], name, n) == 0 && out->headers[i][n] == ':')
            ev_free_secret(out->headers[i]);
        else
            out->headers[w++] = out->headers[i];
    }
    out->nheaders = w;
}

static void add_header(ev_http_request_t *out, const char *name, const char *value)
{
    out->headers = realloc(out->headers, (out->nheaders + 1) * sizeof(*out->headers));
    if (!out->headers)
        abort();
    out->headers[out->nheaders++] = ev_xasprintf("%s: %s", name, value);
}

static ev_err build_url(const ev_request_in_t *in, ev_http_request_t *out, char **err)
{
    const json_t *values = json_object_get(in->target_http, "PathParameterValues");
    size_t next = 0;
    const char *p;
    kv_t q = {0};
    ev_buf_t b;
    int has_query;

    ev_buf_init(&b, MAX_URL);
    for (p = in->endpoint; *p; p++) {
        if (*p == '*') {
            json_t *v = json_array_get(values, next++);
            char *enc;

            if (!json_is_string(v)) {
                *err = ev_xstrdup("The endpoint has more '*' path parameters than the target's "
                                  "PathParameterValues.");
                ev_buf_free(&b);
                return EV_ERR_VALIDATION;
            }
            enc = ev_url_encode(json_string_value(v));
            ev_buf_adds(&b, enc);
            free(enc);
        } else {
            ev_buf_addc(&b, *p);
        }
    }
    /* The target's query parameters, then the connection's, which win. */
    put_map(&q, json_object_get(in->target_http, "QueryStringParameters"));
    put_list(&q, json_object_get(in->conn_http, "query_string_parameters"));
    has_query = strchr(ev_buf_cstr(&b), '?') != NULL;
    for (size_t i = 0; i < q.n; i++) {
        char *k = ev_url_encode(q.k[i]), *v = ev_url_encode(q.v[i]);

        ev_buf_addc(&b, has_query || i ? '&' : '?');
        ev_buf_adds(&b, k);
        ev_buf_addc(&b, '=');
        ev_buf_adds(&b, v);
        free(k);
        ev_free_secret(v);
    }
    kv_free(&q);
    if (b.failed) {
        ev_buf_free(&b);
        *err = ev_xstrdup("The request URL is too long.");
        return EV_ERR_VALIDATION;
    }
    out->url = ev_buf_steal(&b, NULL);
    return EV_OK;
}

/* JSON-object payloads get the connection's body parameters as members. */
static void build_body(const ev_request_in_t *in, ev_http_request_t *out)
{
    const json_t *params = json_object_get(in->conn_http, "body_parameters");
    json_t *obj = NULL, *p;
    size_t i;

    if (json_array_size(params) > 0)
        obj = json_loadb(in->payload, in->payload_len, JSON_DECODE_ANY, NULL);
    if (json_is_object(obj)) {
        json_array_foreach(params, i, p) {
            const char *k = json_string_value(json_object_get(p, "key"));
            const char *v = json_string_value(json_object_get(p, "value"));

            if (k && v)
                json_object_set_new(obj, k, json_string(v));
        }
        out->body = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
        out->body_len = out->body ? strlen(out->body) : 0;
    }
    if (!out->body) {
        out->body = ev_xmalloc(in->payload_len + 1);
        memcpy(out->body, in->payload, in->payload_len);
        out->body[in->payload_len] = '\0';
        out->body_len = in->payload_len;
    }
    json_decref(obj);
}

ev_err ev_request_build(const ev_request_in_t *in, ev_http_request_t *out, char **err)
{
    kv_t h = {0};
    const char *ctype = "application/json; charset=utf-8";
    ev_err rc;

    memset(out, 0, sizeof(*out));
    *err = NULL;
    h.ci = 1;
    out->method = in->method;
    rc = build_url(in, out, err);
    if (rc)
        return rc;
    put_map(&h, json_object_get(in->target_http, "HeaderParameters"));
    put_list(&h, json_object_get(in->conn_http, "header_parameters"));
    for (size_t i = 0; i < h.n; i++) {
        if (is_stripped(h.k[i]))
            continue;
        if (strcasecmp(h.k[i], "Content-Type") == 0)
            ctype = NULL; /* a custom Content-Type replaces the default */
        add_header(out, h.k[i], h.v[i]);
    }
    if (ctype)
        add_header(out, "Content-Type", ctype);
    add_header(out, "User-Agent", "Amazon/EventBridge/ApiDestinations");
    add_header(out, "Range", "bytes=0-1048575");
    add_header(out, "Accept-Encoding", "gzip,deflate");
    if (in->auth_type && strcmp(in->auth_type, "API_KEY") == 0) {
        const char *name = json_string_value(json_object_get(in->secret, "api_key_name"));
        const char *value = json_string_value(json_object_get(in->secret, "api_key_value"));

        if (name && value) {
            char *hname = api_key_header(name);

            if (!hname) {
                kv_free(&h);
                ev_request_free(out);
                *err = ev_xstrdup("The connection's API key name cannot be sent as an HTTP "
                                  "header name: it must be a token (RFC 9110) and not a header "
                                  "EventBridge sets or strips.");
                return EV_ERR_VALIDATION;
            }
            remove_header(out, hname);
            add_header(out, hname, value);
            free(hname);
        }
    } else if (in->auth_type && strcmp(in->auth_type, "BASIC") == 0) {
        const char *u = json_string_value(json_object_get(in->secret, "username"));
        const char *pw = json_string_value(json_object_get(in->secret, "password"));

        if (u && pw) {
            char *pair = ev_xasprintf("%s:%s", u, pw);
            char *b64 = ev_base64_encode((const unsigned char *)pair, strlen(pair));
            char *v = ev_xasprintf("Basic %s", b64);

            remove_header(out, "Authorization");
            add_header(out, "Authorization", v);
            ev_free_secret(pair);
            ev_free_secret(b64);
            ev_free_secret(v);
        }
    } else if (in->bearer) {
        char *v = ev_xasprintf("Bearer %s", in->bearer);

        remove_header(out, "Authorization");
        add_header(out, "Authorization", v);
        ev_free_secret(v);
    }
    kv_free(&h);
    if (strcmp(in->method, "GET") != 0 && strcmp(in->method, "HEAD") != 0)
        build_body(in, out);
    return EV_OK;
}

void ev_request_free(ev_http_request_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nheaders; i++)
        ev_free_secret(r->headers[i]);
    free(r->headers);
    ev_free_secret(r->url); /* its query may hold the connection's secret parameters */
    if (r->body) {
        ev_wipe(r->body, r->body_len);
        free(r->body);
    }
    memset(r, 0, sizeof(*r));
}
