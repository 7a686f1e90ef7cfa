/*
 * api/validate.h - first-level (model) validation of a request body against
 * the shapes of the AWS service models, producing AWS's exact message:
 * "<N> validation error(s) detected: Value '<v>' at '<path>' failed to
 * satisfy constraint: Member must ...; ...".
 */
#ifndef EV_API_VALIDATE_H
#define EV_API_VALIDATE_H

#include <jansson.h>

#include "core/err.h"

typedef struct ev_shape ev_shape_t; /* generated tables, api/model_*.c */

/*
 * Compiles every model pattern once. Call once from main before any thread
 * uses ev_validate; EV_ERR_INTERNAL if PCRE2 rejects a pattern (a generator
 * bug). Calling it again after success is a no-op.
 */
EV_MUST_CHECK ev_err ev_model_init(void);

/* Frees what ev_model_init built. Call once at exit, after all validation. */
void ev_model_cleanup(void);

/* The input shape of an operation, e.g. ("AWSEvents", "CreateConnection"),
 * or NULL if the service has no such operation. */
const ev_shape_t *ev_model_input(const char *target_prefix, const char *op);

/*
 * Validates `body` (a JSON object) against `shape`.
 * EV_OK: valid. EV_ERR_VALIDATION: *msg is the full AWS message.
 * EV_ERR_SERIALIZATION: a member has the wrong JSON type; *msg says which.
 * *msg is malloc'd (caller frees) when not EV_OK.
 * Thread-safe after ev_model_init; EV_ERR_INTERNAL if it was not called.
 */
EV_MUST_CHECK ev_err ev_validate(const ev_shape_t *shape, json_t *body, char **msg /* OUT */);

#ifdef EV__MODEL_INTERNAL
/*
 * Table layout shared by the generated api/model_gen.c and api/validate.c
 * only (they define EV__MODEL_INTERNAL); everyone else sees ev_shape_t as
 * opaque.
 */
#include <stddef.h>
#include <stdint.h>

typedef enum {
    EV_SHAPE_STRUCTURE,
    EV_SHAPE_LIST,
    EV_SHAPE_MAP,
    EV_SHAPE_STRING,
    EV_SHAPE_INTEGER,
    EV_SHAPE_LONG,
    EV_SHAPE_BOOLEAN,
    EV_SHAPE_TIMESTAMP,
    EV_SHAPE_BLOB,
    EV_SHAPE_DOUBLE,
    EV_SHAPE_FLOAT,
} ev__shape_type;

typedef struct {
    const char *name; /* wire name: "AuthParameters" */
    const char *path; /* message path segment: "authParameters" */
    uint16_t shape;   /* index into ev__model_shapes */
    uint8_t required;
} ev__member_t;

struct ev_shape {
    const char *name;           /* model shape name (Java toString class name) */
    uint8_t type;               /* ev__shape_type */
    uint8_t sensitive;          /* never print the value */
    uint8_t has_min, has_max;
    int64_t min, max;           /* length (string, blob, list, map) or value (numbers) */
    int16_t pattern;            /* index into ev__model_patterns, -1 = none */
    uint16_t n_enums;
    const char *const *enums;   /* in the order AWS prints them */
    uint16_t n_members;
    const ev__member_t *members; /* structure members in model order */
    uint16_t elem;              /* list member or map value shape */
    uint16_t key;               /* map key shape */
};

typedef struct {
    const char *text;   /* as in the model; printed in messages */
    const char *source; /* what PCRE2 compiles (Java syntax rewritten) */
} ev__pattern_t;

typedef struct {
    const char *prefix; /* X-Amz-Target prefix: "AWSEvents" */
    const char *op;     /* "CreateConnection" */
    uint16_t input;     /* index into ev__model_shapes */
} ev__op_t;

extern const ev__pattern_t ev__model_patterns[];
extern const size_t ev__model_n_patterns;
extern const struct ev_shape ev__model_shapes[];
extern const size_t ev__model_n_shapes;
extern const ev__op_t ev__model_ops[]; /* sorted by (prefix, op), strcmp order */
extern const size_t ev__model_n_ops;
#endif

#endif
