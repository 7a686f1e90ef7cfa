/*
 * server/sigv4.c - AWS Signature Version 4 verification of incoming requests.
 * Parses the Authorization header (or the presigned X-Amz-* query form),
 * checks the clock skew and the credential scope, rebuilds the canonical
 * request exactly as the AWS SDKs do and compares signatures in constant time.
 */
#include "server/sigv4.h"

#include <ctype.h>
#include <pthread.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"
#define SIGV4_SKEW_SECS (15 * 60)
#define SIGV4_MAX_EXPIRES 604800
/* Upper bound on any canonical request we build; real requests are far smaller. */
#define SIGV4_MAX_CANON (1024 * 1024)
#define SIGV4_MAX_SIGNED_HEADERS 256

#define MSG_MISSING_AUTH "Missing Authentication Token"
#define MSG_UNRECOGNIZED "The security token included in the request is invalid."
#define MSG_MISMATCH                                                                               \
    "The request signature we calculated does not match the signature you provided. Check your "  \
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
#define MSG_HOST_UNSIGNED                                                                          \
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
#define MSG_BODY_HASH "The provided 'x-amz-content-sha256' header does not match what was computed."

/* ---- a bounded string builder that keeps its first error ---- */

typedef struct {
    char *p;
    size_t n, cap;
    int err;
} sbuf_t;

static void sb_put(sbuf_t *b, const void *s, size_t n)
{
    if (b->err)
        return;
    if (n > SIGV4_MAX_CANON - b->n) {
        b->err = 1;
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < b->n + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p)
            abort(); /* same policy as ev_xmalloc; the size is bounded above */
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf_t *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_putc(sbuf_t *b, char c)
{
    sb_put(b, &c, 1);
}

static void sb_free(sbuf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* ---- messages ---- */

static void msg_vappend(char *msg, size_t msglen, const char *fmt, va_list ap)
{
    size_t used;

    if (!msg || msglen == 0)
        return;
    used = strnlen(msg, msglen - 1);
    vsnprintf(msg + used, msglen - used, fmt, ap);
}

static void msg_append(char *msg, size_t msglen, const char *fmt, ...) EV_PRINTF(3, 4);
static void msg_append(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vappend(msg, msglen, fmt, ap);
    va_end(ap);
}

static void msg_set(char *msg, size_t msglen, const char *fmt, ...) EV_PRINTF(3, 4);
static void msg_set(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list ap;

    if (!msg || msglen == 0)
        return;
    msg[0] = '\0';
    va_start(ap, fmt);
    msg_vappend(msg, msglen, fmt, ap);
    va_end(ap);
}

/* ---- small string helpers ---- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trims whitespace around [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && is_ws(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_ws((*s)[*n - 1]))
        (*n)--;
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 encoding with uppercase hex; '/' kept when keep_slash. */
static void sb_uri_encode(sbuf_t *b, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (is_unreserved(c) || (keep_slash && c == '/')) {
            sb_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};

            sb_put(b, e, 3);
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes n bytes of s into out (room for n + 1) and NUL-terminates.
 * A malformed escape stays literal; '+' stays '+' (RFC 3986, not forms).
 */
static size_t pct_decode(const char *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return o;
}

/* ---- query string ---- */

typedef struct {
    char *key, *val;   /* decoded, NUL-terminated (may hold inner NULs) */
    size_t klen, vlen; /* decoded lengths */
    char *ekey, *eval; /* re-encoded */
} qparam_t;

typedef struct {
    qparam_t *v;
    size_t n;
} qlist_t;

static char *encode_dup(const char *s, size_t n)
{
    sbuf_t b = {0};
    char *out;

    sb_uri_encode(&b, s, n, 0);
    out = b.p ? b.p : ev_xstrdup("");
    return out;
}

/* Splits a raw query on '&'; returns -1 when it is over the size limit. */
static int qlist_parse(qlist_t *q, const char *query)
{
    size_t len, count = 1, i, pos;
    const char *s, *end;

    q->v = NULL;
    q->n = 0;
    if (!query || !*query)
        return 0;
    len = strlen(query);
    if (len > SIGV4_MAX_CANON / 4)
        return -1;
    for (i = 0; i < len; i++)
        count += query[i] == '&';
    q->v = ev_xcalloc(count, sizeof(*q->v));
    for (pos = 0; pos <= len; pos += (size_t)(end - s) + 1) {
        const char *eq;
        qparam_t *p;

        s = query + pos;
        end = memchr(s, '&', len - pos);
        if (!end)
            end = query + len;
        if (end == s)
            continue;
        eq = memchr(s, '=', (size_t)(end - s));
        if (!eq)
            eq = end;
        p = &q->v[q->n++];
        p->key = ev_xmalloc((size_t)(eq - s) + 1);
        p->klen = pct_decode(s, (size_t)(eq - s), p->key);
        if (eq < end) {
            p->val = ev_xmalloc((size_t)(end - eq));
            p->vlen = pct_decode(eq + 1, (size_t)(end - eq - 1), p->val);
        } else {
            p->val = ev_xstrdup("");
        }
        p->ekey = encode_dup(p->key, p->klen);
        p->eval = encode_dup(p->val, p->vlen);
    }
    return 0;
}

static void qlist_free(qlist_t *q)
{
    size_t i;

    for (i = 0; i < q->n; i++) {
        free(q->v[i].key);
        free(q->v[i].val);
        free(q->v[i].ekey);
        free(q->v[i].eval);
    }
    free(q->v);
    q->v = NULL;
    q->n = 0;
}

/* First parameter whose decoded name is exactly `name`, or NULL. */
static const qparam_t *qlist_get(const qlist_t *q, const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < q->n; i++)
        if (q->v[i].klen == n && memcmp(q->v[i].key, name, n) == 0)
            return &q->v[i];
    return NULL;
}

static int qparam_cmp(const void *a, const void *b)
{
    const qparam_t *x = *(const qparam_t *const *)a, *y = *(const qparam_t *const *)b;
    int c = strcmp(x->ekey, y->ekey);

    return c ? c : strcmp(x->eval, y->eval);
}

static void sb_canonical_query(sbuf_t *b, const qlist_t *q, int skip_signature)
{
    const qparam_t **sorted;
    size_t i, n = 0;
    int first = 1;

    if (q->n == 0)
        return;
    sorted = ev_xcalloc(q->n, sizeof(*sorted));
    for (i = 0; i < q->n; i++) {
        if (skip_signature && strcmp(q->v[i].ekey, "X-Amz-Signature") == 0)
            continue;
        sorted[n++] = &q->v[i];
    }
    qsort(sorted, n, sizeof(*sorted), qparam_cmp);
    for (i = 0; i < n; i++) {
        if (!first)
            sb_putc(b, '&');
        first = 0;
        sb_puts(b, sorted[i]->ekey);
        sb_putc(b, '=');
        sb_puts(b, sorted[i]->eval);
    }
    free(sorted);
}

/* ---- canonical URI ---- */

/*
 * Removes "." and ".." segments and empty segments (AWS collapses "//"),
 * keeping a leading and a trailing '/', then encodes every byte outside the
 * unreserved set. The path is taken as sent, so an escape such as "%20" is
 * encoded again ("%2520"): that is the double encoding of non-S3 services.
 */
static void sb_canonical_uri(sbuf_t *b, const char *path)
{
    size_t len, nseg = 0, i, pos, n, start = b->n;
    const char **seg;
    size_t *seglen;
    const char *s, *end;

    if (!path || !*path) {
        sb_putc(b, '/');
        return;
    }
    len = strlen(path);
    if (len > SIGV4_MAX_CANON / 4) {
        b->err = 1;
        return;
    }
    seg = ev_xcalloc(len / 2 + 2, sizeof(*seg));
    seglen = ev_xcalloc(len / 2 + 2, sizeof(*seglen));
    for (pos = 0; pos <= len; pos += n + 1) {
        s = path + pos;
        end = memchr(s, '/', len - pos);
        n = end ? (size_t)(end - s) : len - pos;
        if (n == 0 || (n == 1 && s[0] == '.'))
            continue;
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (nseg)
                nseg--;
            continue;
        }
        seg[nseg] = s;
        seglen[nseg++] = n;
    }
    if (path[0] == '/')
        sb_putc(b, '/');
    for (i = 0; i < nseg; i++) {
        if (i)
            sb_putc(b, '/');
        sb_uri_encode(b, seg[i], seglen[i], 0);
    }
    if (nseg && path[len - 1] == '/')
        sb_putc(b, '/');
    if (b->n == start)
        sb_putc(b, '/');
    free(seg);
    free(seglen);
}

/* ---- headers ---- */

static const char *find_header(const ev_sigv4_req_t *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->nheaders; i++)
        if (r->headers[i].name && strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value ? r->headers[i].value : "";
    return NULL;
}

/* Appends a header value trimmed, with each whitespace run collapsed to one space. */
static void sb_header_value(sbuf_t *b, const char *v)
{
    size_t n = strlen(v), i;
    int pending = 0;

    trim(&v, &n);
    for (i = 0; i < n; i++) {
        if (is_ws(v[i])) {
            pending = 1;
            continue;
        }
        if (pending)
            sb_putc(b, ' ');
        pending = 0;
        sb_putc(b, v[i]);
    }
}

/* Appends "name:v1,v2\n" for all headers called `name`; returns 0 if there is none. */
static int sb_canonical_header(sbuf_t *b, const ev_sigv4_req_t *r, const char *name)
{
    size_t i;
    int found = 0;

    for (i = 0; i < r->nheaders; i++) {
        if (!r->headers[i].name || strcasecmp(r->headers[i].name, name) != 0)
            continue;
        if (!found) {
            sb_puts(b, name);
            sb_putc(b, ':');
        } else {
            sb_putc(b, ',');
        }
        found = 1;
        sb_header_value(b, r->headers[i].value ? r->headers[i].value : "");
    }
    if (found)
        sb_putc(b, '\n');
    return found;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Splits a ';'-separated list into lowercase names sorted bytewise. The
 * names point into *copy, which the caller frees. Returns the count, or -1
 * for an empty name or too many names.
 */
static int split_signed_headers(const char *list, char **copy /* OUT */,
                                char *names[SIGV4_MAX_SIGNED_HEADERS])
{
    char *p, *s;
    int n = 0;

    *copy = ev_xstrdup(list);
    for (p = *copy; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    s = *copy;
    for (;;) {
        char *semi = strchr(s, ';');

        if (semi)
            *semi = '\0';
        if (!*s || n == SIGV4_MAX_SIGNED_HEADERS)
            return -1;
        names[n++] = s;
        if (!semi)
            break;
        s = semi + 1;
    }
    qsort(names, (size_t)n, sizeof(*names), str_cmp);
    return n;
}

/* ---- crypto ---- */

/*
 * SHA-256 from an implementation fetched once: OpenSSL 3 looks EVP_sha256()
 * and HMAC()'s algorithms up in its provider tables on every call, which cost
 * more than hashing a whole request body.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static EVP_MD_CTX *sha256_begin(void)
{
    EVP_MD_CTX *c;

    pthread_once(&sha256_once, sha256_fetch);
    c = EVP_MD_CTX_new();
    if (!sha256_md || !c || !EVP_DigestInit_ex2(c, sha256_md, NULL))
        abort(); /* SHA-256 cannot fail short of a broken library */
    return c;
}

static void sha256_end(EVP_MD_CTX *c, unsigned char md[32])
{
    unsigned int mdlen = 0;

    if (!EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 32)
        abort();
    EVP_MD_CTX_free(c);
}

static void sha256(const void *data, size_t len, unsigned char md[32])
{
    EVP_MD_CTX *c = sha256_begin();

    if (!EVP_DigestUpdate(c, data, len))
        abort();
    sha256_end(c, md);
}

/* HMAC-SHA256 (RFC 2104) on that SHA-256. */
static void hmac(const void *key, size_t keylen, const void *data, size_t len,
                 unsigned char out[32])
{
    unsigned char k[64], pad[64], inner[32];
    EVP_MD_CTX *c;

    memset(k, 0, sizeof(k));
    if (keylen > sizeof(k))
        sha256(key, keylen, k);
    else
        memcpy(k, key, keylen);
    for (size_t i = 0; i < sizeof(k); i++)
        pad[i] = k[i] ^ 0x36;
    c = sha256_begin();
    if (!EVP_DigestUpdate(c, pad, sizeof(pad)) || !EVP_DigestUpdate(c, data, len))
        abort();
    sha256_end(c, inner);
    for (size_t i = 0; i < sizeof(k); i++)
        pad[i] = k[i] ^ 0x5c;
    c = sha256_begin();
    if (!EVP_DigestUpdate(c, pad, sizeof(pad)) || !EVP_DigestUpdate(c, inner, sizeof(inner)))
        abort();
    sha256_end(c, out);
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
    OPENSSL_cleanse(inner, sizeof(inner));
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];

    sha256(data, len, md);
    ev_hex(md, 32, out);
}

/* Signing key chain: HMAC("AWS4"+secret, date) -> region -> service -> "aws4_request". */
static int derive_key_uncached(const char *secret, const char *date8, const char *region,
                               const char *service, unsigned char key[32])
{
    size_t slen = strlen(secret);
    char *k0;
    unsigned char k1[32], k2[32], k3[32];

    if (slen > SIGV4_MAX_CANON)
        return -1;
    k0 = ev_xmalloc(slen + 5);
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen + 1);
    hmac(k0, slen + 4, date8, 8, k1);
    hmac(k1, 32, region, strlen(region), k2);
    hmac(k2, 32, service, strlen(service), k3);
    hmac(k3, 32, SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), key);
    OPENSSL_cleanse(k0, slen + 4);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k3, sizeof(k3));
    free(k0);
    return 0;
}

/*
 * A client signs every request of a day with the same key: each worker
 * thread remembers the last one it derived (the inputs compared in full;
 * 4 HMACs saved per request).
 */
static int derive_key(const char *secret, const char *date8, const char *region,
                      const char *service, unsigned char key[32])
{
    static _Thread_local struct {
        char in[256];
        size_t len;
        unsigned char key[32];
    } last;
    char in[256];
    int n = snprintf(in, sizeof(in), "%s%c%s%c%s%c%s", secret, 0, date8, 0, region, 0, service);

    if (n <= 0 || (size_t)n >= sizeof(in))
        return derive_key_uncached(secret, date8, region, service, key);
    if (last.len == (size_t)n && memcmp(last.in, in, (size_t)n) == 0) {
        memcpy(key, last.key, 32);
        OPENSSL_cleanse(in, sizeof(in));
        return 0;
    }
    if (derive_key_uncached(secret, date8, region, service, key) != 0) {
        OPENSSL_cleanse(in, sizeof(in));
        return -1;
    }
    memcpy(last.in, in, (size_t)n);
    last.len = (size_t)n;
    memcpy(last.key, key, 32);
    OPENSSL_cleanse(in, sizeof(in));
    return 0;
}

/*
 * Builds the canonical request and string to sign, and signs it. The
 * X-Amz-Signature query parameter is left out when skip_signature is set.
 */
static ev_err compute_sig(const ev_sigv4_req_t *r, const qlist_t *q, int skip_signature,
                          const char *secret, const char *amz_date, const char *region,
                          const char *service, const char *signed_headers,
                          const char *payload_hash, char sig[65])
{
    sbuf_t creq = {0}, sts = {0};
    char *copy = NULL, *names[SIGV4_MAX_SIGNED_HEADERS];
    char body_hash[65], creq_hash[65], date8[9];
    unsigned char key[32], mac[32];
    ev_err rc = EV_ERR_INCOMPLETE_SIG;
    int n, i;

    if (!secret || !amz_date || strlen(amz_date) < 8 || !region || !service || !signed_headers)
        goto out;
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';
    n = split_signed_headers(signed_headers, &copy, names);
    if (n < 0)
        goto out;

    sb_puts(&creq, r->method ? r->method : "");
    sb_putc(&creq, '\n');
    sb_canonical_uri(&creq, r->path);
    sb_putc(&creq, '\n');
    sb_canonical_query(&creq, q, skip_signature);
    sb_putc(&creq, '\n');
    for (i = 0; i < n; i++)
        if (!sb_canonical_header(&creq, r, names[i]))
            goto out;
    sb_putc(&creq, '\n');
    for (i = 0; i < n; i++) {
        if (i)
            sb_putc(&creq, ';');
        sb_puts(&creq, names[i]);
    }
    sb_putc(&creq, '\n');
    if (!payload_hash) {
        sha256_hex(r->body ? (const void *)r->body : "", r->body ? r->body_len : 0, body_hash);
        payload_hash = body_hash;
    }
    sb_puts(&creq, payload_hash);
    if (creq.err)
        goto out;
    sha256_hex(creq.p, creq.n, creq_hash);

    sb_puts(&sts, SIGV4_ALGORITHM "\n");
    sb_puts(&sts, amz_date);
    sb_putc(&sts, '\n');
    sb_puts(&sts, date8);
    sb_putc(&sts, '/');
    sb_puts(&sts, region);
    sb_putc(&sts, '/');
    sb_puts(&sts, service);
    sb_puts(&sts, "/" SIGV4_TERMINATOR "\n");
    sb_puts(&sts, creq_hash);
    if (sts.err)
        goto out;
    if (derive_key(secret, date8, region, service, key))
        goto out;
    hmac(key, sizeof(key), sts.p, sts.n, mac);
    ev_hex(mac, sizeof(mac), sig);
    rc = EV_OK;
out:
    OPENSSL_cleanse(key, sizeof(key));
    free(copy);
    sb_free(&creq);
    sb_free(&sts);
    return rc;
}

ev_err ev_sigv4_sign(const ev_sigv4_req_t *r, const char *secret, const char *amz_date,
                     const char *region, const char *service, const char *signed_headers,
                     const char *payload_hash, char sig[65])
{
    qlist_t q = {0};
    ev_err rc = EV_ERR_INCOMPLETE_SIG;

    if (qlist_parse(&q, r->query))
        goto out;
    rc = compute_sig(r, &q, 1, secret, amz_date, region, service, signed_headers, payload_hash,
                     sig);
out:
    qlist_free(&q);
    return rc;
}

/* ---- time ---- */

static int digits(const char *s, size_t n, int *out)
{
    size_t i;
    int v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Validates broken-down UTC time by a round trip through timegm. */
static int tm_to_time(struct tm *tm, time_t *out)
{
    struct tm check;
    struct tm want = *tm;
    time_t t;

    if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 || tm->tm_mday > 31 ||
        tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 59)
        return -1;
    t = timegm(tm);
    if (t == (time_t)-1 || !gmtime_r(&t, &check) || check.tm_year != want.tm_year ||
        check.tm_mon != want.tm_mon || check.tm_mday != want.tm_mday)
        return -1;
    *out = t;
    return 0;
}

/* Parses YYYYMMDDTHHMMSSZ. */
static int parse_amz_date(const char *s, time_t *out)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, se;

    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' || digits(s, 4, &y) ||
        digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) || digits(s + 9, 2, &h) ||
        digits(s + 11, 2, &mi) || digits(s + 13, 2, &se))
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return tm_to_time(&tm, out);
}

/* Parses an RFC 1123 date, "Sun, 30 Aug 2015 12:36:00 GMT" (weekday optional). */
static int parse_http_date(const char *v, time_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm = {0};
    size_t n = strlen(v), dlen;
    const char *s = v, *e;
    int i, y, d, h, mi, se;

    trim(&s, &n);
    e = s + n;
    if (n >= 5 && isalpha((unsigned char)s[0]) && s[3] == ',') {
        s += 4;
        while (s < e && *s == ' ')
            s++;
    }
    for (dlen = 0; s + dlen < e && isdigit((unsigned char)s[dlen]); dlen++)
        ;
    if (dlen < 1 || dlen > 2 || digits(s, dlen, &d))
        return -1;
    s += dlen;
    /* what is left must be " Aug 2015 12:36:00 GMT" */
    if (e - s != 22 || s[0] != ' ' || s[4] != ' ' || s[9] != ' ' || s[12] != ':' ||
        s[15] != ':' || s[18] != ' ' || (strncmp(s + 19, "GMT", 3) && strncmp(s + 19, "UTC", 3)))
        return -1;
    for (i = 0; i < 12; i++)
        if (strncasecmp(s + 1, months + 3 * i, 3) == 0)
            break;
    if (i == 12 || digits(s + 5, 4, &y) || digits(s + 10, 2, &h) || digits(s + 13, 2, &mi) ||
        digits(s + 16, 2, &se))
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = i;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return tm_to_time(&tm, out);
}

static void fmt_amz_date(time_t t, char out[17])
{
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
        snprintf(out, 17, "%s", "00000000T000000Z");
}

/* "15 min" for whole minutes, else "N sec", as AWS words the window. */
static void fmt_window(long secs, char *out, size_t n)
{
    if (secs % 60 == 0)
        snprintf(out, n, "%ld min", secs / 60);
    else
        snprintf(out, n, "%ld sec", secs);
}

/* ---- verification ---- */

typedef struct {
    char *credential;     /* AKID/date/region/service/aws4_request */
    char *signed_headers; /* as sent */
    char *signature;      /* as sent */
    char amz_date[17];    /* request time, YYYYMMDDTHHMMSSZ */
    time_t t;
    long window; /* how far in the past the request time may be */
    int presigned;
} auth_t;

static void auth_free(auth_t *a)
{
    free(a->credential);
    free(a->signed_headers);
    free(a->signature);
}

static int is_alg(const char *s, size_t n)
{
    return n == strlen(SIGV4_ALGORITHM) && memcmp(s, SIGV4_ALGORITHM, n) == 0;
}

/* Reads the request time from X-Amz-Date, else from Date. */
static ev_err parse_time(const char *amz, const char *date, auth_t *a, char *msg, size_t msglen)
{
    ev_err rc = EV_ERR_INCOMPLETE_SIG;

    if (amz) {
        const char *s = amz;
        size_t n = strlen(s);
        char buf[32];

        trim(&s, &n);
        if (n >= sizeof(buf))
            n = sizeof(buf) - 1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (parse_amz_date(buf, &a->t)) {
            msg_set(msg, msglen,
                    "Date must be in ISO-8601 'basic format'. Got '%s'. See "
                    "http://en.wikipedia.org/wiki/ISO_8601",
                    amz);
            goto out;
        }
    } else if (parse_http_date(date, &a->t)) {
        msg_set(msg, msglen, "Date must be in RFC 1123 format. Got '%s'.", date);
        goto out;
    }
    fmt_amz_date(a->t, a->amz_date);
    rc = EV_OK;
out:
    return rc;
}

/* Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...". */
static ev_err parse_header_auth(const ev_sigv4_req_t *r, const char *authz, auth_t *a,
                                char *msg, size_t msglen)
{
    const char *s = authz, *alg, *amz, *date;
    size_t n = strlen(authz), alen;
    ev_err rc = EV_ERR_INCOMPLETE_SIG;

    trim(&s, &n);
    alg = s;
    for (alen = 0; alen < n && !is_ws(s[alen]); alen++)
        ;
    if (!is_alg(alg, alen)) {
        msg_set(msg, msglen, "Unsupported AWS 'algorithm': '%.*s'", (int)(alen > 256 ? 256 : alen),
                alg);
        goto out;
    }
    s += alen;
    n -= alen;
    while (n) {
        const char *comma = memchr(s, ',', n), *part = s, *eq;
        size_t plen = comma ? (size_t)(comma - s) : n, klen;
        char **slot = NULL;

        s += plen + (comma ? 1 : 0);
        n -= plen + (comma ? 1 : 0);
        trim(&part, &plen);
        eq = memchr(part, '=', plen);
        if (!eq)
            continue;
        klen = (size_t)(eq - part);
        if (klen == 10 && memcmp(part, "Credential", 10) == 0)
            slot = &a->credential;
        else if (klen == 13 && memcmp(part, "SignedHeaders", 13) == 0)
            slot = &a->signed_headers;
        else if (klen == 9 && memcmp(part, "Signature", 9) == 0)
            slot = &a->signature;
        if (slot && !*slot)
            *slot = ev_xstrndup(eq + 1, plen - klen - 1);
    }
    amz = find_header(r, "x-amz-date");
    date = find_header(r, "date");
    if (!a->credential || !a->signature || !a->signed_headers || (!amz && !date)) {
        msg_set(msg, msglen, "%s", "");
        if (!a->credential)
            msg_append(msg, msglen, "Authorization header requires 'Credential' parameter. ");
        if (!a->signature)
            msg_append(msg, msglen, "Authorization header requires 'Signature' parameter. ");
        if (!a->signed_headers)
            msg_append(msg, msglen, "Authorization header requires 'SignedHeaders' parameter. ");
        if (!amz && !date)
            msg_append(msg, msglen,
                       "Authorization header requires existence of either a 'X-Amz-Date' or "
                       "a 'Date' header. ");
        msg_append(msg, msglen, "Authorization=%s", authz);
        goto out;
    }
    a->window = SIGV4_SKEW_SECS;
    rc = parse_time(amz, date, a, msg, msglen);
out:
    return rc;
}

/* Parses the presigned form: X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Signature. */
static ev_err parse_query_auth(const qlist_t *q, auth_t *a, char *msg, size_t msglen)
{
    static const char *const required[] = {"X-Amz-Algorithm", "X-Amz-Credential",
                                           "X-Amz-Signature", "X-Amz-SignedHeaders",
                                           "X-Amz-Date"};
    const qparam_t *alg = qlist_get(q, "X-Amz-Algorithm");
    const qparam_t *exp = qlist_get(q, "X-Amz-Expires");
    const qparam_t *amz = qlist_get(q, "X-Amz-Date");
    ev_err rc = EV_ERR_INCOMPLETE_SIG;
    size_t i;
    int missing = 0;

    msg_set(msg, msglen, "%s", "");
    for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (qlist_get(q, required[i]))
            continue;
        msg_append(msg, msglen,
                   "%sAWS query-string parameters must include '%s'. Re-examine the query-string "
                   "parameters.",
                   missing ? " " : "", required[i]);
        missing = 1;
    }
    if (missing)
        goto out;
    if (!is_alg(alg->val, alg->vlen)) {
        msg_set(msg, msglen, "Unsupported AWS 'algorithm': '%.256s'", alg->val);
        goto out;
    }
    a->credential = ev_xstrdup(qlist_get(q, "X-Amz-Credential")->val);
    a->signed_headers = ev_xstrdup(qlist_get(q, "X-Amz-SignedHeaders")->val);
    a->signature = ev_xstrdup(qlist_get(q, "X-Amz-Signature")->val);
    a->presigned = 1;
    a->window = SIGV4_SKEW_SECS;
    if (exp) {
        int secs;

        if (exp->vlen == 0 || exp->vlen > 9 || digits(exp->val, exp->vlen, &secs)) {
            msg_set(msg, msglen, "X-Amz-Expires should be a number");
            goto out;
        }
        if (secs > SIGV4_MAX_EXPIRES) {
            msg_set(msg, msglen,
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800");
            goto out;
        }
        a->window = secs;
    }
    rc = parse_time(amz->val, NULL, a, msg, msglen);
out:
    return rc;
}

/* Splits the credential into its five parts and checks the scope against the request time. */
static ev_err check_scope(const auth_t *a, ev_sigv4_identity_t *id, char *msg, size_t msglen)
{
    char *copy = ev_xstrdup(a->credential), *part[6], *s = copy;
    ev_err rc = EV_ERR_INCOMPLETE_SIG;
    int n = 0, bad = 0;

    while (n < 6) {
        char *slash = strchr(s, '/');

        part[n++] = s;
        if (!slash)
            break;
        *slash = '\0';
        s = slash + 1;
    }
    if (n != 5) {
        msg_set(msg, msglen,
                "Credential must have exactly 5 slash-delimited elements, e.g. "
                "keyid/date/region/service/term, got '%s'",
                a->credential);
        goto out;
    }
    rc = EV_ERR_INVALID_SIG;
    msg_set(msg, msglen, "%s", "");
    if (!*part[2] || strlen(part[2]) >= sizeof(id->region)) {
        msg_append(msg, msglen, "Credential should be scoped to a valid region. ");
        bad = 1;
    }
    if (!*part[3] || strlen(part[3]) >= sizeof(id->service)) {
        msg_append(msg, msglen, "Credential should be scoped to correct service: '%.64s'. ",
                   part[3]);
        bad = 1;
    }
    if (strcmp(part[4], SIGV4_TERMINATOR) != 0) {
        msg_append(msg, msglen,
                   "Credential should be scoped with a valid terminator: 'aws4_request', "
                   "not '%.64s'. ",
                   part[4]);
        bad = 1;
    }
    if (strlen(part[1]) != 8 || strncmp(part[1], a->amz_date, 8) != 0) {
        msg_append(msg, msglen,
                   "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                   "date from HTTP: '%.64s' != '%.8s', from '%s'.",
                   part[1], a->amz_date, a->amz_date);
        bad = 1;
    }
    if (bad)
        goto out;
    if (strlen(part[0]) >= sizeof(id->access_key)) {
        rc = EV_ERR_UNRECOGNIZED_CLIENT;
        msg_set(msg, msglen, MSG_UNRECOGNIZED);
        goto out;
    }
    snprintf(id->access_key, sizeof(id->access_key), "%s", part[0]);
    snprintf(id->date, sizeof(id->date), "%s", part[1]);
    snprintf(id->region, sizeof(id->region), "%s", part[2]);
    snprintf(id->service, sizeof(id->service), "%s", part[3]);
    rc = EV_OK;
out:
    free(copy);
    return rc;
}

static ev_err check_skew(const auth_t *a, time_t now, char *msg, size_t msglen)
{
    char lim[17], cur[17], win[32];

    fmt_amz_date(now, cur);
    if (a->t < now - a->window) {
        fmt_amz_date(now - a->window, lim);
        fmt_window(a->window, win, sizeof(win));
        msg_set(msg, msglen, "Signature expired: %s is now earlier than %s (%s - %s.)", a->amz_date,
                lim, cur, win);
        return EV_ERR_INVALID_SIG;
    }
    if (a->t > now + SIGV4_SKEW_SECS) {
        fmt_amz_date(now + SIGV4_SKEW_SECS, lim);
        msg_set(msg, msglen, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
                a->amz_date, lim, cur);
        return EV_ERR_INVALID_SIG;
    }
    return EV_OK;
}

static int lists_host(const char *signed_headers)
{
    const char *s = signed_headers;

    for (;;) {
        const char *semi = strchr(s, ';');
        size_t n = semi ? (size_t)(semi - s) : strlen(s);

        if (n == 4 && strncasecmp(s, "host", 4) == 0)
            return 1;
        if (!semi)
            return 0;
        s = semi + 1;
    }
}

/*
 * The payload hash to sign: the X-Amz-Content-SHA256 value when sent (which
 * must then match the body unless it is UNSIGNED-PAYLOAD), else NULL so that
 * the body is hashed.
 */
static ev_err payload_hash(const ev_sigv4_req_t *r, char out[65], const char **hash /* OUT */,
                           char *msg, size_t msglen)
{
    const char *v = find_header(r, "x-amz-content-sha256");
    char body[65];
    size_t n;

    *hash = NULL;
    if (!v)
        return EV_OK;
    n = strlen(v);
    trim(&v, &n);
    if (n == strlen(SIGV4_UNSIGNED) && memcmp(v, SIGV4_UNSIGNED, n) == 0) {
        *hash = SIGV4_UNSIGNED;
        return EV_OK;
    }
    sha256_hex(r->body ? (const void *)r->body : "", r->body ? r->body_len : 0, body);
    if (n != 64 || strncasecmp(v, body, 64) != 0) {
        msg_set(msg, msglen, MSG_BODY_HASH);
        return EV_ERR_INVALID_SIG;
    }
    memcpy(out, v, 64);
    out[64] = '\0';
    *hash = out;
    return EV_OK;
}

static int sig_equal(const char *want, const char *got)
{
    return strlen(got) == 64 && CRYPTO_memcmp(want, got, 64) == 0;
}

ev_err ev_sigv4_verify(const ev_sigv4_req_t *r, time_t now, ev_sigv4_lookup_cb lookup, void *ud,
                       ev_sigv4_identity_t *id, char *msg, size_t msglen)
{
    auth_t a = {0};
    qlist_t q = {0};
    ev_sigv4_identity_t who;
    const char *authz = find_header(r, "authorization"), *secret, *hash;
    char hashbuf[65], want[65];
    ev_err rc = EV_ERR_MISSING_AUTH;
    int qerr;

    memset(&who, 0, sizeof(who));
    msg_set(msg, msglen, "%s", "");
    qerr = qlist_parse(&q, r->query);
    if (authz) {
        const char *s = authz;
        size_t n = strlen(s);

        trim(&s, &n);
        if (n == 0)
            authz = NULL;
    }
    if (authz) {
        rc = parse_header_auth(r, authz, &a, msg, msglen);
    } else if (!qerr && qlist_get(&q, "X-Amz-Algorithm")) {
        rc = parse_query_auth(&q, &a, msg, msglen);
    } else {
        msg_set(msg, msglen, MSG_MISSING_AUTH);
        goto out;
    }
    if (rc)
        goto out;
    rc = check_skew(&a, now, msg, msglen);
    if (rc)
        goto out;
    rc = check_scope(&a, &who, msg, msglen);
    if (rc)
        goto out;
    if (!lists_host(a.signed_headers)) {
        rc = EV_ERR_INCOMPLETE_SIG;
        msg_set(msg, msglen, MSG_HOST_UNSIGNED);
        goto out;
    }
    secret = lookup ? lookup(who.access_key, ud) : NULL;
    if (!secret) {
        rc = EV_ERR_UNRECOGNIZED_CLIENT;
        msg_set(msg, msglen, MSG_UNRECOGNIZED);
        goto out;
    }
    rc = payload_hash(r, hashbuf, &hash, msg, msglen);
    if (rc)
        goto out;
    rc = EV_ERR_INVALID_SIG;
    if (qerr)
        goto mismatch;
    if (compute_sig(r, &q, a.presigned, secret, a.amz_date, who.region, who.service,
                    a.signed_headers, hash, want) != EV_OK)
        goto mismatch;
    if (sig_equal(want, a.signature)) {
        rc = EV_OK;
        goto out;
    }
    /* A presigned URL made without knowing the body signs UNSIGNED-PAYLOAD. */
    if (a.presigned && !hash &&
        compute_sig(r, &q, 1, secret, a.amz_date, who.region, who.service, a.signed_headers,
                    SIGV4_UNSIGNED, want) == EV_OK &&
        sig_equal(want, a.signature)) {
        rc = EV_OK;
        goto out;
    }
mismatch:
    msg_set(msg, msglen, MSG_MISMATCH);
out:
    if (rc == EV_OK) {
        *id = who;
        msg_set(msg, msglen, "%s", "");
    }
    OPENSSL_cleanse(want, sizeof(want));
    auth_free(&a);
    qlist_free(&q);
    return rc;
}
