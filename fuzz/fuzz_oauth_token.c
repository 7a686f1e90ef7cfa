/*
 * fuzz/fuzz_oauth_token.c - libFuzzer driver for token endpoint responses:
 * whatever a token endpoint answers, the parser returns a token or a reason,
 * never crashes, and a reason never contains the token text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *token = NULL, *why = NULL;
    int64_t expires = 0;
    ev_err rc = ev_oauth_parse((const char *)data, size, &token, &expires, &why);

    if (rc == EV_OK) {
        if (!token || !*token || why)
            abort();
        if (expires < -1)
            abort();
    } else {
        if (token || !why)
            abort();
    }
    free(token);
    free(why);
    return 0;
}
