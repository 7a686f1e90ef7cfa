/*
 * deliver/idq.c - the parked-id queue: LEB128 deltas in one growing buffer,
 * read from the front; the read part is dropped when it is most of the
 * buffer.
 */
#include "deliver/idq.h"

#include <stdlib.h>
#include <string.h>

int ev_idq_push(ev_idq_t *q, int64_t id, size_t max_bytes, size_t *grown)
{
    uint64_t delta = (uint64_t)(id - q->wlast);
    uint8_t tmp[10];
    size_t k = 0;

    *grown = 0;
    do {
        uint8_t b = delta & 0x7f;

        delta >>= 7;
        tmp[k++] = (uint8_t)(b | (delta ? 0x80 : 0));
    } while (delta);
    if (q->len + k > q->cap) {
        size_t cap;
        uint8_t *p;

        if (q->off > 0) { /* drop what was read before growing */
            memmove(q->p, q->p + q->off, q->len - q->off);
            q->len -= q->off;
            q->off = 0;
        }
        if (q->len + k > q->cap) {
            cap = q->cap ? 2 * q->cap : 256;
            if (cap > max_bytes)
                cap = max_bytes;
            if (cap < q->len + k)
                return -1;
            p = realloc(q->p, cap);
            if (!p)
                return -1;
            *grown = cap - q->cap;
            q->p = p;
            q->cap = cap;
        }
    }
    memcpy(q->p + q->len, tmp, k);
    q->len += k;
    q->wlast = id;
    q->n++;
    return 0;
}

size_t ev_idq_pop(ev_idq_t *q, int64_t *out, size_t max)
{
    size_t got = 0;

    while (got < max && q->n > 0) {
        uint64_t delta = 0;
        unsigned shift = 0;
        uint8_t b;

        do {
            b = q->p[q->off++];
            delta |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
        } while (b & 0x80);
        q->rlast += (int64_t)delta;
        out[got++] = q->rlast;
        q->n--;
    }
    if (q->n == 0) { /* empty: start over at the front, keep the buffer */
        q->len = 0;
        q->off = 0;
    }
    return got;
}

size_t ev_idq_bytes(const ev_idq_t *q)
{
    return q->cap;
}

void ev_idq_clear(ev_idq_t *q)
{
    free(q->p);
    memset(q, 0, sizeof(*q));
}
