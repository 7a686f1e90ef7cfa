/*
 * util/util.h - small helpers two or more modules share: time, ids,
 * random bytes, hex and base64, secure wiping.
 */
#ifndef EV_UTIL_UTIL_H
#define EV_UTIL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Wall-clock time in milliseconds since the epoch. */
int64_t ev_now_ms(void);

/* Fills buf with n bytes from the OS CSPRNG (OpenSSL RAND_bytes); aborts on failure. */
void ev_random(void *buf, size_t n);

/* Writes a lowercase random (v4) UUID: 36 chars + NUL. */
void ev_uuid4(char out[37]);

/* Writes n random characters from [A-Za-z0-9] + NUL. */
void ev_random_alnum(char *out, size_t n);

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void ev_hex(const unsigned char *in, size_t n, char *out);

/* Base64 (standard alphabet, padded). Returns malloc'd NUL-terminated text. */
char *ev_base64_encode(const unsigned char *in, size_t n);

/* Decodes standard base64; returns malloc'd bytes and sets *n, or NULL if invalid. */
unsigned char *ev_base64_decode(const char *in, size_t len, size_t *n /* OUT */);

/* Zeroes memory in a way the compiler cannot drop. */
void ev_wipe(void *p, size_t n);

/* Frees a NUL-terminated string after wiping it. Accepts NULL. */
void ev_free_secret(char *s);

/* malloc/calloc/strdup that abort on failure (small fixed sizes only). */
void *ev_xmalloc(size_t n);
void *ev_xcalloc(size_t n, size_t m);
void *ev_xrealloc(void *p, size_t n);
char *ev_xstrdup(const char *s);
char *ev_xstrndup(const char *s, size_t n);

/* asprintf that aborts on failure. */
char *ev_xasprintf(const char *fmt, ...) EV_PRINTF(1, 2);

/* Sets the calling thread's nice value: the environment variable `env` if
 * set, else `def`. Best effort: a value the process may not take (below 0
 * without CAP_SYS_NICE) leaves the thread as it was. */
void ev_thread_nice(const char *env, int def);

#endif
