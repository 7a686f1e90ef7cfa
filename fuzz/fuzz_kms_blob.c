/*
 * fuzz/fuzz_kms_blob.c - libFuzzer driver for KMS ciphertext blobs: the
 * parser and Decrypt against a fixed key, with and without an encryption
 * context. Nothing may crash, leak, or open a blob that was not sealed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kms/kms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY_ID "11111111-2222-4333-8444-555555555555"

static ev_store_t *st;
static ev_kms_t k;
static ev_kms_key_t key;
static const unsigned char master[EV_KEY_BYTES] = {42};

static void init(void)
{
    char msg[256];

    if (ev_store_open(":memory:", &st, msg, sizeof(msg)) != EV_OK || ev_store_begin(st, 1))
        abort();
    k.store = st;
    k.master_key = master;
    k.scope.account = "000000000000";
    k.scope.region = "us-east-1";
    if (ev_kms_create(&k, KEY_ID, "CUSTOMER", "fuzz", NULL, 0, &key) != EV_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *ctx = json_pack("{s:s}", "SecretARN", "arn:x");
    ev_blob_t pt = {0};
    char id[64];

    if (!st)
        init();
    if (ev_kms_blob_key_id(data, size, id) == EV_OK && id[0] == '\0')
        abort(); /* a parsed blob always names a key */
    if (ev_kms_decrypt(&k, &key, data, size, NULL, &pt) == EV_OK)
        abort(); /* forging a GCM tag is not something a fuzzer should manage */
    ev_blob_free(&pt);
    if (ev_kms_decrypt(&k, &key, data, size, ctx, &pt) == EV_OK)
        abort();
    ev_blob_free(&pt);
    json_decref(ctx);
    return 0;
}
