/*
 * fuzz/fuzz_h1resp.c - libFuzzer driver for deliver/h1parse.c. The first
 * byte picks HEAD or not and how many body bytes are kept; the rest is a
 * server's reply, fed three ways: whole, split in two at a point the data
 * picks, and byte by byte. All three must end alike (refused, or the same
 * consumed count, status, keep-alive, Retry-After, body count and kept
 * bytes), and the invariants must hold: no more kept than asked, nothing
 * consumed beyond what was given, a final status of 200..599.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/buf.h"
#include "deliver/h1parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    ssize_t used;
    int done, eof_done, status, keep_alive;
    size_t body_bytes, kept;
    char retry_after[EV_H1_RETRY_AFTER_MAX];
    char body[64];
} out_t;

static void run(const char *in, size_t len, size_t split, int head, size_t keep, out_t *o)
{
    static ev_h1resp_t p;
    ev_buf_t body;
    size_t off = 0;

    ev_buf_init(&body, 1 << 16);
    ev_h1resp_init(&p, head, &body, keep);
    memset(o, 0, sizeof(*o));
    while (off < len && !ev_h1resp_done(&p)) {
        size_t n = split && len - off > split ? split : len - off;
        ssize_t u = ev_h1resp_feed(&p, in + off, n);

        if (u < 0) {
            o->used = -1;
            break;
        }
        if ((size_t)u > n)
            abort();
        off += (size_t)u;
        if ((size_t)u < n)
            break;
        if (split && split != 1) /* the two-piece run: the rest at once */
            split = 0;
    }
    if (o->used == 0) {
        o->used = (ssize_t)off;
        o->done = ev_h1resp_done(&p);
        if (off == len)
            o->eof_done = ev_h1resp_eof(&p);
    }
    if (ev_h1resp_done(&p) && (p.status < 200 || p.status > 599))
        abort();
    if (body.len > keep || strlen(p.retry_after) >= EV_H1_RETRY_AFTER_MAX)
        abort();
    if (o->used >= 0) {
        o->status = p.status;
        o->keep_alive = p.keep_alive;
        o->body_bytes = p.body_bytes;
        memcpy(o->retry_after, p.retry_after, sizeof(o->retry_after));
        o->kept = body.len;
        if (body.len)
            memcpy(o->body, body.p, body.len);
    }
    ev_buf_free(&body);
}

static void same(const out_t *a, const out_t *b)
{
    if (a->used != b->used || a->done != b->done || a->eof_done != b->eof_done ||
        a->status != b->status || a->keep_alive != b->keep_alive ||
        a->body_bytes != b->body_bytes || a->kept != b->kept ||
        strcmp(a->retry_after, b->retry_after) != 0 || memcmp(a->body, b->body, a->kept) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    out_t whole, two, bytes;
    int head;
    size_t keep, split;

    if (size < 2)
        return 0;
    head = data[0] & 1;
    keep = (data[0] >> 1) & 63; /* 0..63 bytes kept */
    data++;
    size--;
    split = 2 + data[size - 1] % (size + 1);
    run((const char *)data, size, 0, head, keep, &whole);
    run((const char *)data, size, split, head, keep, &two);
    run((const char *)data, size, 1, head, keep, &bytes);
    same(&whole, &two);
    same(&whole, &bytes);
    return 0;
}
