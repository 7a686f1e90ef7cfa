/*
 * fuzz/fuzz_sigv4.c - libFuzzer driver for SigV4 verification. The input is
 * split on newlines into: Authorization value, X-Amz-Date value, extra
 * header "name:value" lines; the rest after a blank line is the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(const char *akid, void *ud)
{
    (void)ud;
    return strcmp(akid, "test") == 0 ? "test" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *line, *save = NULL, *body = "";
    ev_sigv4_header_t h[16];
    ev_sigv4_req_t r;
    ev_sigv4_identity_t id;
    char msg[512];
    size_t n = 0;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *blank = strstr(text, "\n\n");
    if (blank) {
        *blank = '\0';
        body = blank + 2;
    }
    h[n].name = "Host";
    h[n++].value = "127.0.0.1:4010";
    for (line = strtok_r(text, "\n", &save); line && n < 16; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');

        if (n == 1) {
            h[n].name = "Authorization";
            h[n++].value = line;
        } else if (n == 2) {
            h[n].name = "X-Amz-Date";
            h[n++].value = line;
        } else if (colon) {
            *colon = '\0';
            h[n].name = line;
            h[n++].value = colon + 1;
        }
    }
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.query = "";
    r.headers = h;
    r.nheaders = n;
    r.body = (const unsigned char *)body;
    r.body_len = strlen(body);
    (void)ev_sigv4_verify(&r, 1700000000, lookup, NULL, &id, msg, sizeof(msg));
    free(text);
    return 0;
}
