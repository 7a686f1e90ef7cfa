/*
 * xform/xform.h - a target's payload from a matched event: Input, InputPath
 * or InputTransformer, with EventBridge's quirks. Checked and compiled once
 * at PutTargets (or when a target is loaded), applied per event without
 * re-parsing anything but the event. See docs/internals/xform.md.
 */
#ifndef EV_XFORM_XFORM_H
#define EV_XFORM_XFORM_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct ev_xform ev_xform_t;

typedef enum {
    EV_XFORM_EVENT = 0,     /* none of the three: the envelope itself */
    EV_XFORM_INPUT,         /* Input: the constant string */
    EV_XFORM_INPUT_PATH,    /* InputPath: the selected value, compact JSON */
    EV_XFORM_TRANSFORMER,   /* InputTransformer */
} ev_xform_kind_t;

/* Values of the predefined placeholders. All borrowed; any may be NULL. */
typedef struct {
    const char *rule_arn;       /* <aws.events.rule-arn> */
    const char *rule_name;      /* <aws.events.rule-name> */
    const char *ingestion_time; /* <aws.events.event.ingestion-time>, same format as `time`;
                                   NULL: the envelope's own `time` */
} ev_xform_vars_t;

/*
 * PutTargets-time validation of one target's Input / InputPath / InputTransformer
 * (`input_transformer` is the {"InputPathsMap": {...}, "InputTemplate": "..."} object or
 * NULL). NULL or "" means "not given" for the two strings, NULL or JSON null for the object.
 * Returns EV_OK, or EV_ERR_VALIDATION with *msg set to AWS's message (malloc'd, caller frees).
 */
ev_err ev_xform_check(const char *target_id, const char *input, const char *input_path,
                      const json_t *input_transformer /* borrowed */,
                      char **msg /* OUT */) EV_MUST_CHECK;

/*
 * Checks like ev_xform_check, then compiles: parses the JSON paths and splits the template
 * into literal text and placeholders. On EV_OK *out is a new immutable object that owns
 * copies of everything it needs (free with ev_xform_free); it may be shared by threads.
 * On error *out is NULL and *msg is as for ev_xform_check.
 */
ev_err ev_xform_compile(const char *target_id, const char *input, const char *input_path,
                        const json_t *input_transformer /* borrowed */,
                        ev_xform_t **out /* OUT */, char **msg /* OUT */) EV_MUST_CHECK;

/* Frees a compiled form. Accepts NULL. */
void ev_xform_free(ev_xform_t *x);

/* Which of the three the target uses. */
ev_xform_kind_t ev_xform_kind(const ev_xform_t *x);

/*
 * Appends the payload for one event to `out`. `envelope` is the event as delivered
 * (put-events.md section 5, compact JSON, `len` bytes, need not be NUL-terminated).
 * Returns:
 *   EV_OK                  payload appended;
 *   EV_ERR_VALIDATION      this event yields no payload for this target (InputPath selects
 *                          nothing, a JSON template rendered to invalid JSON, or the
 *                          envelope is not JSON); AWS silently skips the target. `out` is
 *                          left as it was;
 *   EV_ERR_LIMIT_EXCEEDED  the payload would exceed out's limit (out->failed is set, sticky;
 *                          contents unspecified). For a JSON template the limit applies to
 *                          the text as rendered, before it is minified.
 * Allocates nothing for most templates; only wildcard paths and <aws.events.event> use a
 * scratch buffer.
 */
ev_err ev_xform_apply(const ev_xform_t *x, const char *envelope, size_t len,
                      const ev_xform_vars_t *vars /* borrowed, may be NULL */,
                      ev_buf_t *out) EV_MUST_CHECK;

#endif
