/*
 * crypto/crypto.h - authenticated encryption for secrets at rest.
 *
 * Every sealed blob is: version byte (1) | 12-byte nonce | ciphertext | 16-byte
 * GCM tag, AES-256-GCM with caller-supplied additional data (the encryption
 * context), so a blob moved to another record or context fails to open.
 * Key hierarchy: master key (file or environment) wraps KMS key material;
 * KMS key material wraps one data key per secret; the data key seals the secret.
 */
#ifndef EV_CRYPTO_CRYPTO_H
#define EV_CRYPTO_CRYPTO_H

#include <stddef.h>

#include "core/err.h"

#define EV_KEY_BYTES 32
#define EV_SEAL_OVERHEAD (1 + 12 + 16)

typedef struct {
    unsigned char *p;
    size_t n;
} ev_blob_t;

/* Frees a blob's bytes after wiping them. Accepts an empty blob. */
void ev_blob_free(ev_blob_t *b);

/*
 * Seals pt under key with aad bound as additional data. *out receives a
 * malloc'd blob. Returns EV_OK or EV_ERR_INTERNAL.
 */
EV_MUST_CHECK ev_err ev_seal(const unsigned char key[EV_KEY_BYTES], const void *aad,
                             size_t aad_len, const void *pt, size_t pt_len,
                             ev_blob_t *out /* OUT */);

/*
 * Opens a sealed blob. EV_OK with *out malloc'd plaintext (plus a NUL after
 * its last byte, not counted in n); EV_ERR_ACCESS_DENIED when the blob is
 * malformed, was sealed under another key or with other additional data.
 */
EV_MUST_CHECK ev_err ev_open(const unsigned char key[EV_KEY_BYTES], const void *aad,
                             size_t aad_len, const unsigned char *blob, size_t blob_len,
                             ev_blob_t *out /* OUT */);

/*
 * Loads the master key: from `key_file` if given, else from `env_value`
 * (64 hex characters) if given, else from <data_dir>/master.key, which is
 * created (mode 0600, 32 random bytes) when absent. On failure writes a
 * clear message into msg and returns EV_ERR_INTERNAL.
 */
EV_MUST_CHECK ev_err ev_master_key_load(const char *data_dir, const char *key_file,
                                        const char *env_value,
                                        unsigned char key[EV_KEY_BYTES] /* OUT */,
                                        char *msg /* OUT */, size_t msglen);

#endif
