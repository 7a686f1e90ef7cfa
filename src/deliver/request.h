/*
 * deliver/request.h - the HTTP request an API destination receives, built
 * from the destination, the target's HttpParameters, the connection's
 * invocation parameters and credentials, and the payload (delivery.md §1).
 * Pure: no I/O, so it is unit-tested and fuzzed alone.
 */
#ifndef EV_DELIVER_REQUEST_H
#define EV_DELIVER_REQUEST_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

typedef struct {
    const char *endpoint;      /* InvocationEndpoint, may contain '*' */
    const char *method;        /* HttpMethod */
    const json_t *target_http; /* target HttpParameters, or NULL */
    const json_t *conn_http;   /* the secret's invocation_http_parameters, or NULL */
    const char *auth_type;     /* BASIC | API_KEY | OAUTH_CLIENT_CREDENTIALS */
    const json_t *secret;      /* the connection's SecretString object */
    const char *bearer;        /* OAuth access token, or NULL */
    const char *payload;
    size_t payload_len;
} ev_request_in_t;

typedef struct {
    char *url;
    const char *method;
    char **headers; /* "Name: value", each malloc'd */
    size_t nheaders;
    char *body;     /* NULL: no body (GET, HEAD) */
    size_t body_len;
} ev_http_request_t;

/*
 * Builds the request. EV_ERR_VALIDATION with *err (malloc'd) when it cannot
 * be built (e.g. fewer PathParameterValues than '*' in the endpoint).
 * Header values that came from secrets are in out->headers: never log them.
 */
EV_MUST_CHECK ev_err ev_request_build(const ev_request_in_t *in, ev_http_request_t *out,
                                      char **err);
/* Frees a request (wiping its headers, which may hold credentials). */
void ev_request_free(ev_http_request_t *r);

/* RFC 3986 percent-encoding of s (unreserved characters kept); malloc'd. */
char *ev_url_encode(const char *s);

#endif
