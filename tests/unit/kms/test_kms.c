/*
 * tests/unit/kms/test_kms.c - KMS ciphertext blobs (round trips, encryption
 * context binding, tampering, truncation), key identifiers and states, the
 * end of a deletion window, and connection secrets under a customer key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kms/kms.h"

static const unsigned char master[EV_KEY_BYTES] = {7};

typedef struct {
    ev_store_t *st;
    ev_kms_t k;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char msg[256];

    assert_int_equal(ev_store_open(":memory:", &f->st, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_store_begin(f->st, 1), EV_OK);
    f->k.store = f->st;
    f->k.master_key = master;
    f->k.scope.account = "000000000000";
    f->k.scope.region = "us-east-1";
    f->k.now_ms = 1700000000000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    (void)ev_store_end(f->st, EV_ERR_VALIDATION);
    ev_store_close(f->st);
    free(f);
    return 0;
}

static void new_key(fixture_t *f, ev_kms_key_t *key)
{
    assert_int_equal(ev_kms_create(&f->k, NULL, "CUSTOMER", "test", NULL, 0, key), EV_OK);
}

static void test_round_trip_and_context(void **state)
{
    fixture_t *f = *state;
    ev_kms_key_t key;
    json_t *ctx = json_pack("{s:s,s:s}", "b", "2", "a", "1");
    json_t *same = json_pack("{s:s,s:s}", "a", "1", "b", "2"); /* order does not matter */
    json_t *other = json_pack("{s:s}", "a", "1");
    ev_blob_t ct, pt;
    char id[64];

    new_key(f, &key);
    assert_int_equal(ev_kms_encrypt(&f->k, &key, ctx, "attack at dawn", 14, &ct), EV_OK);
    assert_null(memmem(ct.p, ct.n, "attack", 6));
    assert_int_equal(ev_kms_blob_key_id(ct.p, ct.n, id), EV_OK);
    assert_string_equal(id, key.key_id);
    assert_int_equal(ev_kms_decrypt(&f->k, &key, ct.p, ct.n, same, &pt), EV_OK);
    assert_int_equal(pt.n, 14);
    assert_memory_equal(pt.p, "attack at dawn", 14);
    ev_blob_free(&pt);
    assert_int_equal(ev_kms_decrypt(&f->k, &key, ct.p, ct.n, other, &pt),
                     EV_ERR_KMS_INVALID_CIPHERTEXT);
    assert_int_equal(ev_kms_decrypt(&f->k, &key, ct.p, ct.n, NULL, &pt),
                     EV_ERR_KMS_INVALID_CIPHERTEXT);
    ev_blob_free(&ct);
    json_decref(ctx);
    json_decref(same);
    json_decref(other);
    ev_kms_key_clear(&key);
}

static void test_tampered_and_truncated(void **state)
{
    fixture_t *f = *state;
    ev_kms_key_t key, other;
    ev_blob_t ct, pt;
    char id[64];

    new_key(f, &key);
    new_key(f, &other);
    assert_int_equal(ev_kms_encrypt(&f->k, &key, NULL, "x", 1, &ct), EV_OK);
    for (size_t i = 0; i < ct.n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            ct.p[i] ^= (unsigned char)(1 << bit);
            assert_int_not_equal(ev_kms_decrypt(&f->k, &key, ct.p, ct.n, NULL, &pt), EV_OK);
            assert_null(pt.p);
            ct.p[i] ^= (unsigned char)(1 << bit);
        }
    }
    for (size_t n = 0; n < ct.n; n++)
        assert_int_not_equal(ev_kms_decrypt(&f->k, &key, ct.p, n, NULL, &pt), EV_OK);
    assert_int_equal(ev_kms_blob_key_id((const unsigned char *)"EVK", 3, id),
                     EV_ERR_KMS_INVALID_CIPHERTEXT);
    assert_int_equal(ev_kms_blob_key_id(NULL, 0, id), EV_ERR_KMS_INVALID_CIPHERTEXT);
    /* The blob names its key: opening it with another key is refused. */
    assert_int_equal(ev_kms_decrypt(&f->k, &other, ct.p, ct.n, NULL, &pt),
                     EV_ERR_KMS_INCORRECT_KEY);
    assert_int_equal(ev_kms_decrypt(&f->k, &key, ct.p, ct.n, NULL, &pt), EV_OK);
    ev_blob_free(&pt);
    ev_blob_free(&ct);
    ev_kms_key_clear(&key);
    ev_kms_key_clear(&other);
}

static void test_find_forms_and_errors(void **state)
{
    fixture_t *f = *state;
    ev_kms_key_t key, got;
    ev_kms_alias_t a = {0};
    char *msg = NULL, ref[160];

    new_key(f, &key);
    a.name = "alias/app";
    a.key_id = key.key_id;
    assert_int_equal(ev_store_kms_alias_put(f->st, f->k.scope, &a), EV_OK);
    assert_int_equal(ev_kms_find(&f->k, key.key_id, 0, &got, &msg), EV_OK);
    ev_kms_key_clear(&got);
    assert_int_equal(ev_kms_find(&f->k, key.arn, 0, &got, &msg), EV_OK);
    ev_kms_key_clear(&got);
    assert_int_equal(ev_kms_find(&f->k, "alias/app", 1, &got, &msg), EV_OK);
    assert_string_equal(got.key_id, key.key_id);
    ev_kms_key_clear(&got);
    assert_int_equal(ev_kms_find(&f->k, "arn:aws:kms:us-east-1:000000000000:alias/app", 1, &got,
                                 &msg), EV_OK);
    ev_kms_key_clear(&got);
    assert_int_equal(ev_kms_find(&f->k, "alias/app", 0, &got, &msg), EV_ERR_KMS_NOT_FOUND);
    free(msg);
    assert_int_equal(ev_kms_find(&f->k, "alias/none", 1, &got, &msg), EV_ERR_KMS_NOT_FOUND);
    assert_string_equal(msg, "Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.");
    free(msg);
    assert_int_equal(ev_kms_find(&f->k, "not-a-key", 1, &got, &msg), EV_ERR_KMS_NOT_FOUND);
    assert_string_equal(msg, "Invalid keyId 'not-a-key'");
    free(msg);
    assert_int_equal(ev_kms_find(&f->k, "11111111-2222-4333-8444-555555555555", 1, &got, &msg),
                     EV_ERR_KMS_NOT_FOUND);
    assert_string_equal(msg, "Key 'arn:aws:kms:us-east-1:000000000000:key/"
                             "11111111-2222-4333-8444-555555555555' does not exist");
    free(msg);
    snprintf(ref, sizeof(ref), "arn:aws:kms:eu-west-1:000000000000:key/%s", key.key_id);
    assert_int_equal(ev_kms_find(&f->k, ref, 1, &got, &msg), EV_ERR_KMS_NOT_FOUND);
    assert_string_equal(msg, "Invalid arn eu-west-1");
    free(msg);
    ev_kms_key_clear(&key);
}

static void test_states_and_deletion_window(void **state)
{
    fixture_t *f = *state;
    ev_kms_key_t key, got;
    char *msg = NULL, id[64];

    new_key(f, &key);
    snprintf(id, sizeof(id), "%s", key.key_id);
    assert_int_equal(ev_kms_usable(&key, &msg), EV_OK);
    free(key.state);
    key.state = strdup("Disabled");
    assert_int_equal(ev_kms_usable(&key, &msg), EV_ERR_KMS_DISABLED);
    assert_non_null(strstr(msg, " is disabled."));
    free(msg);
    free(key.state);
    key.state = strdup("PendingDeletion");
    key.deletion_ms = f->k.now_ms + 1000;
    assert_int_equal(ev_store_kms_key_put(f->st, f->k.scope, &key), EV_OK);
    assert_int_equal(ev_kms_usable(&key, &msg), EV_ERR_KMS_INVALID_STATE);
    free(msg);
    assert_int_equal(ev_kms_find(&f->k, id, 0, &got, &msg), EV_OK);
    ev_kms_key_clear(&got);
    f->k.now_ms += 1000; /* the window ends: the key is gone for good */
    assert_int_equal(ev_kms_find(&f->k, id, 0, &got, &msg), EV_ERR_KMS_NOT_FOUND);
    free(msg);
    assert_int_equal(ev_store_kms_key_get(f->st, f->k.scope, id, &got), EV_ERR_NOT_FOUND);
    ev_kms_key_clear(&key);
}

static void test_connection_secret_under_customer_key(void **state)
{
    fixture_t *f = *state;
    const char *arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:events!connection/"
                      "c/1-abcdef";
    ev_kms_key_t key;
    json_t *pt = json_pack("{s:s,s:s}", "username", "u", "password", "hunter2"), *out;
    ev_secret_t s;
    char *msg = NULL;

    new_key(f, &key);
    /* Untagged: EventBridge may not use it. */
    assert_int_equal(ev_secret_seal(&f->k, key.key_id, arn, "n", "arn:c", pt, &msg),
                     EV_ERR_ACCESS_DENIED);
    assert_non_null(strstr(msg, "is not tagged EventBridgeApiDestinations=true."));
    free(msg);
    assert_int_equal(ev_store_tag_put(f->st, f->k.scope, key.arn, "EventBridgeApiDestinations",
                                      "true"), EV_OK);
    assert_int_equal(ev_secret_seal(&f->k, key.key_id, arn, "n", "arn:c", pt, &msg), EV_OK);
    assert_int_equal(ev_store_secret_get(f->st, f->k.scope, arn, &s), EV_OK);
    assert_string_equal(s.kms_key_id, key.arn);
    assert_null(memmem(s.ciphertext, s.ciphertext_len, "hunter2", 7));
    ev_secret_clear(&s);
    assert_int_equal(ev_secret_open(&f->k, arn, "arn:c", &out, &msg), EV_OK);
    assert_string_equal(json_string_value(json_object_get(out, "password")), "hunter2");
    ev_json_wipe(out);
    assert_int_equal(ev_secret_seal(&f->k, "alias/none", arn, "n", "arn:c", pt, &msg),
                     EV_ERR_NOT_FOUND);
    assert_string_equal(msg, "KMS key alias/none not found");
    free(msg);
    json_decref(pt);
    ev_kms_key_clear(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_and_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_and_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_forms_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_states_and_deletion_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_secret_under_customer_key, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
