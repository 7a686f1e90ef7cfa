/*
 * core/jcanon.h - a JSON object's compact form exactly as jansson writes it
 * after parsing it (json_loads with JSON_REJECT_DUPLICATES, then json_dumps
 * with JSON_COMPACT | JSON_PRESERVE_ORDER), in one pass and without building
 * a tree. PutEvents uses it for each entry's Detail.
 *
 * It answers only when it is sure: for texts in the common subset (UTF-8
 * as jansson checks it, no \u or \/ escape, integers of at most 18
 * digits, reals strtod reads without overflow or underflow, nesting up to
 * 64, at most 256 keys open at once). For anything else it answers "ask
 * jansson", and the caller parses with jansson as before; the two
 * therefore never disagree.
 */
#ifndef EV_CORE_JCANON_H
#define EV_CORE_JCANON_H

#include <stddef.h>

#include "core/buf.h"

/* Returns 0 when s[0..n) is a valid JSON object (its compact form was
 * appended to b), -1 when jansson must decide (b as it was). */
EV_MUST_CHECK int ev_jcanon_object(ev_buf_t *b, const char *s, size_t n);

/* The end (exclusive) of the JSON number (RFC 8259 grammar) at s[i], or 0 if
 * none starts there; *real: it has a fraction or an exponent; *int_digits:
 * the digits before them. */
size_t ev_jcanon_number_end(const char *s, size_t n, size_t i, int *real, size_t *int_digits);

/* Length of the well-formed UTF-8 sequence of 2 to 4 bytes at p[0..n) (no
 * overlong form, no surrogate, nothing past U+10FFFF, as jansson checks), or 0. */
size_t ev_jcanon_utf8_seq(const unsigned char *p, size_t n);

#endif
