/*
 * deliver/sender.h - a thread that runs HTTP transfers for the delivery
 * engine. The engine decides what is sent and when (queues, token buckets,
 * retries) and prepares each curl easy handle; a sender only drives its own
 * curl multi handle (its own keep-alive connections) and hands finished
 * transfers back. With one sender per core, sending is no longer bound to
 * the engine thread's core.
 *
 * Threads: ev_sender_add, ev_sender_done and ev_sender_forget belong to the
 * engine thread; the sender touches an easy handle only between add and the
 * moment it hands it back through done.
 */
#ifndef EV_DELIVER_SENDER_H
#define EV_DELIVER_SENDER_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct ev_sender ev_sender_t;

typedef struct {
    CURL *easy;
    CURLcode result;
} ev_sent_t;

/* Starts a sender; `wake(arg)` is called on the sender's thread whenever
 * finished transfers wait in ev_sender_done. NULL when the thread cannot
 * start. `max_host` caps the connections it opens to one host. */
ev_sender_t *ev_sender_start(long max_host, void (*wake)(void *), void *arg);

/* Hands a prepared easy handle over; the transfer starts at once. */
void ev_sender_add(ev_sender_t *s, CURL *easy);

/* Takes up to `max` finished transfers (each handle is out of the sender's
 * multi handle and the caller's again); returns how many. */
size_t ev_sender_done(ev_sender_t *s, ev_sent_t *out, size_t max);

/* Stops the thread. Transfers still running stay attached until
 * ev_sender_forget detaches them; then ev_sender_free. */
void ev_sender_stop(ev_sender_t *s);
void ev_sender_forget(ev_sender_t *s, CURL *easy);
void ev_sender_free(ev_sender_t *s);

#endif
