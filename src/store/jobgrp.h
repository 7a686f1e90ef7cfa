/*
 * store/jobgrp.h - the outbox's storage format for delivery jobs. One commit
 * stores the jobs it takes for one target (API destination, queue, bus) as one
 * row of `outbox_grp`: a blob of records, with consecutive ids from the row's
 * id. Jobs of one target are delivered in order, so a row is usually
 * finished as a whole and deleted at once; a row per job had each delete
 * rewrite a page somewhere in the table (jobs of a hundred targets finish out
 * of order), which cost more than the inserts.
 *
 * A record: u8 flags; when flags & 1, the route follows as five strings
 * (u32 length + bytes): account, region, bus, rule ARN, target id (otherwise
 * the previous record's route holds; the first record carries one); then the
 * event id (u32 length + bytes), the payload (u32 length + bytes), i64
 * event_ms, i64 due_ms. Integers are little-endian.
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
    EV_JOBGRP_ROUTE,                 /* the strings above are the route */
    EV_JOBGRP_EVENT_ID = EV_JOBGRP_ROUTE,
    EV_JOBGRP_NSTR
};

/* One job; decoded strings point into the blob (not NUL-terminated). */
typedef struct {
    const char *s[EV_JOBGRP_NSTR];
    size_t len[EV_JOBGRP_NSTR];
    const unsigned char *payload;
    size_t payload_len;
    int64_t event_ms, due_ms;
} ev_jobgrp_job_t;

/* Appends job j; prev: the record before it in this blob, NULL for the first. */
void ev_jobgrp_put(ev_buf_t *b, const ev_jobgrp_job_t *j, const ev_jobgrp_job_t *prev);

/*
 * Decodes the record at *off of blob[0..n) into j and advances *off. j must
 * come zeroed for the first record and hold the previous one after (its route
 * carries over). 1: a record, 0: the end, -1: malformed.
 */
int ev_jobgrp_next(const unsigned char *blob, size_t n, size_t *off, ev_jobgrp_job_t *j);

#endif
