/*
 * match/mutil.c - small helpers for the match/ module: allocation that aborts
 * on failure, growable arrays, a bump arena for pattern ASTs and a strict
 * UTF-8 sequence check (the byte-string hash is inline in match_int.h).
 * Kept here, not in util/, so that match/ links without the rest of the server.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

void *ev__mx_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        abort();
    return p;
}

void *ev__mx_calloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);

    if (!p)
        abort();
    return p;
}

void *ev__mx_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q)
        abort();
    return q;
}

char *ev__mx_memdup(const void *p, size_t n)
{
    char *q = ev__mx_alloc(n + 1);

    if (n)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

char *ev__mx_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    s = ev__mx_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void *ev__mx_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 8;

    while (c < need) {
        if (c > ((size_t)-1) / 4 / elem)
            abort();
        c *= 2;
    }
    p = ev__mx_realloc(p, c * elem);
    *cap = c;
    return p;
}

/* --- arena ---------------------------------------------------------------- */

struct ev__arena_chunk {
    ev__arena_chunk_t *next;
    size_t size;
    /* data follows, max-aligned */
};

#define ARENA_ALIGN 16
#define ARENA_HDR ((sizeof(ev__arena_chunk_t) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

void *ev__arena_alloc(ev__arena_t *a, size_t n)
{
    ev__arena_chunk_t *c;
    size_t sz;
    char *base;

    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (!a->head || a->size - a->used < n) {
        /* Start small (most patterns are tiny), double up to 4 KiB chunks. */
        sz = a->head ? (a->head->size < 4096 ? a->head->size * 2 : 4096) : 512;
        if (sz < n)
            sz = n;
        c = ev__mx_alloc(ARENA_HDR + sz);
        c->next = a->head;
        c->size = sz;
        a->head = c;
        a->used = 0;
        a->size = sz;
    }
    base = (char *)a->head + ARENA_HDR + a->used;
    a->used += n;
    memset(base, 0, n);
    return base;
}

char *ev__arena_memdup(ev__arena_t *a, const void *p, size_t n)
{
    char *q = ev__arena_alloc(a, n + 1);

    if (n)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

void ev__arena_free(ev__arena_t *a)
{
    ev__arena_chunk_t *c = a->head, *next;

    while (c) {
        next = c->next;
        free(c);
        c = next;
    }
    memset(a, 0, sizeof(*a));
}

/* --- UTF-8 ---------------------------------------------------------------- */

size_t ev__utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);

    if (c < 0x80)
        return 1;
    if (c < 0xc2)
        return 0;
    if (c < 0xe0) {
        if (avail < 2 || (p[1] & 0xc0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xf0) {
        if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && p[1] < 0xa0)
            return 0; /* overlong */
        if (c == 0xed && p[1] > 0x9f)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xf5) {
        if (avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
            (p[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && p[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xf4 && p[1] > 0x8f)
            return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}
