/*
 * api/api_int.h - helpers the operation families share: JSON access,
 * timestamps, ARNs, pagination tokens and sealed secrets.
 */
#ifndef EV_API_API_INT_H
#define EV_API_API_INT_H

#include "api/api.h"
#include "kms/kms.h"

/* String member of an object, or NULL when absent or not a string. */
const char *ev__str(const json_t *o, const char *key);
/* Object member of an object, or NULL. */
json_t *ev__obj(const json_t *o, const char *key);
/* Sets a string member (skipped when v is NULL). */
void ev__set_str(json_t *o, const char *key, const char *v);
/* Sets an epoch-seconds timestamp member from milliseconds. */
void ev__set_time(json_t *o, const char *key, int64_t ms);

/* "arn:aws:<service>:<region>:<account>:<resource>" for the call's scope (malloc'd). */
char *ev__arn(const ev_call_t *c, const char *service, const char *resource);

/*
 * Parses "arn:aws:events:<region>:<account>:<kind>/<name>/<id>" and returns
 * the malloc'd <name> if the ARN has that kind and the call's scope, else NULL.
 */
char *ev__arn_name(const ev_call_t *c, const char *arn, const char *kind);

/* Page size from the optional Limit member (default 100). */
int ev__limit(const ev_call_t *c);
/* Decodes the optional NextToken into the name to continue after (*after
 * malloc'd or NULL). ValidationException for a token we did not issue. */
EV_MUST_CHECK ev_err ev__next_token_in(ev_call_t *c, char **after /* OUT */);
/* Sets NextToken in out for a page that ended at last_name. */
void ev__next_token_out(ev_call_t *c, const char *last_name);

/* True when url uses plain http and the server does not allow it. */
int ev__endpoint_refused(const ev_call_t *c, const char *url);

/* The KMS view of the call's scope. */
void ev__kms(const ev_call_t *c, ev_kms_t *out /* OUT */);

/* Runs fn(c) in its own transaction after the call's transaction rolled back
 * (a state change that must outlive the failed call). One per call. */
void ev__after_failure(ev_call_t *c, void (*fn)(ev_call_t *c, void *arg), void *arg);

/* Buses. ev__bus_default creates the scope's default bus if missing;
 * ev__bus_name returns the bus name of a name or ARN (malloc'd; NULL: default);
 * ev__bus_load loads one (ResourceNotFoundException "Event bus <n> does not exist.");
 * ev__bus_changed tells PutEvents the bus's rules or targets changed. */
EV_MUST_CHECK ev_err ev__bus_default(ev_call_t *c);
char *ev__bus_name(const ev_call_t *c, const char *name_or_arn);
EV_MUST_CHECK ev_err ev__bus_load(ev_call_t *c, const char *name_or_arn, ev_bus_t *out);
ev_err ev__bus_not_found(ev_call_t *c, const char *name);
void ev__bus_changed(ev_call_t *c, const char *bus);

/* Rules: the ARN of a rule of a bus (malloc'd); loading the rule named by
 * `member` on EventBusName; the not-found error. */
char *ev__rule_arn(const ev_call_t *c, const char *bus, const char *rule);
EV_MUST_CHECK ev_err ev__rule_load(ev_call_t *c, const char *member, ev_rule_t *r);
ev_err ev__rule_not_found(ev_call_t *c, const char *rule, const char *bus);

/* True when expr is a valid rate(...) or cron(...) ScheduleExpression. */
int ev__schedule_valid(const char *expr);
/* The first firing time (ms) strictly after after_ms; rate() counts from
 * created_ms. INT64_MAX when none within a year. */
int64_t ev__schedule_next(const char *expr, int64_t created_ms, int64_t after_ms);

/* Operation tables of the families (NULL-terminated). */
extern const ev_op_t ev__connection_ops[];
extern const ev_op_t ev__api_destination_ops[];
extern const ev_op_t ev__tag_ops[];
extern const ev_op_t ev__secretsmanager_ops[];
extern const ev_op_t ev__kms_ops[];
extern const ev_op_t ev__bus_ops[];
extern const ev_op_t ev__rule_ops[];
extern const ev_op_t ev__target_ops[];
extern const ev_op_t ev__events_ops[];
extern const ev_op_t ev__sqs_ops[];

/* Sends a rule's "Scheduled Event" of when_ms to its targets (durably). */
EV_MUST_CHECK ev_err ev__fire_scheduled(ev_app_t *app, ev_scope_t sc, const ev_rule_t *r,
                                        int64_t when_ms);

/* Frees the bus runtimes PutEvents built. */
void ev__events_cleanup(void);

/* One PutEvents entry, read from the parsed request (events.c) or straight
 * from the body (events_fast.c). */
typedef struct {
    const char *source, *detail_type, *detail, *bus; /* NULL when absent */
    const char *const *res;                          /* Resources */
    size_t nres;
    int has_time;    /* Time given, in any form */
    int time_is_num; /* ... as a number: `time`, seconds since the epoch */
    double time;
} ev__pe_entry_t;

/* PutEvents on 1 to 10 model-valid entries; the answer goes to c->out_raw. */
EV_MUST_CHECK ev_err ev__put_entries(ev_call_t *c, const ev__pe_entry_t *e, size_t n);

/* PutEvents' fast path (see ev_api_fast). */
int ev__put_events_fast(ev_call_t *c, ev_err *rc);

/* Its reader: 0 when body[0..len) is a PutEvents request in the common form
 * (then model-valid), its entries in out[0..*n) pointing into *mem; -1 for
 * anything else (nothing to free). */
#define EV__PE_MAX 10
typedef struct {
    char *arena;
    const char **res;
} ev__pe_mem_t;
EV_MUST_CHECK int ev__pe_read(const char *body, size_t len, ev__pe_entry_t out[EV__PE_MAX],
                              size_t *n, ev__pe_mem_t *mem);
void ev__pe_free(ev__pe_mem_t *mem);

#endif
