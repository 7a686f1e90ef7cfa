/*
 * fuzz/fuzz_put_events.c - libFuzzer driver for PutEvents' fast reader
 * (api/events_fast.c). Whenever it accepts a body, the generic path must
 * too - jansson parses it (JSON_REJECT_DUPLICATES) and the model validator
 * passes it - and every entry must hold what the generic path reads from
 * the tree: Source, DetailType, Detail, EventBusName, Resources and Time.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const char *ours, const json_t *e, const char *key)
{
    const json_t *v = json_object_get(e, key);

    if (!ours != !v || (ours && strcmp(ours, json_string_value(v)) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    ev__pe_entry_t entries[EV__PE_MAX];
    ev__pe_mem_t mem;
    json_t *body, *list;
    char *msg = NULL;
    size_t n;

    if (!ready) {
        if (ev_model_init() != EV_OK)
            abort();
        ready = 1;
    }
    if (ev__pe_read((const char *)data, size, entries, &n, &mem) != 0)
        return 0;
    body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(body) ||
        ev_validate(ev_model_input("AWSEvents", "PutEvents"), body, &msg) != EV_OK)
        abort();
    list = json_object_get(body, "Entries");
    if (json_array_size(list) != n)
        abort();
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(list, i), *t = json_object_get(e, "Time");
        const json_t *res = json_object_get(e, "Resources");

        same(entries[i].source, e, "Source");
        same(entries[i].detail_type, e, "DetailType");
        same(entries[i].detail, e, "Detail");
        same(entries[i].bus, e, "EventBusName");
        if (entries[i].has_time != (t != NULL) ||
            (t && json_number_value(t) != entries[i].time) ||
            entries[i].nres != json_array_size(res))
            abort();
        for (size_t k = 0; k < entries[i].nres; k++)
            if (strcmp(entries[i].res[k], json_string_value(json_array_get(res, k))) != 0)
                abort();
    }
    json_decref(body);
    ev__pe_free(&mem);
    return 0;
}
