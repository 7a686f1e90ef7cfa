/*
 * store/attlog.h - the delivery history's storage format. The outbox writer
 * stores the attempts of one commit as one row of `attempt_log` (a blob of
 * records) instead of one row each: a row insert costs ~5 us of the writer's
 * time, a record a few hundred ns. The store's history reader decodes them.
 *
 * A record: u8 version (1), i64 time_ms, i64 latency_ms, i32 attempt,
 * i32 status (little-endian), then nine strings as u16 length + bytes:
 * account, region, event id, rule ARN, target id, target ARN, outcome,
 * error (length 0xFFFF: none), response. Longer strings are cut.
 */
#ifndef EV_STORE_ATTLOG_H
#define EV_STORE_ATTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum {
    EV_ATTLOG_ACCOUNT,
    EV_ATTLOG_REGION,
    EV_ATTLOG_EVENT_ID,
    EV_ATTLOG_RULE_ARN,
    EV_ATTLOG_TARGET_ID,
    EV_ATTLOG_TARGET_ARN,
    EV_ATTLOG_OUTCOME,
    EV_ATTLOG_ERROR,
    EV_ATTLOG_RESPONSE,
    EV_ATTLOG_NSTR
};

/* One attempt; decoded strings point into the blob (not NUL-terminated). */
typedef struct {
    int64_t time_ms, latency_ms;
    int32_t attempt, status;
    const char *s[EV_ATTLOG_NSTR]; /* NULL: absent (only the error may be) */
    size_t len[EV_ATTLOG_NSTR];
} ev_attlog_rec_t;

/* Appends one record (NULL strings other than the error are stored empty). */
void ev_attlog_put(ev_buf_t *b, const ev_attlog_rec_t *r);

/*
 * Decodes the record at *off of blob[0..n) and advances *off. 1: a record,
 * 0: the end, -1: malformed (the rest of the blob cannot be read).
 */
int ev_attlog_next(const unsigned char *blob, size_t n, size_t *off, ev_attlog_rec_t *r);

#endif
