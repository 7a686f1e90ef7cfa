/*
 * store/grpdone.c - the finished jobs of partly finished outbox groups: an
 * open-addressing map (linear probing, backward-shift deletion) from group id
 * to two bitmaps (finished; finished and still stored).
 */
#include "store/grpdone.h"

#include <stdlib.h>

#include "store/le.h"
#include "util/util.h"

struct ev_grpdone_ent {
    int64_t g;
    uint32_t n;
    uint32_t open;    /* stored jobs not finished */
    uint32_t fresh;   /* stored jobs finished */
    int64_t since_ms; /* held since, or last listed as stale */
    uint64_t *stored; /* finished and still stored: bits[w..2w) */
    uint64_t bits[];  /* finished: bits[0..w) */
};

static size_t words(uint32_t n)
{
    return (n + 63) / 64;
}

static size_t home(const ev_grpdone_t *d, int64_t g)
{
    return (size_t)(((uint64_t)g * 0x9E3779B97F4A7C15ull) >> 17) & (d->cap - 1);
}

/* The slot of group g, or of the empty slot where it would go. */
static size_t find(const ev_grpdone_t *d, int64_t g)
{
    size_t i = home(d, g);

    while (d->slot[i] && d->slot[i]->g != g)
        i = (i + 1) & (d->cap - 1);
    return i;
}

static void grow(ev_grpdone_t *d)
{
    ev_grpdone_ent_t **old = d->slot;
    size_t oldcap = d->cap;

    d->cap = oldcap ? 2 * oldcap : 64;
    d->slot = ev_xcalloc(d->cap, sizeof(*d->slot));
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            d->slot[find(d, old[i]->g)] = old[i];
    free(old);
}

/* Empties slot i and moves back the entries after it that probed past it. */
static void remove_at(ev_grpdone_t *d, size_t i)
{
    size_t j = i, mask = d->cap - 1;

    free(d->slot[i]);
    d->slot[i] = NULL;
    d->used--;
    for (;;) {
        size_t k;

        j = (j + 1) & mask;
        if (!d->slot[j])
            return;
        k = home(d, d->slot[j]->g);
        /* The entry at j may move to i unless its home lies cyclically in (i, j]. */
        if ((i < j) ? (k <= i || k > j) : (k <= i && k > j)) {
            d->slot[i] = d->slot[j];
            d->slot[j] = NULL;
            i = j;
        }
    }
}

static int in_range(int64_t g, uint32_t n, int64_t id)
{
    return n > 0 && n <= EV_GRPDONE_MAX && id >= g && (uint64_t)id - (uint64_t)g < n;
}

/* The slot for group g, created (storing `live` jobs) when absent. */
static size_t slot_for(ev_grpdone_t *d, int64_t g, uint32_t n, uint32_t live)
{
    ev_grpdone_ent_t *e;
    size_t i;

    if (2 * (d->used + 1) > d->cap)
        grow(d);
    i = find(d, g);
    if (!d->slot[i]) {
        e = ev_xcalloc(1, sizeof(*e) + 2 * words(n) * sizeof(uint64_t));
        e->g = g;
        e->n = n;
        e->open = live;
        e->since_ms = d->now_ms;
        e->stored = e->bits + words(n);
        d->slot[i] = e;
        d->used++;
    }
    return i;
}

int ev_grpdone_hold(ev_grpdone_t *d, int64_t g, uint32_t n, uint32_t live)
{
    if (!in_range(g, n, g) || live == 0 || live > n ||
        (d->cap && d->slot[find(d, g)]))
        return -1;
    (void)slot_for(d, g, n, live);
    return 0;
}

int ev_grpdone_mark(ev_grpdone_t *d, int64_t g, uint32_t n, int64_t id, uint32_t *stored)
{
    ev_grpdone_ent_t *e = NULL;
    size_t i = 0;
    uint64_t bit, off;

    if (!in_range(g, n, id))
        return -1;
    off = (uint64_t)id - (uint64_t)g;
    bit = 1ull << (off % 64);
    if (d->cap) {
        i = find(d, g);
        e = d->slot[i];
    }
    if (e && (e->n != n || (e->bits[off / 64] & bit)))
        return -1;
    if (!e) {
        if (n == 1) { /* finished as soon as it is */
            *stored = 1;
            return 1;
        }
        i = slot_for(d, g, n, n);
        e = d->slot[i];
    }
    e->bits[off / 64] |= bit;
    e->stored[off / 64] |= bit;
    e->fresh++;
    d->jobs++;
    if (--e->open > 0)
        return 0;
    *stored = e->fresh;
    d->jobs -= e->fresh;
    remove_at(d, i);
    return 1;
}

int ev_grpdone_has(const ev_grpdone_t *d, int64_t g, int64_t id)
{
    const ev_grpdone_ent_t *e;
    uint64_t off;

    if (!d->cap)
        return 0;
    e = d->slot[find(d, g)];
    if (!e || !in_range(g, e->n, id))
        return 0;
    off = (uint64_t)id - (uint64_t)g;
    return (e->bits[off / 64] >> (off % 64)) & 1;
}

size_t ev_grpdone_stale(ev_grpdone_t *d, int64_t after_ms, int64_t *ids, size_t max)
{
    size_t k = 0;

    d->young = 0;
    for (size_t i = 0; i < d->cap && k < max; i++) {
        ev_grpdone_ent_t *e = d->slot[i];

        if (!e || e->fresh == 0 || 2 * e->fresh < e->fresh + e->open)
            continue;
        if (d->now_ms - e->since_ms < after_ms) {
            d->young++;
            continue;
        }
        ids[k++] = e->g;
        e->since_ms = d->now_ms;
    }
    return k;
}

uint32_t ev_grpdone_rewritten(ev_grpdone_t *d, int64_t g)
{
    ev_grpdone_ent_t *e;

    if (!d->cap || !(e = d->slot[find(d, g)]))
        return 0;
    for (size_t w = 0; w < words(e->n); w++)
        e->stored[w] = 0;
    d->jobs -= e->fresh;
    e->fresh = 0;
    return e->open;
}

void ev_grpdone_dump(const ev_grpdone_t *d, ev_buf_t *b)
{
    for (size_t i = 0; i < d->cap; i++) {
        const ev_grpdone_ent_t *e = d->slot[i];

        for (uint32_t k = 0; e && e->fresh && k < e->n; k++) {
            if ((e->stored[k / 64] >> (k % 64)) & 1) {
                unsigned char le[8];

                ev_le_put(le, (uint64_t)(e->g + k), 8);
                ev_buf_add(b, le, sizeof(le));
            }
        }
    }
}

void ev_grpdone_free(ev_grpdone_t *d)
{
    for (size_t i = 0; i < d->cap; i++)
        free(d->slot[i]);
    free(d->slot);
    d->slot = NULL;
    d->cap = d->used = d->jobs = 0;
}
