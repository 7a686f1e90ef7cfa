/*
 * store/le.h - little-endian integers in the store's blob formats
 * (attlog.h, jobgrp.h, the outbox's tombstones).
 */
#ifndef EV_STORE_LE_H
#define EV_STORE_LE_H

#include <stdint.h>

static inline void ev_le_put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t ev_le_get(const unsigned char *p, int bytes)
{
    uint64_t v = 0;

    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#endif
