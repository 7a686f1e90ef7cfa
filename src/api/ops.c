/*
 * api/ops.c - the operation registry: X-Amz-Target -> handler.
 */
#include <string.h>

#include "api/api_int.h"

static const ev_op_t *const families[] = {
    ev__connection_ops,
    ev__api_destination_ops,
    ev__tag_ops,
    ev__secretsmanager_ops,
    ev__kms_ops,
    ev__bus_ops,
    ev__rule_ops,
    ev__target_ops,
    ev__events_ops,
    ev__sqs_ops,
};

const ev_op_t *ev_api_find(const char *target)
{
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
        for (const ev_op_t *op = families[f]; op->target; op++)
            if (strcmp(op->target, target) == 0)
                return op;
    return NULL;
}

int ev_api_fast(const char *target, ev_call_t *c, ev_err *rc)
{
    if (strcmp(target, "AWSEvents.PutEvents") == 0)
        return ev__put_events_fast(c, rc);
    return 0;
}

ev_err ev_api_init(ev_app_t *app, char *msg, size_t msglen)
{
    (void)app;
    (void)msg;
    (void)msglen;
    return EV_OK;
}

void ev_api_cleanup(void)
{
    ev__events_cleanup();
}
