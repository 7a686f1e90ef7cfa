/*
 * deliver/sender.h - a thread that runs HTTP transfers for the delivery
 * engine. The engine decides what is sent and when (queues, token buckets,
 * retries) and prepares each transfer; a sender only drives its own
 * HTTP client (its own keep-alive connections) and hands finished
 * transfers back. With one sender per core, sending is no longer bound to
 * the engine thread's core.
 *
 * Threads: ev_sender_add and ev_sender_done belong to the engine thread;
 * the sender touches a transfer only between add and the moment it hands it
 * back through done.
 */
#ifndef EV_DELIVER_SENDER_H
#define EV_DELIVER_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "deliver/h1.h"

typedef struct ev_sender ev_sender_t;

/* Starts a sender; `wake(arg)` is called on the sender's thread whenever
 * finished transfers wait in ev_sender_done. NULL (and why in msg) when it
 * cannot start. Every transfer ends within timeout_ms; ca_file (or NULL)
 * holds certificates trusted besides the system's. */
ev_sender_t *ev_sender_start(int64_t timeout_ms, const char *ca_file, void (*wake)(void *),
                             void *arg, char *msg, size_t msglen);

/* Hands a prepared transfer over; it starts at once. */
void ev_sender_add(ev_sender_t *s, ev_h1_xfer_t *x);

/* Takes up to `max` finished transfers (the caller's again); returns how many. */
size_t ev_sender_done(ev_sender_t *s, ev_h1_xfer_t **out, size_t max);

/* Stops the thread; then ev_sender_free closes its connections. Transfers
 * still running are abandoned: the caller frees them, the sender does not
 * touch them again. */
void ev_sender_stop(ev_sender_t *s);
void ev_sender_free(ev_sender_t *s);

#endif
