/*
 * deliver/h1parse.c - the HTTP/1.x response parser (see h1parse.h).
 *
 * Lines (status, headers, chunk sizes, trailers) are collected into
 * p->line, at most EV_H1_LINE_MAX bytes of each; a longer line is counted
 * and, unless it is one the parser must read whole, ignored. Lines end in
 * LF with an optional CR before it. Body bytes are passed through in bulk.
 */
#include "deliver/h1parse.h"

#include <string.h>
#include <strings.h>

enum {
    ST_STATUS,      /* status line */
    ST_HEADER,      /* header lines up to the empty one */
    ST_BODY_LEN,    /* Content-Length bytes */
    ST_BODY_EOF,    /* everything up to the close */
    ST_CHUNK_SIZE,  /* chunk-size line */
    ST_CHUNK_DATA,  /* chunk bytes */
    ST_CHUNK_END,   /* the CRLF after a chunk */
    ST_TRAILER,     /* trailer lines up to the empty one */
    ST_DONE,
};

void ev_h1resp_init(ev_h1resp_t *p, int head, ev_buf_t *body, size_t keep)
{
    memset(p, 0, offsetof(ev_h1resp_t, line));
    p->line[0] = '\0';
    p->head = head;
    p->body = body;
    p->keep = keep;
    p->state = ST_STATUS;
}

int ev_h1resp_done(const ev_h1resp_t *p)
{
    return p->state == ST_DONE;
}

static void keep_body(ev_h1resp_t *p, const char *b, size_t n)
{
    p->body_bytes += n;
    if (p->body && p->body->len < p->keep)
        ev_buf_add(p->body, b, n < p->keep - p->body->len ? n : p->keep - p->body->len);
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The header value of `line` when its name is `name` (trimmed), or NULL. */
static const char *header_value(char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    char *v, *end = line + len;

    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    v = line + n + 1;
    while (v < end && is_ows(*v))
        v++;
    while (end > v && is_ows(end[-1]))
        end--;
    *end = '\0';
    return v;
}

/* Whether the comma-separated list `v` holds `token` (any case). With
 * `last`, only its final element counts. */
static int has_token(const char *v, const char *token, int last)
{
    size_t n = strlen(token);
    int found = 0;

    while (*v) {
        const char *e;
        size_t len;

        while (is_ows(*v) || *v == ',')
            v++;
        e = v;
        while (*e && *e != ',')
            e++;
        len = (size_t)(e - v);
        while (len && is_ows(v[len - 1]))
            len--;
        if (len) {
            int match = len == n && strncasecmp(v, token, n) == 0;

            if (last)
                found = match;
            else if (match)
                return 1;
        }
        v = e;
    }
    return found;
}

static int parse_status(ev_h1resp_t *p)
{
    const char *l = p->line;

    if (p->cut || p->line_len < 12 || memcmp(l, "HTTP/1.", 7) != 0 ||
        (l[7] != '0' && l[7] != '1') || l[8] != ' ' || l[9] < '1' || l[9] > '5' ||
        l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
        (p->line_len > 12 && l[12] != ' '))
        return -1;
    p->minor = l[7] - '0';
    p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    return p->status == 101 ? -1 : 0; /* no upgrade was asked for */
}

static int parse_header(ev_h1resp_t *p)
{
    const char *v;
    int whole = !p->cut;

    if (p->line_len && is_ows(p->line[0]))
        return 0; /* an obsolete folded continuation: no header we read is folded */
    if ((v = header_value(p->line, p->line_len, "Content-Length"))) {
        uint64_t n = 0;

        if (!whole || !*v)
            return -1;
        for (; *v; v++) {
            if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
                return -1;
            n = n * 10 + (uint64_t)(*v - '0');
        }
        if (p->has_len && p->remaining != n)
            return -1; /* two different lengths */
        p->has_len = 1;
        p->remaining = n;
    } else if ((v = header_value(p->line, p->line_len, "Transfer-Encoding"))) {
        if (!whole)
            return -1;
        p->chunked = has_token(v, "chunked", 1);
        if (!p->chunked)
            p->conn_close = 1; /* another coding: the body runs to the close */
    } else if ((v = header_value(p->line, p->line_len, "Connection"))) {
        if (has_token(v, "close", 0))
            p->conn_close = 1;
        if (has_token(v, "keep-alive", 0))
            p->conn_keep = 1;
    } else if ((v = header_value(p->line, p->line_len, "Retry-After"))) {
        size_t n = strlen(v);

        if (n >= sizeof(p->retry_after))
            n = sizeof(p->retry_after) - 1;
        memcpy(p->retry_after, v, n);
        p->retry_after[n] = '\0';
    }
    return 0;
}

/* The empty line after the headers: what follows them. */
static void end_of_head(ev_h1resp_t *p)
{
    if (p->status < 200) { /* interim: the real response follows */
        int head = p->head;
        ev_buf_t *body = p->body;
        size_t keep = p->keep;
        uint64_t got = p->got;
        size_t head_bytes = p->head_bytes; /* interim heads count: no endless 1xx */

        ev_h1resp_init(p, head, body, keep);
        p->got = got;
        p->head_bytes = head_bytes;
        return;
    }
    p->keep_alive = p->minor == 1 ? !p->conn_close : p->conn_keep && !p->conn_close;
    if (p->head || p->status == 204 || p->status == 304) {
        p->state = ST_DONE;
    } else if (p->chunked) {
        p->state = ST_CHUNK_SIZE;
        if (p->has_len)
            p->keep_alive = 0; /* both framings: read the chunks, then close */
    } else if (p->has_len) {
        p->state = p->remaining ? ST_BODY_LEN : ST_DONE;
    } else {
        p->state = ST_BODY_EOF;
        p->keep_alive = 0;
    }
}

static int parse_chunk_size(ev_h1resp_t *p)
{
    uint64_t n = 0;
    size_t i = 0;

    for (; i < p->line_len; i++) {
        char c = p->line[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : -1;

        if (d < 0)
            break;
        if (n >> 60)
            return -1;
        n = n * 16 + (uint64_t)d;
    }
    if (i == 0)
        return -1;
    while (i < p->line_len && is_ows(p->line[i]))
        i++;
    if (i < p->line_len && p->line[i] != ';')
        return -1; /* only chunk extensions may follow the size */
    p->remaining = n;
    p->state = n ? ST_CHUNK_DATA : ST_TRAILER;
    return 0;
}

/* A whole line is in p->line: act on it. */
static int line_done(ev_h1resp_t *p)
{
    int rc = 0, empty;

    p->cut = p->line_total > p->line_len;
    if (!p->cut && p->line_len && p->line[p->line_len - 1] == '\r')
        p->line_len--;
    p->line[p->line_len] = '\0';
    empty = !p->cut && p->line_len == 0;
    switch (p->state) {
    case ST_STATUS:
        rc = parse_status(p);
        if (rc == 0)
            p->state = ST_HEADER;
        break;
    case ST_HEADER:
        if (empty)
            end_of_head(p);
        else
            rc = parse_header(p);
        break;
    case ST_CHUNK_SIZE:
        rc = p->cut ? -1 : parse_chunk_size(p);
        break;
    case ST_CHUNK_END:
        rc = empty ? 0 : -1;
        p->state = ST_CHUNK_SIZE;
        break;
    case ST_TRAILER:
        if (empty)
            p->state = ST_DONE;
        break;
    default:
        break;
    }
    p->line_len = 0;
    p->line_total = 0;
    return rc;
}

ssize_t ev_h1resp_feed(ev_h1resp_t *p, const char *buf, size_t len)
{
    size_t i = 0;

    while (i < len && p->state != ST_DONE) {
        if (p->state == ST_BODY_LEN || p->state == ST_CHUNK_DATA || p->state == ST_BODY_EOF) {
            size_t n = len - i;

            if (p->state != ST_BODY_EOF && n > p->remaining)
                n = (size_t)p->remaining;
            keep_body(p, buf + i, n);
            i += n;
            if (p->state == ST_BODY_EOF)
                continue;
            p->remaining -= n;
            if (p->remaining == 0)
                p->state = p->state == ST_BODY_LEN ? ST_DONE : ST_CHUNK_END;
            continue;
        }
        /* A line: up to the next LF. */
        {
            const char *nl = memchr(buf + i, '\n', len - i);
            size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
            size_t room = EV_H1_LINE_MAX - 1 - p->line_len;

            if (p->state == ST_STATUS || p->state == ST_HEADER || p->state == ST_TRAILER) {
                p->head_bytes += n + (nl ? 1 : 0);
                if (p->head_bytes > EV_H1_HEAD_MAX)
                    return -1;
            } else if (p->line_total + n > EV_H1_LINE_MAX) {
                return -1; /* chunk-size lines are short */
            }
            memcpy(p->line + p->line_len, buf + i, n < room ? n : room);
            p->line_len += n < room ? n : room;
            p->line_total += n;
            i += n;
            if (!nl)
                break;
            i++; /* the LF */
            if (line_done(p) != 0)
                return -1;
        }
    }
    p->got += i;
    return (ssize_t)i;
}

int ev_h1resp_eof(ev_h1resp_t *p)
{
    if (p->state == ST_BODY_EOF)
        p->state = ST_DONE;
    return p->state == ST_DONE;
}
