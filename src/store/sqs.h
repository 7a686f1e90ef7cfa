/*
 * store/sqs.h - the SQS queues repository (queues and messages), used by
 * the SQS-compatible API (api/sqs.c) and by the delivery engine (SQS targets
 * and dead letters).
 *
 * Like every repository, each call runs inside the caller's transaction
 * (ev_store_begin / ev_store_end) and every row is scoped by (account,
 * region). Queues are standard queues: at-least-once, best-effort order.
 * A message is visible when visible_ms <= now; receiving it hides it for the
 * visibility timeout; it expires MessageRetentionPeriod after it was sent.
 */
#ifndef EV_STORE_SQS_H
#define EV_STORE_SQS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define EV_SQS_MAX_ATTRS 10 /* message attributes per message */

/*
 * A message attribute as on the wire. type is "String", "Number" or
 * "Binary", optionally followed by ".<custom label>"; value is the text of a
 * String or Number, or the base64 of a Binary's bytes.
 */
typedef struct {
    const char *name;
    const char *type;
    const char *value;
} ev_sqs_attr_t;

/*
 * Sends one message to the queue with that ARN, inside the caller's store
 * transaction. The queue must belong to sc (its ARN's account and region);
 * EV_ERR_NOT_FOUND when the queue does not exist (or the ARN names another
 * scope), EV_ERR_LIMIT_EXCEEDED when body and attributes exceed the queue's
 * MaximumMessageSize. SenderId is sc.account. message_id gets the new id.
 */
EV_MUST_CHECK ev_err ev_store_sqs_send(ev_store_t *st, ev_scope_t sc, const char *queue_arn,
                                       const char *body, size_t body_len,
                                       const ev_sqs_attr_t *attrs, size_t nattrs, int64_t now_ms,
                                       char message_id[37] /* OUT */);

/* ---- queues ---- */

typedef struct {
    char *name;
    char *arn;
    int64_t visibility_timeout; /* VisibilityTimeout, seconds */
    int64_t retention;          /* MessageRetentionPeriod, seconds */
    int64_t delay;              /* DelaySeconds */
    int64_t wait;               /* ReceiveMessageWaitTimeSeconds */
    int64_t max_size;           /* MaximumMessageSize, bytes */
    char *extra;                /* JSON object of the other attributes as set, or NULL */
    int64_t created_ms;
    int64_t modified_ms;
} ev_sqs_queue_t;

void ev_sqs_queue_clear(ev_sqs_queue_t *q);
/* EV_ERR_NOT_FOUND when absent. */
EV_MUST_CHECK ev_err ev_store_sqs_queue_get(ev_store_t *st, ev_scope_t sc, const char *name,
                                            ev_sqs_queue_t *out /* OUT */);
/* Inserts or replaces by name (messages are kept). */
EV_MUST_CHECK ev_err ev_store_sqs_queue_put(ev_store_t *st, ev_scope_t sc,
                                            const ev_sqs_queue_t *q);
/* Deletes a queue with its messages; deleting an absent queue succeeds. */
EV_MUST_CHECK ev_err ev_store_sqs_queue_delete(ev_store_t *st, ev_scope_t sc, const char *name);
/*
 * Queues ordered by name, names > after (NULL: from the start) starting with
 * prefix (NULL: any), at most limit. *out malloc'd; free with
 * ev_store_sqs_queue_list_free.
 */
EV_MUST_CHECK ev_err ev_store_sqs_queue_list(ev_store_t *st, ev_scope_t sc, const char *prefix,
                                             const char *after, int limit,
                                             ev_sqs_queue_t **out, size_t *n_out);
void ev_store_sqs_queue_list_free(ev_sqs_queue_t *list, size_t n);

/* Unexpired messages of a queue: visible, in flight (received, hidden) and
 * delayed (never received, hidden). */
typedef struct {
    int64_t visible;
    int64_t in_flight;
    int64_t delayed;
} ev_sqs_counts_t;

EV_MUST_CHECK ev_err ev_store_sqs_counts(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                                         int64_t now_ms, ev_sqs_counts_t *out /* OUT */);
/* Deletes every message of a queue. */
EV_MUST_CHECK ev_err ev_store_sqs_purge(ev_store_t *st, ev_scope_t sc, const char *name);

/* ---- messages ---- */

/* Lowercase hex MD5 of n bytes (MD5OfMessageBody). */
void ev_store_sqs_md5(const void *p, size_t n, char out[33]);
/*
 * MD5OfMessageAttributes as SQS computes it: attributes sorted by name, each
 * as 4-byte big-endian length + name, length + type, one transport byte (1:
 * String/Number text, 2: Binary bytes, decoded), length + value. "" when n is 0.
 */
void ev_store_sqs_md5_attrs(const ev_sqs_attr_t *attrs, size_t n, char out[33]);
/* Bytes a message counts against MaximumMessageSize: body plus every
 * attribute's name, type and value (a Binary's decoded bytes). */
size_t ev_store_sqs_size(size_t body_len, const ev_sqs_attr_t *attrs, size_t n);

/* One message to enqueue. attrs must have distinct names (at most EV_SQS_MAX_ATTRS). */
typedef struct {
    const char *body;
    size_t body_len;
    const ev_sqs_attr_t *attrs;
    size_t nattrs;
    int64_t delay;         /* seconds; < 0: the queue's DelaySeconds */
    const char *sender_id; /* SenderId system attribute */
} ev_sqs_send_t;

typedef struct {
    char message_id[37];
    char md5_body[33];
    char md5_attrs[33]; /* "" without attributes */
} ev_sqs_sent_t;

/* Appends a message to queue q (already loaded; sizes are the caller's to check). */
EV_MUST_CHECK ev_err ev_store_sqs_enqueue(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                                          const ev_sqs_send_t *m, int64_t now_ms,
                                          ev_sqs_sent_t *out /* OUT */);

/* A received message; strings malloc'd. */
typedef struct {
    char *message_id;
    char *receipt_handle; /* new for every receive */
    char *body;           /* NUL-terminated, body_len bytes */
    size_t body_len;
    char *md5_body;
    char *attributes;     /* JSON object {name: {DataType, StringValue | BinaryValue}} or NULL */
    char *sender_id;
    int64_t sent_ms;
    int64_t first_receive_ms;
    int64_t receive_count; /* including this receive */
} ev_sqs_message_t;

/*
 * Receives up to max visible messages (oldest visibility first) and hides
 * each for visibility seconds. Expired messages are deleted first. *next_ms
 * is when the earliest hidden message becomes visible (INT64_MAX: none).
 * *out malloc'd (NULL when none); free with ev_store_sqs_messages_free.
 */
EV_MUST_CHECK ev_err ev_store_sqs_receive(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                                          int max, int64_t visibility, int64_t now_ms,
                                          ev_sqs_message_t **out, size_t *n_out,
                                          int64_t *next_ms /* OUT */);
void ev_store_sqs_messages_free(ev_sqs_message_t *list, size_t n);

/*
 * Deletes the message a receipt handle of queue q refers to. EV_ERR_VALIDATION
 * when the handle is not one this store issued for q; EV_OK when the message
 * is already gone (as SQS does for stale handles).
 */
EV_MUST_CHECK ev_err ev_store_sqs_delete(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                                         const char *receipt_handle);
/*
 * Hides the message of a receipt handle for visibility seconds from now.
 * EV_ERR_VALIDATION for a handle not issued for q, EV_ERR_NOT_FOUND when the
 * message is gone or was never received.
 */
EV_MUST_CHECK ev_err ev_store_sqs_change_visibility(ev_store_t *st, ev_scope_t sc,
                                                    const ev_sqs_queue_t *q,
                                                    const char *receipt_handle,
                                                    int64_t visibility, int64_t now_ms);

#endif
