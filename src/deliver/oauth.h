/*
 * deliver/oauth.h - the OAuth client-credentials token request and the
 * parsing of token responses (oauth.md). Pure: no I/O.
 */
#ifndef EV_DELIVER_OAUTH_H
#define EV_DELIVER_OAUTH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "deliver/request.h"

#define EV_OAUTH_MAX_RESPONSE (64 * 1024)

/*
 * The token request for a connection secret (client_id, client_secret,
 * authorization_endpoint, http_method, oauth_http_parameters): the
 * endpoint plus the OAuth query parameters, Basic client authentication,
 * the OAuth headers, and the body parameters form-encoded (POST and PUT).
 */
EV_MUST_CHECK ev_err ev_oauth_request(const json_t *secret, ev_http_request_t *out, char **err);

/*
 * Parses a 2xx token response. EV_OK: *token (malloc'd; wipe it) and
 * *expires_in_s (-1 when absent or not a number; a number <= 0 is kept as
 * is and means "already expired"). EV_ERR_VALIDATION with *why (malloc'd,
 * never containing the token) for a body that is not JSON, not an object,
 * too large, or without a non-empty string access_token.
 */
EV_MUST_CHECK ev_err ev_oauth_parse(const char *body, size_t len, char **token,
                                    int64_t *expires_in_s, char **why);

#endif
