/*
 * api/api_int.h - helpers the operation families share: JSON access,
 * timestamps, ARNs, pagination tokens and sealed secrets.
 */
#ifndef EV_API_API_INT_H
#define EV_API_API_INT_H

#include "api/api.h"

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

/*
 * Sealed secrets. ev__secret_store writes (creating or replacing, with a new
 * version id) the plaintext JSON under the scope's key, bound to its ARN.
 * ev__secret_load returns the decoded JSON (caller json_decref's; strings in
 * it are secrets: free with ev__json_wipe).
 */
EV_MUST_CHECK ev_err ev__secret_store(ev_call_t *c, const char *arn, const char *name,
                                      const json_t *plaintext);
EV_MUST_CHECK ev_err ev__secret_load(ev_call_t *c, const char *arn, json_t **out /* OUT */);
/* Wipes every string in a JSON tree, then releases it. */
void ev__json_wipe(json_t *j);

/* Operation tables of the families (NULL-terminated). */
extern const ev_op_t ev__connection_ops[];
extern const ev_op_t ev__api_destination_ops[];
extern const ev_op_t ev__tag_ops[];
extern const ev_op_t ev__secretsmanager_ops[];

#endif
