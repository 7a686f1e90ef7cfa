/*
 * tests/unit/store/test_attlog.c - the history's record format: round trips,
 * absent and cut strings, and damaged blobs (never read past the end).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "store/attlog.h"

static ev_attlog_rec_t rec(const char *event_id, const char *error, const char *response,
                           size_t response_len)
{
    ev_attlog_rec_t r;
    const char *s[EV_ATTLOG_NSTR] = {"123456789012", "eu-west-1", event_id,
                                     "arn:aws:events:eu-west-1:123456789012:rule/b/r",
                                     "t1", "arn:aws:events:eu-west-1:123456789012:"
                                           "api-destination/d/0c6a",
                                     error ? "failed" : "success", error, response};

    memset(&r, 0, sizeof(r));
    r.time_ms = 1700000000123LL;
    r.latency_ms = 42;
    r.attempt = 3;
    r.status = error ? -1 : 200;
    for (int i = 0; i < EV_ATTLOG_NSTR; i++) {
        r.s[i] = s[i];
        r.len[i] = s[i] ? strlen(s[i]) : 0;
    }
    r.len[EV_ATTLOG_RESPONSE] = response_len;
    return r;
}

static void assert_str(const ev_attlog_rec_t *r, int i, const char *want, size_t n)
{
    assert_int_equal(r->len[i], n);
    assert_memory_equal(r->s[i], want, n);
}

static void test_round_trip(void **state)
{
    ev_buf_t b;
    ev_attlog_rec_t in[3], out;
    size_t off = 0;
    static const char bin[] = {'o', 0, 'k', '\n'};

    (void)state;
    ev_buf_init(&b, 1 << 20);
    in[0] = rec("e-1", NULL, "{}", 2);
    in[1] = rec("e-2", "SDK_CLIENT_ERROR: Couldn't connect to server", "", 0);
    in[2] = rec("e-3", "", bin, sizeof(bin)); /* an empty error is not an absent one */
    in[2].status = 0;
    in[2].time_ms = -5;
    for (int i = 0; i < 3; i++)
        ev_attlog_put(&b, &in[i]);
    assert_false(b.failed);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ev_attlog_next((unsigned char *)b.p, b.len, &off, &out), 1);
        assert_int_equal(out.time_ms, in[i].time_ms);
        assert_int_equal(out.latency_ms, 42);
        assert_int_equal(out.attempt, 3);
        assert_int_equal(out.status, in[i].status);
        for (int k = 0; k < EV_ATTLOG_NSTR; k++) {
            if (!in[i].s[k]) {
                assert_null(out.s[k]);
                continue;
            }
            assert_non_null(out.s[k]);
            assert_str(&out, k, in[i].s[k], in[i].len[k]);
        }
    }
    assert_int_equal(off, b.len);
    assert_int_equal(ev_attlog_next((unsigned char *)b.p, b.len, &off, &out), 0);
    ev_buf_free(&b);
}

/* Strings longer than a u16 length are cut, the record stays readable. */
static void test_long_string_is_cut(void **state)
{
    size_t big = 70000;
    char *s = malloc(big);
    ev_buf_t b;
    ev_attlog_rec_t in, out;
    size_t off = 0;

    (void)state;
    memset(s, 'x', big);
    ev_buf_init(&b, 1 << 20);
    in = rec("e-1", NULL, "ok", 2);
    in.s[EV_ATTLOG_ERROR] = s;
    in.len[EV_ATTLOG_ERROR] = big;
    ev_attlog_put(&b, &in);
    assert_int_equal(ev_attlog_next((unsigned char *)b.p, b.len, &off, &out), 1);
    assert_int_equal(out.len[EV_ATTLOG_ERROR], 0xFFFE);
    assert_str(&out, EV_ATTLOG_RESPONSE, "ok", 2);
    ev_buf_free(&b);
    free(s);
}

/* Every truncation of a valid blob, and a bad version byte, reads as
 * damaged (-1) or ends cleanly between records, never past the end. */
static void test_damaged(void **state)
{
    ev_buf_t b;
    ev_attlog_rec_t in = rec("e-1", NULL, "{}", 2), out;
    size_t one, off;
    unsigned char *copy;

    (void)state;
    ev_buf_init(&b, 1 << 20);
    ev_attlog_put(&b, &in);
    one = b.len;
    ev_attlog_put(&b, &in);
    for (size_t n = 0; n < b.len; n++) {
        int rc, got = 0;

        copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees any overread */
        memcpy(copy, b.p, n);
        off = 0;
        while ((rc = ev_attlog_next(copy, n, &off, &out)) == 1)
            got++;
        if (n == 0 || n == one)
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, -1);
        assert_int_equal(got, n >= one ? 1 : 0);
        free(copy);
    }
    b.p[0] = 2;
    off = 0;
    assert_int_equal(ev_attlog_next((unsigned char *)b.p, b.len, &off, &out), -1);
    ev_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_long_string_is_cut),
        cmocka_unit_test(test_damaged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
