/*
 * server/sigv4.h - AWS Signature Version 4 verification of an incoming
 * request (Authorization header form; presigned query form optional).
 */
#ifndef EV_SERVER_SIGV4_H
#define EV_SERVER_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "core/err.h"

typedef struct {
    const char *name;  /* as received, any case */
    const char *value; /* as received, untrimmed */
} ev_sigv4_header_t;

typedef struct {
    const char *method; /* "POST" */
    const char *path;   /* raw request path, e.g. "/" (no query) */
    const char *query;  /* raw query string without '?', "" when none */
    const ev_sigv4_header_t *headers; /* every request header */
    size_t nheaders;
    const unsigned char *body; /* borrowed */
    size_t body_len;
} ev_sigv4_req_t;

/* What a verified request proved. */
typedef struct {
    char access_key[129];
    char date[9];     /* YYYYMMDD of the credential scope */
    char region[64];  /* region of the credential scope */
    char service[32]; /* service of the credential scope */
} ev_sigv4_identity_t;

/* Returns the secret access key for an access key id, or NULL if unknown. */
typedef const char *(*ev_sigv4_lookup_cb)(const char *access_key, void *ud);

/*
 * Verifies the request's signature at time `now`. On success fills `id` and
 * returns EV_OK. On failure returns one of EV_ERR_MISSING_AUTH,
 * EV_ERR_INCOMPLETE_SIG, EV_ERR_INVALID_SIG, EV_ERR_UNRECOGNIZED_CLIENT and
 * writes AWS's message into msg (never any secret).
 */
EV_MUST_CHECK ev_err ev_sigv4_verify(const ev_sigv4_req_t *r, time_t now,
                                     ev_sigv4_lookup_cb lookup, void *ud,
                                     ev_sigv4_identity_t *id /* OUT */,
                                     char *msg /* OUT */, size_t msglen);

/*
 * Computes the hex signature of a request for the given secret, date
 * (YYYYMMDDTHHMMSSZ), region and service over `signed_headers`
 * (";"-separated lowercase names). Used by tests and by verification.
 * Writes 64 hex chars + NUL into sig. Returns EV_OK or EV_ERR_INCOMPLETE_SIG
 * when a signed header is absent.
 */
EV_MUST_CHECK ev_err ev_sigv4_sign(const ev_sigv4_req_t *r, const char *secret,
                                   const char *amz_date, const char *region,
                                   const char *service, const char *signed_headers,
                                   const char *payload_hash /* NULL: hash the body */,
                                   char sig[65] /* OUT */);

#endif
