/*
 * tests/unit/crypto/test_seal.c - sealing round trips, tampering, wrong
 * additional data, and the master key file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"

static const unsigned char key[EV_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                                15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                                                27, 28, 29, 30, 31, 32};

static void test_round_trip(void **state)
{
    ev_blob_t sealed, opened;

    (void)state;
    assert_int_equal(ev_seal(key, "ctx", 3, "hunter2", 7, &sealed), EV_OK);
    assert_int_equal(sealed.n, 7 + EV_SEAL_OVERHEAD);
    assert_null(memmem(sealed.p, sealed.n, "hunter2", 7));
    assert_int_equal(ev_open(key, "ctx", 3, sealed.p, sealed.n, &opened), EV_OK);
    assert_int_equal(opened.n, 7);
    assert_string_equal((char *)opened.p, "hunter2");
    ev_blob_free(&opened);
    ev_blob_free(&sealed);
}

static void test_two_seals_differ(void **state)
{
    ev_blob_t a, b;

    (void)state;
    assert_int_equal(ev_seal(key, NULL, 0, "same", 4, &a), EV_OK);
    assert_int_equal(ev_seal(key, NULL, 0, "same", 4, &b), EV_OK);
    assert_int_equal(a.n, b.n);
    assert_memory_not_equal(a.p, b.p, a.n); /* fresh nonce each time */
    ev_blob_free(&a);
    ev_blob_free(&b);
}

static void test_wrong_aad_key_or_tamper_fails(void **state)
{
    ev_blob_t sealed, opened;
    unsigned char other[EV_KEY_BYTES];

    (void)state;
    memcpy(other, key, sizeof(other));
    other[0] ^= 1;
    assert_int_equal(ev_seal(key, "arn:a", 5, "secret", 6, &sealed), EV_OK);
    assert_int_equal(ev_open(key, "arn:b", 5, sealed.p, sealed.n, &opened), EV_ERR_ACCESS_DENIED);
    assert_null(opened.p);
    assert_int_equal(ev_open(other, "arn:a", 5, sealed.p, sealed.n, &opened),
                     EV_ERR_ACCESS_DENIED);
    for (size_t i = 0; i < sealed.n; i++) {
        sealed.p[i] ^= 0x40;
        assert_int_equal(ev_open(key, "arn:a", 5, sealed.p, sealed.n, &opened),
                         EV_ERR_ACCESS_DENIED);
        sealed.p[i] ^= 0x40;
    }
    assert_int_equal(ev_open(key, "arn:a", 5, sealed.p, sealed.n - 1, &opened),
                     EV_ERR_ACCESS_DENIED);
    assert_int_equal(ev_open(key, "arn:a", 5, sealed.p, 3, &opened), EV_ERR_ACCESS_DENIED);
    assert_int_equal(ev_open(key, "arn:a", 5, sealed.p, sealed.n, &opened), EV_OK);
    ev_blob_free(&opened);
    ev_blob_free(&sealed);
}

static void test_master_key_file(void **state)
{
    char dir[] = "/tmp/evtest-XXXXXX", path[256], msg[256];
    unsigned char k1[EV_KEY_BYTES], k2[EV_KEY_BYTES];
    struct stat st;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(ev_master_key_load(dir, NULL, NULL, k1, msg, sizeof(msg)), EV_OK);
    snprintf(path, sizeof(path), "%s/master.key", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(ev_master_key_load(dir, NULL, NULL, k2, msg, sizeof(msg)), EV_OK);
    assert_memory_equal(k1, k2, EV_KEY_BYTES);
    /* The environment value wins over the file in the data directory. */
    assert_int_equal(ev_master_key_load(dir, NULL,
                                        "000102030405060708090a0b0c0d0e0f"
                                        "101112131415161718191a1b1c1d1e1f", k2, msg, sizeof(msg)),
                     EV_OK);
    assert_int_equal(k2[0], 0);
    assert_int_equal(k2[31], 0x1f);
    assert_int_equal(ev_master_key_load(dir, NULL, "abc", k2, msg, sizeof(msg)), EV_ERR_INTERNAL);
    assert_string_equal(msg, "EVBRIDGE_MASTER_KEY must hold 64 hexadecimal characters");
    f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    assert_int_equal(ev_master_key_load(dir, NULL, NULL, k2, msg, sizeof(msg)), EV_ERR_INTERNAL);
    assert_non_null(strstr(msg, "must hold 64 hexadecimal characters"));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_two_seals_differ),
        cmocka_unit_test(test_wrong_aad_key_or_tamper_fails),
        cmocka_unit_test(test_master_key_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
