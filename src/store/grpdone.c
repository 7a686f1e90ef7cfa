/*
 * store/grpdone.c - the finished jobs of partly finished outbox groups: an
 * open-addressing map (linear probing, backward-shift deletion) from group id
 * to a bitmap.
 */
#include "store/grpdone.h"

#include <stdlib.h>

#include "store/le.h"
#include "util/util.h"

struct ev_grpdone_ent {
    int64_t g;
    uint32_t n, ndone;
    uint64_t bits[];
};

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

int ev_grpdone_mark(ev_grpdone_t *d, int64_t g, uint32_t n, int64_t id)
{
    ev_grpdone_ent_t *e;
    size_t i;
    uint64_t bit, off;

    if (n == 0 || n > EV_GRPDONE_MAX || id < g || (uint64_t)id - (uint64_t)g >= n)
        return -1;
    if (n == 1)
        return 1;
    if (2 * (d->used + 1) > d->cap)
        grow(d);
    i = find(d, g);
    e = d->slot[i];
    if (!e) {
        e = ev_xcalloc(1, sizeof(*e) + (n + 63) / 64 * sizeof(uint64_t));
        e->g = g;
        e->n = n;
        d->slot[i] = e;
        d->used++;
    } else if (e->n != n) {
        return -1;
    }
    off = (uint64_t)id - (uint64_t)g;
    bit = 1ull << (off % 64);
    if (e->bits[off / 64] & bit)
        return -1;
    e->bits[off / 64] |= bit;
    if (++e->ndone < e->n) {
        d->jobs++;
        return 0;
    }
    d->jobs -= e->n - 1;
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
    if (!e || id < g || (uint64_t)id - (uint64_t)g >= e->n)
        return 0;
    off = (uint64_t)id - (uint64_t)g;
    return (e->bits[off / 64] >> (off % 64)) & 1;
}

void ev_grpdone_dump(const ev_grpdone_t *d, ev_buf_t *b)
{
    for (size_t i = 0; i < d->cap; i++) {
        const ev_grpdone_ent_t *e = d->slot[i];

        for (uint32_t k = 0; e && k < e->n; k++) {
            if ((e->bits[k / 64] >> (k % 64)) & 1) {
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
