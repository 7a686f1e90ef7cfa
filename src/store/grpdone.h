/*
 * store/grpdone.h - which jobs of the outbox's partly finished groups are
 * finished. The outbox stores the jobs of a commit as one row (store/jobgrp.h)
 * with ids [g, g + n); the row leaves once every job it stores is finished,
 * and one that waits long for a few jobs is stored again without the
 * finished ones. This map holds, per group, which jobs are finished, which
 * of those the row still stores, and how many it stores that are not. The
 * outbox's writer thread owns it (no locking here).
 */
#ifndef EV_STORE_GRPDONE_H
#define EV_STORE_GRPDONE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct ev_grpdone_ent ev_grpdone_ent_t;

typedef struct {
    ev_grpdone_ent_t **slot; /* open addressing by group id */
    size_t cap, used;
    size_t jobs;    /* finished jobs the groups held still store */
    int64_t now_ms; /* the caller's clock: a group held from now on counts from it */
    size_t young;   /* the last ev_grpdone_stale's groups that were stale but too young */
} ev_grpdone_t;

/* The largest group; bigger ones are refused. */
#define EV_GRPDONE_MAX 1024

/* Zero-initialized is an empty map. */
void ev_grpdone_free(ev_grpdone_t *d);

/*
 * Holds group (g, n) that stores `live` jobs (0 < live <= n), none of them
 * known finished: a group stored again without its finished jobs, seen at
 * open. 0, or -1 when out of range or held already.
 */
int ev_grpdone_hold(ev_grpdone_t *d, int64_t g, uint32_t n, uint32_t live);

/*
 * Records that job `id` of group (g, n) is finished; a group not held stores
 * all n. 1: that was the last stored job not finished: the group is
 * forgotten here, *stored = the jobs it still stores (all finished). 0:
 * recorded. -1: id outside [g, g + n), n out of range, or already recorded
 * (nothing changes).
 */
int ev_grpdone_mark(ev_grpdone_t *d, int64_t g, uint32_t n, int64_t id, uint32_t *stored);

/* 1 when job `id` of group g is recorded as finished. */
int ev_grpdone_has(const ev_grpdone_t *d, int64_t g, int64_t id);

/*
 * Lists in ids (up to max) the groups worth storing again without their
 * finished jobs: held since after_ms before d->now_ms or longer (or listed
 * last that long ago), and at least half of the jobs they store finished.
 * Returns the count; a group listed counts as listed at d->now_ms. Sets
 * d->young to the number of groups left out only for their age.
 */
size_t ev_grpdone_stale(ev_grpdone_t *d, int64_t after_ms, int64_t *ids, size_t max);

/* Group g is stored again without its finished jobs. Returns the jobs it
 * stores now (0 when g is not held). */
uint32_t ev_grpdone_rewritten(ev_grpdone_t *d, int64_t g);

/* Appends the finished jobs the groups held still store, as 8-byte
 * little-endian ids (in no particular order). */
void ev_grpdone_dump(const ev_grpdone_t *d, ev_buf_t *b);

#endif
