/*
 * store/grpdone.h - which jobs of the outbox's partly finished groups are
 * finished. The outbox stores the jobs one commit takes for one target as one
 * row (store/jobgrp.h) with ids [g, g + n); the row leaves once all of them
 * are finished. Until then this map holds, per group, a bitmap of the jobs
 * that are. The outbox's writer thread owns it (no locking here).
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
    size_t jobs; /* finished jobs of the groups held */
} ev_grpdone_t;

/* The largest group; ids of bigger groups are refused. */
#define EV_GRPDONE_MAX 1024

/* Zero-initialized is an empty map. */
void ev_grpdone_free(ev_grpdone_t *d);

/*
 * Records that job `id` of group (g, n) is finished. 1: that finishes the
 * group (it is forgotten here), 0: recorded, -1: id outside [g, g + n), n out
 * of range, or already recorded (nothing changes).
 */
int ev_grpdone_mark(ev_grpdone_t *d, int64_t g, uint32_t n, int64_t id);

/* 1 when job `id` of group g is recorded as finished. */
int ev_grpdone_has(const ev_grpdone_t *d, int64_t g, int64_t id);

/* Appends the finished ids of every group held as 8-byte little-endian
 * integers (in no particular order). */
void ev_grpdone_dump(const ev_grpdone_t *d, ev_buf_t *b);

#endif
