/*
 * fuzz/fuzz_attlog.c - libFuzzer driver for the delivery history's record
 * format (store/attlog.h): any bytes decode without reading past the end,
 * and every record that decodes encodes back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/attlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0, start = 0;
    ev_attlog_rec_t r;

    while (ev_attlog_next(data, size, &off, &r) == 1) {
        ev_buf_t b;
        ev_attlog_rec_t again;
        size_t o2 = 0;

        ev_buf_init(&b, 1 << 20);
        ev_attlog_put(&b, &r);
        if (b.failed || b.len != off - start || memcmp(b.p, data + start, b.len) != 0)
            abort();
        if (ev_attlog_next((const unsigned char *)b.p, b.len, &o2, &again) != 1 ||
            o2 != b.len)
            abort();
        ev_buf_free(&b);
        start = off;
    }
    return 0;
}
