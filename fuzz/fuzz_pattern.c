/*
 * fuzz/fuzz_pattern.c - libFuzzer driver for the pattern compiler on
 * arbitrary bytes: ev_pattern_compile_check must return EV_OK or
 * EV_ERR_INVALID_PATTERN with a well-formed message, never crash, hang or
 * leak; an accepted pattern must also build into a matcher that can match a
 * few fixed events.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const events[] = {
    "{\"id\":\"1\",\"source\":\"s\",\"detail\":{\"a\":1,\"b\":\"x\",\"c\":[1,\"2\",null,true]}}",
    "{\"a\":{\"b\":[{\"c\":1},{\"c\":\"10.0.0.1\"}]},\"x\":-1.5e3}",
    "{}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ev_match_scratch_t *scratch;
    char *msg = NULL;
    ev_err rc = ev_pattern_compile_check((const char *)data, size, &msg);

    if (!scratch)
        scratch = ev_match_scratch_new();
    if (rc == EV_OK) {
        ev_matcher_builder_t *b = ev_matcher_builder_new();
        ev_matcher_t *m;
        size_t i;

        if (msg)
            abort();
        if (ev_matcher_builder_add(b, 1, (const char *)data, size, NULL) != EV_OK)
            abort();
        m = ev_matcher_builder_finish(b);
        for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
            const uint64_t *tags;
            size_t n;

            if (ev_matcher_match(m, events[i], strlen(events[i]), scratch, &tags, &n) !=
                    EV_MATCH_OK &&
                n != 0)
                abort();
        }
        ev_matcher_unref(m);
    } else {
        if (rc != EV_ERR_INVALID_PATTERN || !msg ||
            strncmp(msg, "Event pattern is not valid. Reason: ", 36) != 0)
            abort();
        free(msg);
    }
    return 0;
}
