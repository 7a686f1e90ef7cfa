/*
 * server/sts.c - STS GetCallerIdentity over the query protocol. The
 * account is the one the caller's access key maps to, the same account
 * every EventBridge ARN of that caller carries.
 */
#include "server/sts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "util/util.h"

#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

/* Finds `name` among form-encoded pairs; copies its (undecoded) value. */
static int form_value(const char *form, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = form, *end = form + len;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;

        if ((size_t)(stop - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = (size_t)(stop - p) - nlen - 1;

            if (vlen >= outlen)
                vlen = outlen - 1;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return 1;
        }
        p = stop + 1;
    }
    return 0;
}

static int action_of(const ev_request_t *req, char *out, size_t outlen)
{
    return form_value(req->body, req->body_len, "Action", out, outlen) ||
           form_value(req->query, strlen(req->query), "Action", out, outlen);
}

int ev_sts_is_query(const ev_request_t *req)
{
    char action[64];

    return action_of(req, action, sizeof(action));
}

static void xml_escape(ev_buf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': ev_buf_adds(b, "&lt;"); break;
        case '>': ev_buf_adds(b, "&gt;"); break;
        case '&': ev_buf_adds(b, "&amp;"); break;
        case '"': ev_buf_adds(b, "&quot;"); break;
        case '\'': ev_buf_adds(b, "&apos;"); break;
        default: ev_buf_addc(b, *s);
        }
    }
}

static void xml_reply(ev_reply_t *out, int status, ev_buf_t *b)
{
    out->status = status;
    out->content_type = "text/xml";
    out->body = ev_buf_steal(b, &out->body_len);
}

static void error_xml(ev_reply_t *out, int status, const char *code, const char *msg)
{
    ev_buf_t b;

    ev_buf_init(&b, 64 * 1024);
    ev_buf_adds(&b, "<ErrorResponse xmlns=\"" STS_NS "\"><Error><Type>Sender</Type><Code>");
    xml_escape(&b, code);
    ev_buf_adds(&b, "</Code><Message>");
    xml_escape(&b, msg);
    ev_buf_adds(&b, "</Message></Error><RequestId>");
    ev_buf_adds(&b, out->request_id);
    ev_buf_adds(&b, "</RequestId></ErrorResponse>");
    out->error_type = code;
    xml_reply(out, status, &b);
}

void ev_sts_error_reply(ev_reply_t *out, ev_err e, const char *msg)
{
    /* The query protocol has its own names for the authentication errors. */
    const char *code = ev_err_type(e);

    if (e == EV_ERR_UNRECOGNIZED_CLIENT)
        code = "InvalidClientTokenId";
    else if (e == EV_ERR_INVALID_SIG)
        code = "SignatureDoesNotMatch";
    else if (e == EV_ERR_INCOMPLETE_SIG)
        code = "IncompleteSignature";
    else if (e == EV_ERR_MISSING_AUTH)
        code = "MissingAuthenticationToken";

    if (!out->request_id[0])
        ev_uuid4(out->request_id);
    error_xml(out, ev_err_status(e), code, msg);
}

void ev_sts_handle(const ev_request_t *req, const ev_sigv4_identity_t *id, const char *account,
                   ev_reply_t *out)
{
    char action[64];
    ev_buf_t b;

    action_of(req, action, sizeof(action));
    if (strcmp(id->service, "sts") != 0) {
        ev_sts_error_reply(out, EV_ERR_INVALID_SIG,
                           "Credential should be scoped to correct service: 'sts'. ");
        return;
    }
    if (strcmp(action, "GetCallerIdentity") != 0) {
        char *msg = ev_xasprintf("Could not find operation %.60s for version 2011-06-15",
                                 action);

        error_xml(out, 400, "InvalidAction", msg);
        free(msg);
        return;
    }
    ev_buf_init(&b, 64 * 1024);
    ev_buf_adds(&b, "<GetCallerIdentityResponse xmlns=\"" STS_NS "\"><GetCallerIdentityResult>"
                    "<Arn>arn:aws:iam::");
    xml_escape(&b, account);
    ev_buf_adds(&b, ":root</Arn><UserId>");
    xml_escape(&b, account);
    ev_buf_adds(&b, "</UserId><Account>");
    xml_escape(&b, account);
    ev_buf_adds(&b, "</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>");
    ev_buf_adds(&b, out->request_id);
    ev_buf_adds(&b, "</RequestId></ResponseMetadata></GetCallerIdentityResponse>");
    xml_reply(out, 200, &b);
}
