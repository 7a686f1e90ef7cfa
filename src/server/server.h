/*
 * server/server.h - the HTTP front: libmicrohttpd, SigV4 authentication,
 * routing by X-Amz-Target (awsJson1.1) and STS Action (query protocol).
 */
#ifndef EV_SERVER_SERVER_H
#define EV_SERVER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/err.h"

#define EV_MAX_BODY_BYTES (1024 * 1024)

typedef struct {
    char *access_key;
    char *secret_key;
    char *account;
} ev_credential_t;

typedef struct {
    const char *host;               /* numeric IPv4/IPv6 address to bind */
    uint16_t port;
    const char *default_region;     /* when a request names none */
    const ev_credential_t *creds;   /* borrowed */
    size_t ncreds;
    unsigned int threads;           /* worker threads */
    unsigned int timeout_s;         /* idle connection timeout */
    ev_app_t *app;                  /* borrowed */
} ev_server_cfg_t;

typedef struct ev_server ev_server_t;

/* Binds and starts serving; clear message in msg on failure. */
EV_MUST_CHECK ev_err ev_server_start(const ev_server_cfg_t *cfg, ev_server_t **out, char *msg,
                                     size_t msglen);
/* The port actually bound (useful with port 0). */
uint16_t ev_server_port(const ev_server_t *s);
/* Stops accepting, lets in-flight requests finish, frees. Accepts NULL. */
void ev_server_stop(ev_server_t *s);

#endif
