/*
 * store/jobgrp.h - the outbox's storage format for delivery jobs. One commit
 * stores the jobs it takes as one row of `outbox_grp` (up to a size: a
 * group), a blob of records with ids [id, id + n) from the row's id. A row
 * leaves in one delete once every job in it is finished; one whose jobs
 * finish but a few (a slow or failing target's) is rewritten with just
 * those, so records carry their id. A row per job had each delete rewrite a
 * page somewhere in the table (jobs of a hundred targets finish out of
 * order), which cost more than the inserts; a row of a commit's jobs is
 * written once, as overflow pages, and freed without a rewrite.
 *
 * A record: u8 flags; when flags & 1, the route follows as six strings
 * (u32 length + bytes): account, region, bus, rule ARN, target id, target
 * ARN (otherwise the previous record's route holds; the first record carries
 * one); u32 id delta (from the previous record's id; the first's from the
 * row's id); the event id (u32 length + bytes), the payload (u32 length +
 * bytes), i64 event_ms, i64 due_ms. Integers are little-endian.
 */
#ifndef EV_STORE_JOBGRP_H
#define EV_STORE_JOBGRP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum {
    EV_JOBGRP_ACCOUNT,
    EV_JOBGRP_REGION,
    EV_JOBGRP_BUS,
    EV_JOBGRP_RULE_ARN,
    EV_JOBGRP_TARGET_ID,
    EV_JOBGRP_TARGET_ARN,
    EV_JOBGRP_ROUTE,                 /* the strings above are the route */
    EV_JOBGRP_EVENT_ID = EV_JOBGRP_ROUTE,
    EV_JOBGRP_NSTR
};

/* One job; decoded strings point into the blob (not NUL-terminated). */
typedef struct {
    int64_t id;
    const char *s[EV_JOBGRP_NSTR];
    size_t len[EV_JOBGRP_NSTR];
    const unsigned char *payload;
    size_t payload_len;
    int64_t event_ms, due_ms;
} ev_jobgrp_job_t;

/*
 * Appends job j; prev: the record before it in this blob, NULL for the first
 * (whose id counts from `base`, the row's id). Ids ascend: j->id - base (or
 * prev->id) must be in [0, 2^32). 0, or -1 when it is not (nothing appended).
 */
int ev_jobgrp_put(ev_buf_t *b, const ev_jobgrp_job_t *j, const ev_jobgrp_job_t *prev,
                  int64_t base);

/*
 * Decodes the record at *off of blob[0..n) into j and advances *off; base:
 * the row's id. j must come zeroed for the first record (*off == 0) and hold
 * the previous one after (its route and id carry over). 1: a record, 0: the
 * end, -1: malformed.
 */
int ev_jobgrp_next(const unsigned char *blob, size_t n, size_t *off, ev_jobgrp_job_t *j,
                   int64_t base);

#endif
