/*
 * store/store.h - the SQLite store: schema and migrations, transactions, and
 * one small repository per entity. The only code that writes SQL.
 *
 * Every row is scoped by (account, region). Callers bracket each operation
 * with ev_store_begin / ev_store_end: one transaction, one thread at a time.
 */
#ifndef EV_STORE_STORE_H
#define EV_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct ev_store ev_store_t;

/*
 * Opens (creating if needed) the database at path in WAL mode with
 * synchronous=FULL and applies pending migrations. A corrupt database or one
 * written by a newer evbridge is refused with a clear message, never changed.
 */
EV_MUST_CHECK ev_err ev_store_open(const char *path, ev_store_t **out /* OUT */, char *msg,
                                   size_t msglen);
void ev_store_close(ev_store_t *st);

/* Schema version this build writes. */
int ev_store_schema_version(void);

/* Takes the store lock and begins a transaction (write=1: BEGIN IMMEDIATE). */
EV_MUST_CHECK ev_err ev_store_begin(ev_store_t *st, int write);
/* Commits when rc == EV_OK, else rolls back; releases the lock. Returns the
 * commit's error if it fails, else rc. */
ev_err ev_store_end(ev_store_t *st, ev_err rc);

/* Resource scope of every repository call. */
typedef struct {
    const char *account;
    const char *region;
} ev_scope_t;

/* Server-wide key/value settings (not scoped). *value malloc'd. */
EV_MUST_CHECK ev_err ev_store_meta_get(ev_store_t *st, const char *key, unsigned char **value,
                                       size_t *n);
EV_MUST_CHECK ev_err ev_store_meta_put(ev_store_t *st, const char *key,
                                       const unsigned char *value, size_t n);

/* ---- connections ---- */

typedef struct {
    char *name;
    char *arn;
    char *description;      /* NULL when unset */
    char *auth_type;        /* BASIC | API_KEY | OAUTH_CLIENT_CREDENTIALS */
    char *state;
    char *state_reason;     /* NULL when unset */
    char *auth_public;      /* JSON: DescribeConnection AuthParameters (redacted) */
    char *connectivity;     /* JSON: InvocationConnectivityParameters, NULL when unset */
    char *kms_key;          /* KmsKeyIdentifier as given, NULL when unset */
    char *secret_arn;       /* NULL while the connection has no secret */
    int64_t created_ms;
    int64_t modified_ms;
    int64_t authorized_ms;
} ev_connection_t;

void ev_connection_clear(ev_connection_t *c);

/* EV_ERR_NOT_FOUND when absent. */
EV_MUST_CHECK ev_err ev_store_conn_get(ev_store_t *st, ev_scope_t sc, const char *name,
                                       ev_connection_t *out /* OUT */);
/* Inserts or replaces by name. */
EV_MUST_CHECK ev_err ev_store_conn_put(ev_store_t *st, ev_scope_t sc, const ev_connection_t *c);
EV_MUST_CHECK ev_err ev_store_conn_delete(ev_store_t *st, ev_scope_t sc, const char *name);
EV_MUST_CHECK ev_err ev_store_conn_count(ev_store_t *st, ev_scope_t sc, int64_t *n);

/*
 * Lists connections ordered by name, names > after (NULL: from the start),
 * optional prefix and state filters, at most limit entries. *n_out entries in
 * *out (malloc'd array, free with ev_store_conn_list_free).
 */
EV_MUST_CHECK ev_err ev_store_conn_list(ev_store_t *st, ev_scope_t sc, const char *prefix,
                                        const char *state, const char *after, int limit,
                                        ev_connection_t **out, size_t *n_out);
void ev_store_conn_list_free(ev_connection_t *list, size_t n);

/* ---- secrets (ciphertext only) ---- */

typedef struct {
    char *arn;
    char *name;
    char *owning_service;
    char *kms_key_id;
    char *version_id;
    unsigned char *wrapped_key; /* data key sealed under the KMS key */
    size_t wrapped_key_len;
    unsigned char *ciphertext;  /* secret sealed under the data key */
    size_t ciphertext_len;
    int64_t created_ms;
    int64_t changed_ms;
} ev_secret_t;

void ev_secret_clear(ev_secret_t *s);
EV_MUST_CHECK ev_err ev_store_secret_get(ev_store_t *st, ev_scope_t sc, const char *arn,
                                         ev_secret_t *out /* OUT */);
EV_MUST_CHECK ev_err ev_store_secret_get_by_name(ev_store_t *st, ev_scope_t sc, const char *name,
                                                 ev_secret_t *out /* OUT */);
/* Every secret of the scope ordered by name (*out malloc'd; free with ev_store_secret_list_free). */
EV_MUST_CHECK ev_err ev_store_secret_list(ev_store_t *st, ev_scope_t sc, ev_secret_t **out,
                                          size_t *n_out);
void ev_store_secret_list_free(ev_secret_t *list, size_t n);
EV_MUST_CHECK ev_err ev_store_secret_put(ev_store_t *st, ev_scope_t sc, const ev_secret_t *s);
EV_MUST_CHECK ev_err ev_store_secret_delete(ev_store_t *st, ev_scope_t sc, const char *arn);

/* ---- KMS keys ---- */

typedef struct {
    char *key_id;
    char *arn;
    char *state;             /* Enabled | Disabled | PendingDeletion */
    char *description;
    char *key_manager;       /* AWS | CUSTOMER */
    unsigned char *material; /* key material sealed under the master key */
    size_t material_len;
    int64_t created_ms;
} ev_kms_key_t;

void ev_kms_key_clear(ev_kms_key_t *k);
EV_MUST_CHECK ev_err ev_store_kms_key_get(ev_store_t *st, ev_scope_t sc, const char *key_id,
                                          ev_kms_key_t *out /* OUT */);
EV_MUST_CHECK ev_err ev_store_kms_key_put(ev_store_t *st, ev_scope_t sc, const ev_kms_key_t *k);

/* ---- API destinations ---- */

typedef struct {
    char *name;
    char *arn;
    char *description;
    char *connection_arn;
    char *endpoint;
    char *http_method;
    int64_t rate_limit;
    int64_t created_ms;
    int64_t modified_ms;
} ev_api_destination_t;

void ev_api_destination_clear(ev_api_destination_t *d);
EV_MUST_CHECK ev_err ev_store_dest_get(ev_store_t *st, ev_scope_t sc, const char *name,
                                       ev_api_destination_t *out /* OUT */);
EV_MUST_CHECK ev_err ev_store_dest_put(ev_store_t *st, ev_scope_t sc,
                                       const ev_api_destination_t *d);
EV_MUST_CHECK ev_err ev_store_dest_delete(ev_store_t *st, ev_scope_t sc, const char *name);
EV_MUST_CHECK ev_err ev_store_dest_count(ev_store_t *st, ev_scope_t sc, int64_t *n);
/* As ev_store_conn_list, with an optional connection ARN filter. */
EV_MUST_CHECK ev_err ev_store_dest_list(ev_store_t *st, ev_scope_t sc, const char *prefix,
                                        const char *connection_arn, const char *after, int limit,
                                        ev_api_destination_t **out, size_t *n_out);
void ev_store_dest_list_free(ev_api_destination_t *list, size_t n);

/* ---- tags ---- */

typedef struct {
    char *key;
    char *value;
} ev_tag_t;

/* Tags of a resource ordered by key. */
EV_MUST_CHECK ev_err ev_store_tags_list(ev_store_t *st, ev_scope_t sc, const char *arn,
                                        ev_tag_t **out, size_t *n_out);
void ev_store_tags_free(ev_tag_t *tags, size_t n);
EV_MUST_CHECK ev_err ev_store_tag_put(ev_store_t *st, ev_scope_t sc, const char *arn,
                                      const char *key, const char *value);
EV_MUST_CHECK ev_err ev_store_tag_delete(ev_store_t *st, ev_scope_t sc, const char *arn,
                                         const char *key);
EV_MUST_CHECK ev_err ev_store_tags_delete_all(ev_store_t *st, ev_scope_t sc, const char *arn);

#endif
