/*
 * match/slot.c - publishing a bus's matcher to concurrent readers. A reader
 * takes a reference under a mutex held for two instructions; a writer swaps
 * the pointer under the same mutex and drops the old reference outside it,
 * so the old matcher is freed by whichever of them lets go last.
 */
#include <pthread.h>
#include <stdlib.h>

#include "match/match_int.h"

struct ev_matcher_slot {
    pthread_mutex_t mu;
    ev_matcher_t *m;
};

ev_matcher_slot_t *ev_matcher_slot_new(void)
{
    ev_matcher_slot_t *s = ev__mx_calloc(1, sizeof(*s));

    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void ev_matcher_slot_free(ev_matcher_slot_t *slot)
{
    if (!slot)
        return;
    ev_matcher_unref(slot->m);
    pthread_mutex_destroy(&slot->mu);
    free(slot);
}

ev_matcher_t *ev_matcher_slot_acquire(ev_matcher_slot_t *slot)
{
    ev_matcher_t *m;

    pthread_mutex_lock(&slot->mu);
    m = ev_matcher_ref(slot->m);
    pthread_mutex_unlock(&slot->mu);
    return m;
}

void ev_matcher_slot_publish(ev_matcher_slot_t *slot, ev_matcher_t *m)
{
    ev_matcher_t *old;

    pthread_mutex_lock(&slot->mu);
    old = slot->m;
    slot->m = m;
    pthread_mutex_unlock(&slot->mu);
    ev_matcher_unref(old);
}
