/*
 * fuzz/fuzz_jcanon.c - libFuzzer driver for core/jcanon.c: whenever
 * ev_jcanon_object answers, jansson must agree exactly: it parses the
 * input (JSON_REJECT_DUPLICATES) as an object and dumps (JSON_COMPACT |
 * JSON_PRESERVE_ORDER) the very bytes appended. An answer of "ask jansson"
 * must leave the buffer as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/jcanon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    ev_buf_t b;

    memcpy(s, data, size);
    s[size] = '\0';
    ev_buf_init(&b, 1 << 20);
    ev_buf_adds(&b, "prefix");
    if (ev_jcanon_object(&b, s, size) == 0) {
        json_t *j = json_loadb(s, size, JSON_REJECT_DUPLICATES, NULL);
        char *d;

        if (!json_is_object(j))
            abort();
        d = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!d || b.len != 6 + strlen(d) || memcmp(b.p + 6, d, strlen(d)) != 0)
            abort();
        free(d);
        json_decref(j);
    } else if (b.len != 6 || memcmp(b.p, "prefix", 7) != 0) {
        abort();
    }
    ev_buf_free(&b);
    free(s);
    return 0;
}
