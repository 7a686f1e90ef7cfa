/*
 * deliver/idq.h - a first-in first-out queue of increasing job ids, stored
 * as variable-length deltas (one or two bytes per id when the ids of one
 * destination are close together). The engine keeps one per parked
 * destination so that reading its parked jobs back is a lookup by id, not a
 * scan of every stored job in the parked range.
 *
 * Not thread-safe: the engine thread owns its queues.
 */
#ifndef EV_DELIVER_IDQ_H
#define EV_DELIVER_IDQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct {
    uint8_t *p;
    size_t len, cap, off; /* bytes stored, allocated, already read */
    int64_t wlast, rlast; /* last id pushed, last id popped (0: none) */
    size_t n;             /* ids not yet popped */
} ev_idq_t;

#define EV_IDQ_INIT {NULL, 0, 0, 0, 0, 0, 0}

/* Appends `id`, which must be greater than every id pushed before. Returns 0,
 * or -1 (nothing changed) when the queue would grow past `max_bytes`
 * allocated. `*grown` receives the bytes the allocation grew by (0 or more).
 * Pop never reallocates: a copy of the struct taken before a pop restores
 * it, as long as nothing was pushed in between. */
EV_MUST_CHECK int ev_idq_push(ev_idq_t *q, int64_t id, size_t max_bytes, size_t *grown);

/* Takes up to `max` ids, oldest first, into `out`; returns how many. */
size_t ev_idq_pop(ev_idq_t *q, int64_t *out, size_t max);

/* Bytes allocated (what the queue costs in memory). */
size_t ev_idq_bytes(const ev_idq_t *q);

/* Frees the storage; the queue is empty and may be used again. */
void ev_idq_clear(ev_idq_t *q);

#endif
