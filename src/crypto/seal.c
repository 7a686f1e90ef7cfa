/*
 * crypto/seal.c - AES-256-GCM sealing with bound additional data, and the
 * master key file.
 */
#include "crypto/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define SEAL_VERSION 1
#define NONCE_BYTES 12
#define TAG_BYTES 16

void ev_blob_free(ev_blob_t *b)
{
    if (!b)
        return;
    if (b->p) {
        ev_wipe(b->p, b->n);
        free(b->p);
    }
    b->p = NULL;
    b->n = 0;
}

ev_err ev_seal(const unsigned char key[EV_KEY_BYTES], const void *aad, size_t aad_len,
               const void *pt, size_t pt_len, ev_blob_t *out)
{
    EVP_CIPHER_CTX *c = NULL;
    unsigned char *buf = NULL;
    int len;
    ev_err rc = EV_ERR_INTERNAL;

    out->p = NULL;
    out->n = 0;
    if (pt_len > (1u << 30) || aad_len > (1u << 20))
        goto out;
    buf = ev_xmalloc(EV_SEAL_OVERHEAD + pt_len);
    buf[0] = SEAL_VERSION;
    ev_random(buf + 1, NONCE_BYTES);
    c = EVP_CIPHER_CTX_new();
    if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf + 1) != 1)
        goto out;
    if (aad_len && EVP_EncryptUpdate(c, NULL, &len, aad, (int)aad_len) != 1)
        goto out;
    if (pt_len && EVP_EncryptUpdate(c, buf + 1 + NONCE_BYTES, &len, pt, (int)pt_len) != 1)
        goto out;
    if (EVP_EncryptFinal_ex(c, buf + 1 + NONCE_BYTES + pt_len, &len) != 1)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_BYTES,
                            buf + 1 + NONCE_BYTES + pt_len) != 1)
        goto out;
    out->p = buf;
    out->n = EV_SEAL_OVERHEAD + pt_len;
    buf = NULL;
    rc = EV_OK;
out:
    EVP_CIPHER_CTX_free(c);
    free(buf);
    return rc;
}

ev_err ev_open(const unsigned char key[EV_KEY_BYTES], const void *aad, size_t aad_len,
               const unsigned char *blob, size_t blob_len, ev_blob_t *out)
{
    EVP_CIPHER_CTX *c = NULL;
    unsigned char *pt = NULL;
    size_t pt_len;
    int len;
    ev_err rc = EV_ERR_ACCESS_DENIED;

    out->p = NULL;
    out->n = 0;
    if (!blob || blob_len < EV_SEAL_OVERHEAD || blob[0] != SEAL_VERSION ||
        blob_len > (1u << 30) || aad_len > (1u << 20))
        goto out;
    pt_len = blob_len - EV_SEAL_OVERHEAD;
    pt = ev_xmalloc(pt_len + 1);
    c = EVP_CIPHER_CTX_new();
    if (!c || EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, blob + 1) != 1)
        goto out;
    if (aad_len && EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len) != 1)
        goto out;
    if (pt_len && EVP_DecryptUpdate(c, pt, &len, blob + 1 + NONCE_BYTES, (int)pt_len) != 1)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_BYTES,
                            (void *)(blob + 1 + NONCE_BYTES + pt_len)) != 1)
        goto out;
    if (EVP_DecryptFinal_ex(c, pt + pt_len, &len) != 1)
        goto out;
    pt[pt_len] = '\0';
    out->p = pt;
    out->n = pt_len;
    pt = NULL;
    rc = EV_OK;
out:
    EVP_CIPHER_CTX_free(c);
    if (pt) {
        ev_wipe(pt, blob_len - EV_SEAL_OVERHEAD);
        free(pt);
    }
    return rc;
}

static int parse_hex_key(const char *s, unsigned char key[EV_KEY_BYTES])
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    if (n != 2 * EV_KEY_BYTES)
        return -1;
    for (size_t i = 0; i < EV_KEY_BYTES; i++) {
        unsigned int v;
        char pair[3] = {s[2 * i], s[2 * i + 1], '\0'};
        char *end;

        v = (unsigned int)strtoul(pair, &end, 16);
        if (*end != '\0' || !strchr("0123456789abcdefABCDEF", pair[0]) ||
            !strchr("0123456789abcdefABCDEF", pair[1]))
            return -1;
        key[i] = (unsigned char)v;
    }
    return 0;
}

static ev_err read_key_file(const char *path, unsigned char key[EV_KEY_BYTES], char *msg,
                            size_t msglen)
{
    char text[130];
    ssize_t n;
    ev_err rc = EV_ERR_INTERNAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        snprintf(msg, msglen, "cannot read master key file %s: %s", path, strerror(errno));
        return rc;
    }
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0) {
        snprintf(msg, msglen, "cannot read master key file %s: %s", path, strerror(errno));
        goto out;
    }
    text[n] = '\0';
    if (parse_hex_key(text, key) != 0) {
        snprintf(msg, msglen, "master key file %s must hold 64 hexadecimal characters", path);
        goto out;
    }
    rc = EV_OK;
out:
    ev_wipe(text, sizeof(text));
    return rc;
}

ev_err ev_master_key_load(const char *data_dir, const char *key_file, const char *env_value,
                          unsigned char key[EV_KEY_BYTES], char *msg, size_t msglen)
{
    char path[4096];
    char hex[2 * EV_KEY_BYTES + 2];
    int fd;
    ev_err rc = EV_ERR_INTERNAL;

    if (key_file && *key_file)
        return read_key_file(key_file, key, msg, msglen);
    if (env_value && *env_value) {
        if (parse_hex_key(env_value, key) != 0) {
            snprintf(msg, msglen, "EVBRIDGE_MASTER_KEY must hold 64 hexadecimal characters");
            return rc;
        }
        return EV_OK;
    }
    snprintf(path, sizeof(path), "%s/master.key", data_dir);
    if (access(path, F_OK) == 0)
        return read_key_file(path, key, msg, msglen);
    ev_random(key, EV_KEY_BYTES);
    ev_hex(key, EV_KEY_BYTES, hex);
    hex[2 * EV_KEY_BYTES] = '\n';
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(msg, msglen, "cannot create master key file %s: %s", path, strerror(errno));
        goto out;
    }
    if (write(fd, hex, 2 * EV_KEY_BYTES + 1) != 2 * EV_KEY_BYTES + 1 || fsync(fd) != 0) {
        snprintf(msg, msglen, "cannot write master key file %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        goto out;
    }
    close(fd);
    rc = EV_OK;
out:
    ev_wipe(hex, sizeof(hex));
    return rc;
}
