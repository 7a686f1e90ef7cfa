/*
 * fuzz/fuzz_validate.c - libFuzzer driver for request bodies: JSON parsing
 * and model validation against every EventBridge operation this server
 * implements. The first byte picks the operation.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ops[] = {
    "CreateConnection",     "UpdateConnection",     "DescribeConnection",
    "ListConnections",      "DeleteConnection",     "DeauthorizeConnection",
    "CreateApiDestination", "UpdateApiDestination", "ListApiDestinations",
    "TagResource",          "UntagResource",        "PutTargets",
    "PutEvents",            "PutRule",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    const ev_shape_t *shape;
    json_t *body;
    char *msg = NULL;

    if (!ready) {
        if (ev_model_init() != EV_OK)
            abort();
        ready = 1;
    }
    if (size < 1)
        return 0;
    shape = ev_model_input("AWSEvents", ops[data[0] % (sizeof(ops) / sizeof(ops[0]))]);
    body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (shape && json_is_object(body)) {
        if (ev_validate(shape, body, &msg) != EV_OK)
            free(msg);
    }
    json_decref(body);
    return 0;
}
