/*
 * tests/unit/deliver/test_h1parse.c - the HTTP/1.x response parser: every
 * framing (length, chunks, close), interim and bodiless responses,
 * keep-alive, Retry-After, the kept body prefix, bytes after a response,
 * malformed replies, and that feeding byte by byte gives the same result
 * as feeding everything at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/h1parse.h"

typedef struct {
    ssize_t used; /* total consumed, or -1 */
    int done, status, keep_alive;
    size_t body_bytes;
    char retry_after[EV_H1_RETRY_AFTER_MAX];
    char body[256];
} result_t;

/* Parses `in` fed in pieces of `step` bytes (0: all at once); `eof` then
 * tells the parser the server closed. */
static void run(const char *in, size_t len, size_t step, int head, size_t keep, int eof,
                result_t *r)
{
    ev_h1resp_t *p = malloc(sizeof(*p));
    ev_buf_t body;
    size_t off = 0;

    ev_buf_init(&body, 4096);
    ev_h1resp_init(p, head, &body, keep);
    memset(r, 0, sizeof(*r));
    while (off < len && !ev_h1resp_done(p)) {
        size_t n = step && len - off > step ? step : len - off;
        ssize_t u = ev_h1resp_feed(p, in + off, n);

        if (u < 0) {
            r->used = -1;
            break;
        }
        off += (size_t)u;
        if ((size_t)u < n)
            break;
    }
    if (r->used == 0) {
        r->used = (ssize_t)off;
        if (eof && off == len)
            (void)ev_h1resp_eof(p);
    }
    r->done = ev_h1resp_done(p);
    r->status = p->status;
    r->keep_alive = p->keep_alive;
    r->body_bytes = p->body_bytes;
    memcpy(r->retry_after, p->retry_after, sizeof(r->retry_after));
    if (body.len)
        memcpy(r->body, body.p, body.len < sizeof(r->body) - 1 ? body.len : sizeof(r->body) - 1);
    ev_buf_free(&body);
    free(p);
}

/* Runs whole and byte by byte; both must agree; returns the whole run. */
static result_t parse(const char *in, int head, size_t keep, int eof)
{
    result_t a, b;

    run(in, strlen(in), 0, head, keep, eof, &a);
    run(in, strlen(in), 1, head, keep, eof, &b);
    assert_int_equal(a.used, b.used);
    assert_int_equal(a.done, b.done);
    assert_int_equal(a.status, b.status);
    assert_int_equal(a.keep_alive, b.keep_alive);
    assert_int_equal(a.body_bytes, b.body_bytes);
    assert_string_equal(a.retry_after, b.retry_after);
    assert_string_equal(a.body, b.body);
    return a;
}

static void test_content_length(void **state)
{
    const char *in = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: x\r\n\r\nhello world";
    result_t r = parse(in, 0, 1024, 0);

    (void)state;
    assert_int_equal(r.used, strlen(in));
    assert_true(r.done);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.keep_alive, 1);
    assert_int_equal(r.body_bytes, 11);
    assert_string_equal(r.body, "hello world");
    r = parse(in, 0, 5, 0); /* only the first 5 bytes are kept */
    assert_string_equal(r.body, "hello");
    assert_int_equal(r.body_bytes, 11);
    r = parse("HTTP/1.1 204 No Content\r\n\r\n", 0, 1024, 0);
    assert_true(r.done);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.keep_alive, 1);
    r = parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", 0, 1024, 0);
    assert_true(r.done);
    assert_int_equal(r.body_bytes, 0);
    r = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 1, 1024, 0); /* HEAD */
    assert_true(r.done);
    assert_int_equal(r.body_bytes, 0);
    r = parse("HTTP/1.1 200 OK\r\ncontent-length:  0 \r\n\r\n", 0, 1024, 0);
    assert_true(r.done);
    assert_int_equal(r.keep_alive, 1);
}

static void test_chunked(void **state)
{
    const char *in = "HTTP/1.1 500 Oops\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
                     "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
    result_t r = parse(in, 0, 1024, 0);

    (void)state;
    assert_int_equal(r.used, strlen(in));
    assert_true(r.done);
    assert_int_equal(r.status, 500);
    assert_int_equal(r.keep_alive, 1);
    assert_string_equal(r.body, "hello world");
    assert_int_equal(r.body_bytes, 11);
    /* chunked and a length: the chunks count, the connection is not kept */
    r = parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
              "2\r\nab\r\n0\r\n\r\n", 0, 1024, 0);
    assert_true(r.done);
    assert_int_equal(r.keep_alive, 0);
    assert_string_equal(r.body, "ab");
    /* another coding without chunked: the body runs to the close */
    r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz", 0, 1024, 1);
    assert_true(r.done);
    assert_int_equal(r.keep_alive, 0);
    assert_string_equal(r.body, "zzz");
}

static void test_close_delimited(void **state)
{
    const char *in = "HTTP/1.1 200 OK\r\n\r\nuntil the end";
    result_t r = parse(in, 0, 1024, 0);

    (void)state;
    assert_false(r.done); /* the body may go on */
    r = parse(in, 0, 1024, 1);
    assert_true(r.done);
    assert_int_equal(r.keep_alive, 0);
    assert_string_equal(r.body, "until the end");
    /* a close that cuts a response short does not end it */
    r = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, 1024, 1);
    assert_false(r.done);
    r = parse("HTTP/1.1 200 OK\r\nContent-", 0, 1024, 1);
    assert_false(r.done);
}

static void test_interim_and_versions(void **state)
{
    result_t r = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
                       "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                       0, 1024, 0);

    (void)state;
    assert_true(r.done);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "ok");
    {
        /* Interim heads count toward the head limit: an endless stream of
         * 1xx responses is a weird reply, not a wait for the timeout. */
        static const char one[] = "HTTP/1.1 102 Processing\r\n\r\n";
        size_t n = (EV_H1_HEAD_MAX / (sizeof(one) - 1) + 2) * (sizeof(one) - 1);
        char *flood = malloc(n + 1);
        result_t f;

        for (size_t off = 0; off < n; off += sizeof(one) - 1)
            memcpy(flood + off, one, sizeof(one) - 1);
        flood[n] = 0;
        run(flood, n, 0, 0, 1024, 0, &f);
        assert_int_equal(f.used, -1);
        assert_false(f.done);
        free(flood);
    }
    r = parse("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 1024, 0);
    assert_true(r.done);
    assert_int_equal(r.keep_alive, 0);
    r = parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", 0,
              1024, 0);
    assert_int_equal(r.keep_alive, 1);
    r = parse("HTTP/1.1 200 OK\r\nConnection: x, close\r\nContent-Length: 2\r\n\r\nok", 0, 1024,
              0);
    assert_true(r.done);
    assert_int_equal(r.keep_alive, 0);
    /* bare LF line ends, a reason-less status line, a folded line ignored */
    r = parse("HTTP/1.1 404\nX-A: 1\n  folded\nContent-Length: 1\n\nz", 0, 1024, 0);
    assert_true(r.done);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "z");
}

static void test_retry_after(void **state)
{
    char in[600], want[EV_H1_RETRY_AFTER_MAX];
    result_t r = parse("HTTP/1.1 429 Slow\r\nretry-after:   120  \r\nContent-Length: 0\r\n\r\n",
                       0, 1024, 0);

    (void)state;
    assert_int_equal(r.status, 429);
    assert_string_equal(r.retry_after, "120");
    r = parse("HTTP/1.1 503 x\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
              "Content-Length: 0\r\n\r\n", 0, 1024, 0);
    assert_string_equal(r.retry_after, "Wed, 21 Oct 2015 07:28:00 GMT");
    snprintf(in, sizeof(in), "HTTP/1.1 503 x\r\nRetry-After: %0300d\r\nContent-Length: 0\r\n\r\n",
             7);
    r = parse(in, 0, 1024, 0);
    memset(want, '0', sizeof(want) - 1);
    want[sizeof(want) - 2] = '0';
    want[sizeof(want) - 1] = '\0';
    assert_int_equal(strlen(r.retry_after), EV_H1_RETRY_AFTER_MAX - 1);
    assert_string_equal(r.retry_after, want); /* the first 127 characters */
}

static void test_bytes_after_the_response(void **state)
{
    const char *in = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
    result_t r = parse(in, 0, 1024, 0);

    (void)state;
    assert_true(r.done);
    assert_int_equal(r.used, strlen(in) - 5);
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.2 200 OK\r\n\r\n",
        "HTTP/1.1 600 x\r\n\r\n",
        "HTTP/1.1 099 x\r\n\r\n",
        "HTTP/1.1 20 x\r\n\r\n",
        "HTTP/1.1 200x\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1111111111111111f\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        result_t r = parse(bad[i], 0, 1024, 1);

        if (r.used != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_false(r.done);
    }
}

static void test_limits(void **state)
{
    size_t n = EV_H1_HEAD_MAX + 100;
    char *in = malloc(n + 200);
    result_t r;
    size_t off;

    (void)state;
    /* a long unimportant header line is accepted (and not kept) */
    off = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nX-Long: ");
    memset(in + off, 'a', EV_H1_LINE_MAX * 2);
    off += EV_H1_LINE_MAX * 2;
    off += (size_t)sprintf(in + off, "\r\nContent-Length: 1\r\n\r\nz");
    in[off] = '\0';
    r = parse(in, 0, 1024, 0);
    assert_true(r.done);
    assert_string_equal(r.body, "z");
    /* a Content-Length line too long to read whole is refused */
    off = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nContent-Length: ");
    memset(in + off, '0', EV_H1_LINE_MAX);
    off += EV_H1_LINE_MAX;
    off += (size_t)sprintf(in + off, "1\r\n\r\nz");
    in[off] = '\0';
    r = parse(in, 0, 1024, 0);
    assert_int_equal(r.used, -1);
    /* headers over EV_H1_HEAD_MAX in all are refused */
    off = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\n");
    while (off < n) {
        memcpy(in + off, "X-A: 0123456789012345678901234567890123456789\r\n", 47);
        off += 47;
    }
    off += (size_t)sprintf(in + off, "\r\n");
    in[off] = '\0';
    r = parse(in, 0, 1024, 0);
    assert_int_equal(r.used, -1);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_close_delimited),
        cmocka_unit_test(test_interim_and_versions),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_bytes_after_the_response),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
