/*
 * match/match.h - EventBridge event patterns: validation with AWS's messages,
 * a compiled whole-bus matcher (one immutable automaton per bus, shared
 * read-only by every thread) and a slow jansson-based reference matcher.
 *
 * The module knows nothing of HTTP or storage and links alone (plus jansson
 * for the reference matcher), so the benchmark and the fuzzers use it as is.
 * Semantics and internals: docs/internals/match.md.
 */
#ifndef EV_MATCH_MATCH_H
#define EV_MATCH_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Deepest event nesting the matcher accepts (objects + arrays, jansson's limit). */
#define EV_MATCH_MAX_DEPTH 2048

/* Largest number of `$or` branches one pattern may expand to. */
#define EV_MATCH_MAX_BRANCHES 1024

/* Wildcard complexity limit (simultaneously live wildcard prefixes per field). */
#define EV_MATCH_MAX_WILDCARD_COMPLEXITY 10

typedef struct ev_matcher ev_matcher_t;
typedef struct ev_matcher_builder ev_matcher_builder_t;
typedef struct ev_match_scratch ev_match_scratch_t;
typedef struct ev_match_ref ev_match_ref_t;

/* Outcome of matching one event. */
typedef enum {
    EV_MATCH_OK = 0,      /* valid JSON object; the matched rules are reported */
    EV_MATCH_MALFORMED,   /* not valid JSON (syntax, bad UTF-8, too deep, number overflow) */
    EV_MATCH_NOT_OBJECT,  /* valid JSON whose top-level value is not an object */
    EV_MATCH_TOO_COMPLEX, /* valid, but the array-consistency work exceeded its budget */
} ev_match_rc;

/*
 * Validates one EventPattern exactly as PutRule / TestEventPattern do.
 * Returns EV_OK, or EV_ERR_INVALID_PATTERN with *message set to a malloc'd
 * "Event pattern is not valid. Reason: ..." (caller frees). `message` may be
 * NULL. The pattern need not be NUL-terminated.
 */
ev_err ev_pattern_compile_check(const char *pattern, size_t len, char **message /* OUT */)
    EV_MUST_CHECK;

/* --- building a matcher ------------------------------------------------- */

/* A fresh builder. Never NULL (aborts on out-of-memory). */
ev_matcher_builder_t *ev_matcher_builder_new(void);

/*
 * Adds one rule's pattern. Several patterns may share a tag: the rule then
 * matches when any of them does. Invalid patterns are refused exactly as
 * ev_pattern_compile_check refuses them (same return and message).
 */
ev_err ev_matcher_builder_add(ev_matcher_builder_t *b, uint64_t rule_tag, const char *pattern,
                              size_t len, char **message /* OUT, may be NULL */) EV_MUST_CHECK;

/*
 * Compiles everything added so far into one immutable matcher (refcount 1)
 * and frees the builder. Never NULL. A builder with no rules gives a matcher
 * that matches nothing.
 */
ev_matcher_t *ev_matcher_builder_finish(ev_matcher_builder_t *b /* takes ownership */);

/* Frees a builder that will not be finished. Accepts NULL. */
void ev_matcher_builder_free(ev_matcher_builder_t *b);

/*
 * Reference counting (atomic). A matcher is immutable once built and may be
 * used by any number of threads at once; the last unref frees it. Accepts NULL.
 */
ev_matcher_t *ev_matcher_ref(ev_matcher_t *m);
void ev_matcher_unref(ev_matcher_t *m);

/* Number of distinct rule tags in a matcher. */
size_t ev_matcher_rule_count(const ev_matcher_t *m);

/* Approximate heap bytes held by a matcher. */
size_t ev_matcher_memory(const ev_matcher_t *m);

/* --- matching ----------------------------------------------------------- */

/*
 * Per-thread working memory for ev_matcher_match: reusable across events and
 * across matchers. It grows to the largest event/matcher seen and is never
 * shrunk, so steady-state matching allocates nothing. Never NULL.
 */
ev_match_scratch_t *ev_match_scratch_new(void);
void ev_match_scratch_free(ev_match_scratch_t *s);

/*
 * Matches one event (any JSON object text, need not be NUL-terminated) in one
 * pass without building a DOM. On EV_MATCH_OK, *tags points at *ntags distinct
 * rule tags (unordered) owned by `s` and valid until its next use. On any other
 * result *ntags is 0. Never crashes on bad input.
 */
ev_match_rc ev_matcher_match(const ev_matcher_t *m, const char *json, size_t len,
                             ev_match_scratch_t *s, const uint64_t **tags /* OUT */,
                             size_t *ntags /* OUT */);

/* --- publishing a matcher to readers (RCU-style swap) ------------------- */

/*
 * A slot holding a bus's current matcher. Readers acquire a reference (a
 * short mutex section: load + ref), match, then unref; a writer publishes a
 * new matcher, and the old one is freed when its last reader lets go.
 */
typedef struct ev_matcher_slot ev_matcher_slot_t;

ev_matcher_slot_t *ev_matcher_slot_new(void);
/* Frees the slot and drops its matcher reference. Accepts NULL. */
void ev_matcher_slot_free(ev_matcher_slot_t *slot);
/* Returns a new reference to the current matcher (NULL if none); unref it after use. */
ev_matcher_t *ev_matcher_slot_acquire(ev_matcher_slot_t *slot);
/* Installs `m` (takes ownership of one reference, may be NULL) and unrefs the old one. */
void ev_matcher_slot_publish(ev_matcher_slot_t *slot, ev_matcher_t *m /* takes ownership */);

/* --- reference matcher (slow, jansson; tests, fuzzing, benchmark checks) - */

ev_match_ref_t *ev_match_ref_new(void);
void ev_match_ref_free(ev_match_ref_t *r);
/* Same contract as ev_matcher_builder_add. */
ev_err ev_match_ref_add(ev_match_ref_t *r, uint64_t rule_tag, const char *pattern, size_t len,
                        char **message /* OUT, may be NULL */) EV_MUST_CHECK;
/*
 * Same verdicts as ev_matcher_match, computed straightforwardly on a jansson
 * DOM. *tags is malloc'd (caller frees; NULL when *ntags is 0), sorted
 * ascending.
 */
ev_match_rc ev_match_ref_match(const ev_match_ref_t *r, const char *json, size_t len,
                               uint64_t **tags /* OUT */, size_t *ntags /* OUT */);

#endif
