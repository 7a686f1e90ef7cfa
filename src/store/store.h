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

/* A counter that grows with every committed change (cache invalidation). */
uint64_t ev_store_generation(ev_store_t *st);

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

/* (account, region, name) of every connection of an auth type in a state,
 * across scopes. Strings are malloc'd; free with ev_store_conn_refs_free. */
typedef struct {
    char *account, *region, *name;
} ev_conn_ref_t;
EV_MUST_CHECK ev_err ev_store_conn_refs(ev_store_t *st, const char *auth_type, const char *state,
                                        ev_conn_ref_t **out, size_t *n_out);
void ev_store_conn_refs_free(ev_conn_ref_t *refs, size_t n);

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

/* ---- KMS keys and aliases ---- */

typedef struct {
    char *key_id;
    char *arn;
    char *state;             /* Enabled | Disabled | PendingDeletion */
    char *description;
    char *key_manager;       /* AWS | CUSTOMER */
    char *policy;            /* key policy JSON (NULL for AWS-owned keys) */
    char *key_usage;
    unsigned char *material; /* key material sealed under the master key */
    size_t material_len;
    int multi_region;
    int64_t created_ms;
    int64_t deletion_ms;     /* when PendingDeletion ends, else 0 */
    int64_t pending_days;
} ev_kms_key_t;

void ev_kms_key_clear(ev_kms_key_t *k);
EV_MUST_CHECK ev_err ev_store_kms_key_get(ev_store_t *st, ev_scope_t sc, const char *key_id,
                                          ev_kms_key_t *out /* OUT */);
EV_MUST_CHECK ev_err ev_store_kms_key_put(ev_store_t *st, ev_scope_t sc, const ev_kms_key_t *k);
/* Deletes a key with its aliases and tags. */
EV_MUST_CHECK ev_err ev_store_kms_key_delete(ev_store_t *st, ev_scope_t sc, const char *key_id);
/* Customer keys of the scope (key_manager CUSTOMER) ordered by id, ids > after, at most limit. */
EV_MUST_CHECK ev_err ev_store_kms_key_list(ev_store_t *st, ev_scope_t sc, const char *after,
                                           int limit, ev_kms_key_t **out, size_t *n_out);
void ev_store_kms_key_list_free(ev_kms_key_t *list, size_t n);

typedef struct {
    char *name;   /* alias/... */
    char *key_id;
    int64_t created_ms;
    int64_t updated_ms;
} ev_kms_alias_t;

void ev_kms_alias_clear(ev_kms_alias_t *a);
EV_MUST_CHECK ev_err ev_store_kms_alias_get(ev_store_t *st, ev_scope_t sc, const char *name,
                                            ev_kms_alias_t *out /* OUT */);
EV_MUST_CHECK ev_err ev_store_kms_alias_put(ev_store_t *st, ev_scope_t sc,
                                            const ev_kms_alias_t *a);
EV_MUST_CHECK ev_err ev_store_kms_alias_delete(ev_store_t *st, ev_scope_t sc, const char *name);
/* Aliases ordered by name (of one key when key_id is not NULL), names > after, at most limit. */
EV_MUST_CHECK ev_err ev_store_kms_alias_list(ev_store_t *st, ev_scope_t sc, const char *key_id,
                                             const char *after, int limit, ev_kms_alias_t **out,
                                             size_t *n_out);
void ev_store_kms_alias_list_free(ev_kms_alias_t *list, size_t n);

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

/* ---- event buses, rules, targets ---- */

typedef struct {
    char *name;
    char *arn;
    char *description;
    char *kms_key;
    char *dead_letter; /* JSON DeadLetterConfig */
    char *log_config;  /* JSON LogConfig */
    char *policy;      /* resource policy JSON */
    int64_t created_ms;
    int64_t modified_ms;
} ev_bus_t;

void ev_bus_clear(ev_bus_t *b);
EV_MUST_CHECK ev_err ev_store_bus_get(ev_store_t *st, ev_scope_t sc, const char *name,
                                      ev_bus_t *out /* OUT */);
EV_MUST_CHECK ev_err ev_store_bus_put(ev_store_t *st, ev_scope_t sc, const ev_bus_t *b);
/* Deletes the bus with its rules, targets and their tags. */
EV_MUST_CHECK ev_err ev_store_bus_delete(ev_store_t *st, ev_scope_t sc, const char *name);
EV_MUST_CHECK ev_err ev_store_bus_count(ev_store_t *st, ev_scope_t sc, int64_t *n);
EV_MUST_CHECK ev_err ev_store_bus_list(ev_store_t *st, ev_scope_t sc, const char *prefix,
                                       const char *after, int limit, ev_bus_t **out,
                                       size_t *n_out);
void ev_store_bus_list_free(ev_bus_t *list, size_t n);

typedef struct {
    char *bus;
    char *name;
    char *arn;
    char *event_pattern;
    char *schedule;
    char *state;
    char *description;
    char *role_arn;
    char *managed_by;
    int64_t created_ms;
} ev_rule_t;

void ev_rule_clear(ev_rule_t *r);
EV_MUST_CHECK ev_err ev_store_rule_get(ev_store_t *st, ev_scope_t sc, const char *bus,
                                       const char *name, ev_rule_t *out /* OUT */);
EV_MUST_CHECK ev_err ev_store_rule_put(ev_store_t *st, ev_scope_t sc, const ev_rule_t *r);
EV_MUST_CHECK ev_err ev_store_rule_delete(ev_store_t *st, ev_scope_t sc, const char *bus,
                                          const char *name);
EV_MUST_CHECK ev_err ev_store_rule_count(ev_store_t *st, ev_scope_t sc, const char *bus,
                                         int64_t *n);
/* Rules of a bus by name (prefix, > after, at most limit; limit <= 0: all). */
EV_MUST_CHECK ev_err ev_store_rule_list(ev_store_t *st, ev_scope_t sc, const char *bus,
                                        const char *prefix, const char *after, int limit,
                                        ev_rule_t **out, size_t *n_out);
void ev_store_rule_list_free(ev_rule_t *list, size_t n);

/* Every enabled rule with a ScheduleExpression, across scopes. */
typedef struct {
    char *account, *region;
    ev_rule_t rule;
} ev_scoped_rule_t;
EV_MUST_CHECK ev_err ev_store_rules_scheduled(ev_store_t *st, ev_scoped_rule_t **out,
                                              size_t *n_out);
void ev_store_scoped_rules_free(ev_scoped_rule_t *list, size_t n);

typedef struct {
    char *rule;
    char *id;
    char *arn;
    char *body; /* the Target JSON as stored (echoed by ListTargetsByRule) */
    int64_t seq;
} ev_target_t;

void ev_target_clear(ev_target_t *t);
/* Inserts or replaces by id, keeping the insertion position of a replaced target. */
EV_MUST_CHECK ev_err ev_store_target_put(ev_store_t *st, ev_scope_t sc, const char *bus,
                                         const ev_target_t *t);
EV_MUST_CHECK ev_err ev_store_target_delete(ev_store_t *st, ev_scope_t sc, const char *bus,
                                            const char *rule, const char *id, int *deleted);
/* Targets of a rule in insertion order (rule NULL: every rule of the bus). */
EV_MUST_CHECK ev_err ev_store_target_list(ev_store_t *st, ev_scope_t sc, const char *bus,
                                          const char *rule, ev_target_t **out, size_t *n_out);
void ev_store_target_list_free(ev_target_t *list, size_t n);
/* Names of the rules of a bus with a target of this ARN, by name. */
EV_MUST_CHECK ev_err ev_store_rules_by_target(ev_store_t *st, ev_scope_t sc, const char *bus,
                                              const char *arn, char ***names, size_t *n);

/* ---- delivery history ---- */

typedef struct {
    char *event_id, *rule_arn, *target_id, *target_arn, *outcome, *error, *response;
    int attempt, status;
    int64_t time_ms, latency_ms;
} ev_attempt_t;

/* Newest attempts first; rule and destination match a name or an ARN;
 * account NULL: every account. */
EV_MUST_CHECK ev_err ev_store_attempts_list(ev_store_t *st, const char *account, const char *rule,
                                            const char *destination, int failed_only, int limit,
                                            ev_attempt_t **out, size_t *n_out);
void ev_store_attempts_free(ev_attempt_t *list, size_t n);

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
