/*
 * kms/blob.c - KMS ciphertext blobs. Layout:
 *
 *   "EVK" | version 1 | key id length (1 byte) | key id | sealed blob
 *
 * where the sealed blob (crypto/seal) binds the canonical encryption
 * context as additional data, so Decrypt with another context fails.
 */
#include <stdlib.h>
#include <string.h>

#include "kms/kms.h"
#include "util/util.h"

#define MAGIC "EVK"
#define VERSION 1
#define HEADER (sizeof(MAGIC) - 1 + 2)

char *ev_kms_context_canonical(const json_t *ctx)
{
    char *s;

    if (!ctx || json_object_size(ctx) == 0)
        return ev_xstrdup("");
    s = json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS);
    return s ? s : ev_xstrdup("");
}

ev_err ev_kms_encrypt(ev_kms_t *k, const ev_kms_key_t *key, const json_t *ctx, const void *pt,
                      size_t pt_len, ev_blob_t *out)
{
    unsigned char material[EV_KEY_BYTES];
    char *aad = ev_kms_context_canonical(ctx);
    size_t idlen = strlen(key->key_id);
    ev_blob_t sealed = {0};
    ev_err rc;

    out->p = NULL;
    out->n = 0;
    rc = ev_kms_material(k, key, material);
    if (rc)
        goto out;
    rc = ev_seal(material, aad, strlen(aad), pt, pt_len, &sealed);
    if (rc)
        goto out;
    out->n = HEADER + idlen + sealed.n;
    out->p = ev_xmalloc(out->n);
    memcpy(out->p, MAGIC, 3);
    out->p[3] = VERSION;
    out->p[4] = (unsigned char)idlen;
    memcpy(out->p + HEADER, key->key_id, idlen);
    memcpy(out->p + HEADER + idlen, sealed.p, sealed.n);
out:
    ev_wipe(material, sizeof(material));
    ev_blob_free(&sealed);
    free(aad);
    return rc;
}

ev_err ev_kms_blob_key_id(const unsigned char *blob, size_t len, char key_id[64])
{
    size_t idlen;

    if (!blob || len < HEADER || memcmp(blob, MAGIC, 3) != 0 || blob[3] != VERSION)
        return EV_ERR_KMS_INVALID_CIPHERTEXT;
    idlen = blob[4];
    if (idlen == 0 || idlen >= 64 || len < HEADER + idlen + EV_SEAL_OVERHEAD)
        return EV_ERR_KMS_INVALID_CIPHERTEXT;
    for (size_t i = 0; i < idlen; i++) {
        unsigned char ch = blob[HEADER + i];

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || ch == '-'))
            return EV_ERR_KMS_INVALID_CIPHERTEXT;
    }
    memcpy(key_id, blob + HEADER, idlen);
    key_id[idlen] = '\0';
    return EV_OK;
}

ev_err ev_kms_decrypt(ev_kms_t *k, const ev_kms_key_t *key, const unsigned char *blob,
                      size_t len, const json_t *ctx, ev_blob_t *out)
{
    unsigned char material[EV_KEY_BYTES];
    char id[64], *aad = NULL;
    size_t off;
    ev_err rc;

    out->p = NULL;
    out->n = 0;
    rc = ev_kms_blob_key_id(blob, len, id);
    if (rc)
        return rc;
    if (strcmp(id, key->key_id) != 0)
        return EV_ERR_KMS_INCORRECT_KEY;
    off = HEADER + strlen(id);
    rc = ev_kms_material(k, key, material);
    if (rc)
        goto out;
    aad = ev_kms_context_canonical(ctx);
    if (ev_open(material, aad, strlen(aad), blob + off, len - off, out) != EV_OK)
        rc = EV_ERR_KMS_INVALID_CIPHERTEXT;
out:
    ev_wipe(material, sizeof(material));
    free(aad);
    return rc;
}
