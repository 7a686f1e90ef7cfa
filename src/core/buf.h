/*
 * core/buf.h - a growable byte buffer with a size limit fixed at init. The
 * first failure (limit reached) sticks: later appends are ignored and the
 * caller checks `failed` once at the end.
 */
#ifndef EV_CORE_BUF_H
#define EV_CORE_BUF_H

#include <stddef.h>

#include "core/err.h"

typedef struct {
    char *p;
    size_t len;
    size_t cap;
    size_t limit;
    int failed;
} ev_buf_t;

void ev_buf_init(ev_buf_t *b, size_t limit);
void ev_buf_free(ev_buf_t *b);
/* Makes room for `extra` more bytes at once (a hint: never fails the buffer). */
void ev_buf_reserve(ev_buf_t *b, size_t extra);
void ev_buf_add(ev_buf_t *b, const void *data, size_t n);
void ev_buf_addc(ev_buf_t *b, char c);
void ev_buf_adds(ev_buf_t *b, const char *s);
void ev_buf_printf(ev_buf_t *b, const char *fmt, ...) EV_PRINTF(2, 3);
/*
 * Appends s[0..n) as a JSON string: `"` and `\` escaped, control characters as
 * \b \f \n \r \t or \u00XX (hex digits in upper case when `upper`, as jansson
 * writes them); everything else, UTF-8 included, as it is.
 */
void ev_buf_json_string(ev_buf_t *b, const char *s, size_t n, int upper);
/* NUL-terminated contents (never NULL). */
const char *ev_buf_cstr(ev_buf_t *b);
/* Hands the contents to the caller (malloc'd, NUL-terminated); the buffer is reset. */
char *ev_buf_steal(ev_buf_t *b, size_t *len /* OUT, may be NULL */);

#endif
