/*
 * core/buf.c - growable byte buffer with a limit and a sticky failure.
 */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void ev_buf_init(ev_buf_t *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit;
}

void ev_buf_free(ev_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static int reserve(ev_buf_t *b, size_t extra)
{
    size_t need;

    if (b->failed)
        return -1;
    if (extra > b->limit || b->len > b->limit - extra) {
        b->failed = 1;
        return -1;
    }
    need = b->len + extra + 1;
    if (need > b->cap) {
        /* Most buffers hold an envelope or an answer of a few hundred bytes. */
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < need)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    return 0;
}

void ev_buf_reserve(ev_buf_t *b, size_t extra)
{
    if (!b->failed && extra <= b->limit && b->len <= b->limit - extra)
        (void)reserve(b, extra);
}

void ev_buf_add(ev_buf_t *b, const void *data, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ev_buf_addc(ev_buf_t *b, char c)
{
    ev_buf_add(b, &c, 1);
}

void ev_buf_adds(ev_buf_t *b, const char *s)
{
    ev_buf_add(b, s, strlen(s));
}

void ev_buf_printf(ev_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        ev_buf_add(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *ev_buf_cstr(ev_buf_t *b)
{
    return b->p ? b->p : "";
}

char *ev_buf_steal(ev_buf_t *b, size_t *len)
{
    char *p = b->p ? b->p : ev_xstrdup("");

    if (len)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void ev_buf_json_string(ev_buf_t *b, const char *s, size_t n, int upper)
{
    const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t run = 0;

    ev_buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[6] = {'\\', 0, 'u', '0', '0', 0};
        size_t elen = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            memmove(e + 1, e + 2, 3); /* "\u00" */
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            elen = 6;
        }
        ev_buf_add(b, s + run, i - run);
        ev_buf_add(b, e, elen);
        run = i + 1;
    }
    ev_buf_add(b, s + run, n - run);
    ev_buf_addc(b, '"');
}

