/*
 * util/util.c - time, random ids, hex/base64 and secure wiping.
 */
#include "util/util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t ev_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ev_random(void *buf, size_t n)
{
    if (n > (size_t)INT32_MAX || RAND_bytes(buf, (int)n) != 1) {
        fprintf(stderr, "evbridge: the random number generator failed\n");
        abort();
    }
}

/* Ids are drawn from a per-thread buffer of CSPRNG output: one RAND_bytes
 * call per 256 ids instead of one each. */
void ev_uuid4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    static _Thread_local unsigned char pool[4096];
    static _Thread_local size_t left;
    unsigned char b[16];
    char *o = out;

    if (left < sizeof(b)) {
        ev_random(pool, sizeof(pool));
        left = sizeof(pool);
    }
    left -= sizeof(b);
    memcpy(b, pool + left, sizeof(b));
    ev_wipe(pool + left, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

void ev_random_alnum(char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;

    while (i < n) {
        unsigned char b;

        ev_random(&b, 1);
        if (b >= 248) /* 248 = 4 * 62: reject to keep the draw uniform */
            continue;
        out[i++] = alphabet[b % 62];
    }
    out[n] = '\0';
}

void ev_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

char *ev_base64_encode(const unsigned char *in, size_t n)
{
    size_t outlen = 4 * ((n + 2) / 3) + 1;
    char *out = ev_xmalloc(outlen);

    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

unsigned char *ev_base64_decode(const char *in, size_t len, size_t *n)
{
    unsigned char *out;
    size_t pad = 0, o = 0;
    uint32_t acc = 0;

    if (len % 4 != 0)
        return NULL;
    if (len > 0 && in[len - 1] == '=')
        pad++;
    if (len > 1 && in[len - 2] == '=')
        pad++;
    out = ev_xmalloc(len / 4 * 3 + 1);
    for (size_t i = 0; i < len; i++) {
        int v = (i >= len - pad) ? 0 : b64_value((unsigned char)in[i]);

        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
        }
    }
    *n = o - pad;
    return out;
}

void ev_wipe(void *p, size_t n)
{
    if (p)
        OPENSSL_cleanse(p, n);
}

void ev_free_secret(char *s)
{
    if (!s)
        return;
    ev_wipe(s, strlen(s));
    free(s);
}

static void oom(void)
{
    fprintf(stderr, "evbridge: out of memory\n");
    abort();
}

void *ev_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        oom();
    return p;
}

void *ev_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);

    if (!p)
        oom();
    return p;
}

void *ev_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *ev_xstrdup(const char *s)
{
    char *p = strdup(s);

    if (!p)
        oom();
    return p;
}

char *ev_xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);

    if (!p)
        oom();
    return p;
}

char *ev_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int rc;

    va_start(ap, fmt);
    rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0)
        oom();
    return s;
}

void ev_thread_nice(const char *env, int def)
{
    const char *v = getenv(env);

    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), v ? atoi(v) : def);
}
