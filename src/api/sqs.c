/*
 * api/sqs.c - the SQS-compatible queue service (AmazonSQS.* over awsJson1.0):
 * CreateQueue, GetQueueUrl, GetQueueAttributes, SetQueueAttributes,
 * SendMessage, ReceiveMessage (with long polling), DeleteMessage,
 * ChangeMessageVisibility, PurgeQueue, DeleteQueue and ListQueues, with the
 * messages SQS answers. Standard queues only: they are what EventBridge
 * accepts as dead-letter queues, and what SQS rule targets deliver to.
 *
 * Queue URLs are http://<request Host>/<account>/<name>; a QueueUrl of any
 * scheme and host is accepted by its last two path segments.
 */
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api_int.h"
#include "store/sqs.h"
#include "util/util.h"

#define MAX_VISIBILITY_S 43200
#define MAX_DELAY_S 900
#define MAX_WAIT_S 20
#define MAX_RECEIVE 10
#define MAX_LIST 1000
#define POLL_MS 50
#define MAX_ATTR_NAME 256

/* The numeric attributes a queue keeps in columns, with their valid range. */
static const struct {
    const char *name;
    int64_t lo, hi, def;
    size_t field; /* offset of the int64_t in ev_sqs_queue_t */
} numeric[] = {
    {"VisibilityTimeout", 0, MAX_VISIBILITY_S, 30, offsetof(ev_sqs_queue_t, visibility_timeout)},
    {"MaximumMessageSize", 1024, 1048576, 1048576, offsetof(ev_sqs_queue_t, max_size)},
    {"MessageRetentionPeriod", 60, 1209600, 345600, offsetof(ev_sqs_queue_t, retention)},
    {"DelaySeconds", 0, MAX_DELAY_S, 0, offsetof(ev_sqs_queue_t, delay)},
    {"ReceiveMessageWaitTimeSeconds", 0, MAX_WAIT_S, 0, offsetof(ev_sqs_queue_t, wait)},
};

/* Attributes kept as set (in the queue's `extra` object). */
static const char *const kept[] = {
    "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
};

/* What GetQueueAttributes "All" lists, in this order. */
static const char *const all_names[] = {
    "QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
    "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod", "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds", "Policy", "RedrivePolicy", "RedriveAllowPolicy",
    "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Set once the server stops: long polls end at once instead of holding it up. */
static atomic_int stop_waiting;

static int64_t *numeric_field(ev_sqs_queue_t *q, size_t i)
{
    return (int64_t *)(void *)((char *)q + numeric[i].field);
}

static int64_t numeric_value(const ev_sqs_queue_t *q, size_t i)
{
    return *(const int64_t *)(const void *)((const char *)q + numeric[i].field);
}

static int numeric_index(const char *name)
{
    for (size_t i = 0; i < COUNT(numeric); i++)
        if (strcmp(numeric[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int is_kept(const char *name)
{
    for (size_t i = 0; i < COUNT(kept); i++)
        if (strcmp(kept[i], name) == 0)
            return 1;
    return 0;
}

/* A whole decimal number in [lo, hi]: 0 and *out, else -1. */
static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s || !(*s == '-' || (*s >= '0' && *s <= '9')))
        return -1;
    v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A Host header fit to print in a URL (no spaces, slashes or quotes). */
static int host_ok(const char *h)
{
    if (!h || !*h || strlen(h) > 255)
        return 0;
    for (; *h; h++)
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
              strchr(".-:[]_", *h)))
            return 0;
    return 1;
}

static char *queue_url(const ev_call_t *c, const char *name)
{
    return ev_xasprintf("http://%s/%s/%s", host_ok(c->host) ? c->host : "localhost",
                        c->scope.account, name);
}

static ev_err no_queue(ev_call_t *c)
{
    return ev_fail(c, EV_ERR_SQS_NO_QUEUE, "The specified queue does not exist.");
}

/* Loads the queue of the request's QueueUrl ("<scheme>://<host>/.../<account>/<name>"). */
static ev_err load_queue(ev_call_t *c, ev_sqs_queue_t *q)
{
    const char *url = ev__str(c->in, "QueueUrl"), *path, *name, *acct;
    char *account = NULL;
    ev_err rc;

    memset(q, 0, sizeof(*q));
    path = url ? strstr(url, "://") : NULL;
    path = path ? strchr(path + 3, '/') : NULL;
    name = path ? strrchr(path, '/') : NULL;
    if (!name || name == path || !name[1]) {
        rc = ev_fail(c, EV_ERR_SQS_ADDRESS, "The address %s is not valid for this endpoint.",
                     url ? url : "");
        goto out;
    }
    for (acct = name - 1; acct > path && *acct != '/'; acct--)
        ;
    account = ev_xstrndup(acct + 1, (size_t)(name - acct - 1));
    name++;
    if (strcmp(account, c->scope.account) != 0) {
        rc = no_queue(c);
        goto out;
    }
    rc = ev_store_sqs_queue_get(c->app->store, c->scope, name, q);
    if (rc == EV_ERR_NOT_FOUND)
        rc = no_queue(c);
out:
    free(account);
    return rc;
}

/* ---- queue attributes ---- */

/* The queue's `extra` object (new reference; empty when unset). */
static json_t *extra_of(const ev_sqs_queue_t *q)
{
    json_t *o = q->extra ? json_loads(q->extra, 0, NULL) : NULL;

    return json_is_object(o) ? o : (json_decref(o), json_object());
}

/*
 * The value of attribute name of queue q (malloc'd), or NULL when the queue
 * has none; counts NULL leaves out the message counts.
 */
static char *queue_attr(const ev_sqs_queue_t *q, const json_t *extra,
                        const ev_sqs_counts_t *counts, const char *name)
{
    int i = numeric_index(name);

    if (i >= 0)
        return ev_xasprintf("%lld", (long long)numeric_value(q, (size_t)i));
    if (strcmp(name, "QueueArn") == 0)
        return ev_xstrdup(q->arn);
    if (strcmp(name, "CreatedTimestamp") == 0)
        return ev_xasprintf("%lld", (long long)(q->created_ms / 1000));
    if (strcmp(name, "LastModifiedTimestamp") == 0)
        return ev_xasprintf("%lld", (long long)(q->modified_ms / 1000));
    if (counts && strcmp(name, "ApproximateNumberOfMessages") == 0)
        return ev_xasprintf("%lld", (long long)counts->visible);
    if (counts && strcmp(name, "ApproximateNumberOfMessagesNotVisible") == 0)
        return ev_xasprintf("%lld", (long long)counts->in_flight);
    if (counts && strcmp(name, "ApproximateNumberOfMessagesDelayed") == 0)
        return ev_xasprintf("%lld", (long long)counts->delayed);
    if (ev__str(extra, name))
        return ev_xstrdup(ev__str(extra, name));
    /* New queues get SQS-managed encryption unless a KMS key is set. */
    if (strcmp(name, "SqsManagedSseEnabled") == 0 && !ev__str(extra, "KmsMasterKeyId"))
        return ev_xstrdup("true");
    return NULL;
}

static int known_attr(const char *name)
{
    for (size_t i = 0; i < COUNT(all_names); i++)
        if (strcmp(all_names[i], name) == 0)
            return 1;
    return 0;
}

static ev_err bad_value(ev_call_t *c, const char *name)
{
    return ev_fail(c, EV_ERR_SQS_ATTR_VALUE, "Invalid value for the parameter %s.", name);
}

/* Checks one kept attribute's value; the canonical value to keep (malloc'd) in *out. */
static ev_err check_kept(ev_call_t *c, const char *name, const char *v, char **out)
{
    int64_t n;
    json_t *j;

    *out = NULL;
    if (strcmp(name, "SqsManagedSseEnabled") == 0) {
        if (strcasecmp(v, "true") != 0 && strcasecmp(v, "false") != 0)
            return bad_value(c, name);
        *out = ev_xstrdup(strcasecmp(v, "true") == 0 ? "true" : "false");
        return EV_OK;
    }
    if (strcmp(name, "KmsDataKeyReusePeriodSeconds") == 0) {
        if (parse_int(v, 60, 86400, &n) != 0)
            return bad_value(c, name);
        *out = ev_xasprintf("%lld", (long long)n);
        return EV_OK;
    }
    if (*v && strcmp(name, "KmsMasterKeyId") != 0) {
        /* Policy, RedrivePolicy, RedriveAllowPolicy: JSON documents. */
        int is_doc;

        j = json_loads(v, 0, NULL);
        is_doc = json_is_object(j);
        json_decref(j);
        if (!is_doc)
            return bad_value(c, name);
    }
    *out = ev_xstrdup(v);
    return EV_OK;
}

/*
 * Applies an Attributes map to q (numeric columns) and extra (kept
 * attributes; an empty value removes one). creating: CreateQueue, where
 * FifoQueue=false is accepted.
 */
static ev_err apply_attrs(ev_call_t *c, json_t *attrs, ev_sqs_queue_t *q, json_t *extra,
                          int creating)
{
    const char *name;
    json_t *jv;

    json_object_foreach(attrs, name, jv) {
        const char *v = json_string_value(jv);
        int i = numeric_index(name);
        char *keep;
        ev_err rc;

        if (!v)
            return bad_value(c, name);
        if (creating && strcmp(name, "FifoQueue") == 0) {
            if (strcasecmp(v, "true") == 0)
                return ev_fail(c, EV_ERR_SQS_UNSUPPORTED,
                               "FIFO queues are not supported: evbridge implements standard "
                               "queues only (dead-letter queues must be standard queues).");
            if (strcasecmp(v, "false") != 0)
                return bad_value(c, name);
            continue;
        }
        if (strcmp(name, "DeduplicationScope") == 0 || strcmp(name, "FifoThroughputLimit") == 0)
            return ev_fail(c, EV_ERR_SQS_ATTR_NAME,
                           "You can specify the %s only when FifoQueue is set to true.", name);
        if (i >= 0) {
            if (parse_int(v, numeric[i].lo, numeric[i].hi, numeric_field(q, (size_t)i)) != 0)
                return bad_value(c, name);
            continue;
        }
        if (!is_kept(name))
            return ev_fail(c, EV_ERR_SQS_ATTR_NAME, "Unknown Attribute %s.", name);
        rc = check_kept(c, name, v, &keep);
        if (rc)
            return rc;
        if (*keep)
            json_object_set_new(extra, name, json_string(keep));
        else
            json_object_del(extra, name);
        free(keep);
    }
    return EV_OK;
}

/* Stores extra as q->extra (NULL when empty). */
static void set_extra(ev_sqs_queue_t *q, const json_t *extra)
{
    free(q->extra);
    q->extra = json_object_size(extra)
                   ? json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS)
                   : NULL;
}

/* The first attribute of attrs whose value differs from existing queue q's, or NULL. */
static const char *differing_attr(json_t *attrs, const ev_sqs_queue_t *want,
                                  const json_t *want_extra, const ev_sqs_queue_t *q,
                                  const json_t *extra)
{
    const char *name;
    json_t *jv;

    json_object_foreach(attrs, name, jv) {
        char *a, *b;
        int same;

        if (strcmp(name, "FifoQueue") == 0)
            continue; /* both standard */
        a = queue_attr(want, want_extra, NULL, name);
        b = queue_attr(q, extra, NULL, name);
        same = (!a && !b) || (a && b && strcmp(a, b) == 0);
        free(a);
        free(b);
        if (!same)
            return name;
    }
    return NULL;
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n < 1 || n > 80)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static ev_err create_queue(ev_call_t *c)
{
    const char *name = ev__str(c->in, "QueueName"), *key, *differs;
    json_t *attrs = ev__obj(c->in, "Attributes"), *tags = ev__obj(c->in, "tags");
    json_t *extra = json_object(), *old_extra = NULL, *tv;
    ev_sqs_queue_t q = {0}, old = {0};
    char *url = NULL;
    ev_err rc;

    /* Attributes first: a FIFO queue (a ".fifo" name) is refused as such. */
    for (size_t i = 0; i < COUNT(numeric); i++)
        *numeric_field(&q, i) = numeric[i].def;
    rc = apply_attrs(c, attrs, &q, extra, 1);
    if (rc)
        goto out;
    if (!name_ok(name)) {
        rc = ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Can only include alphanumeric characters, "
                     "hyphens, or underscores. 1 to 80 in length");
        goto out;
    }
    rc = ev_store_sqs_queue_get(c->app->store, c->scope, name, &old);
    if (rc == EV_OK) {
        /* Creating an existing queue answers its URL unless an attribute differs. */
        old_extra = extra_of(&old);
        differs = attrs ? differing_attr(attrs, &q, extra, &old, old_extra) : NULL;
        if (differs)
            rc = ev_fail(c, EV_ERR_SQS_QUEUE_EXISTS, "A queue already exists with the same name "
                         "and a different value for attribute %s", differs);
        goto reply;
    }
    if (rc != EV_ERR_NOT_FOUND)
        goto out;
    q.name = ev_xstrdup(name);
    q.arn = ev__arn(c, "sqs", name);
    q.created_ms = q.modified_ms = c->now_ms;
    set_extra(&q, extra);
    rc = ev_store_sqs_queue_put(c->app->store, c->scope, &q);
    json_object_foreach(tags, key, tv) {
        if (rc)
            break;
        if (json_is_string(tv))
            rc = ev_store_tag_put(c->app->store, c->scope, q.arn, key, json_string_value(tv));
    }
reply:
    if (rc == EV_OK) {
        url = queue_url(c, name);
        ev__set_str(c->out, "QueueUrl", url);
    }
out:
    free(url);
    json_decref(extra);
    json_decref(old_extra);
    ev_sqs_queue_clear(&q);
    ev_sqs_queue_clear(&old);
    return rc;
}

static ev_err get_queue_url(ev_call_t *c)
{
    const char *name = ev__str(c->in, "QueueName");
    const char *owner = ev__str(c->in, "QueueOwnerAWSAccountId");
    ev_sqs_queue_t q;
    char *url;
    ev_err rc;

    if (owner && strcmp(owner, c->scope.account) != 0)
        return no_queue(c);
    rc = ev_store_sqs_queue_get(c->app->store, c->scope, name, &q);
    if (rc == EV_OK) {
        url = queue_url(c, q.name);
        ev__set_str(c->out, "QueueUrl", url);
        free(url);
    } else if (rc == EV_ERR_NOT_FOUND) {
        rc = no_queue(c);
    }
    ev_sqs_queue_clear(&q);
    return rc;
}

/* True when the JSON list names holds the string name. */
static int listed(const json_t *names, const char *name)
{
    size_t i;
    json_t *v;

    json_array_foreach(names, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return 1;
    return 0;
}

static ev_err get_queue_attributes(ev_call_t *c)
{
    json_t *names = json_object_get(c->in, "AttributeNames"), *v, *out = json_object();
    json_t *extra = NULL;
    ev_sqs_counts_t counts;
    ev_sqs_queue_t q;
    size_t i;
    int all = listed(names, "All");
    ev_err rc = load_queue(c, &q);

    if (rc)
        goto out;
    json_array_foreach(names, i, v) {
        const char *n = json_string_value(v);

        if (!n || (strcmp(n, "All") != 0 && !known_attr(n))) {
            rc = ev_fail(c, EV_ERR_SQS_ATTR_NAME, "Unknown Attribute %s.", n ? n : "");
            goto out;
        }
    }
    rc = ev_store_sqs_counts(c->app->store, c->scope, &q, c->now_ms, &counts);
    if (rc)
        goto out;
    extra = extra_of(&q);
    for (i = 0; i < COUNT(all_names); i++) {
        char *value = all || listed(names, all_names[i])
                          ? queue_attr(&q, extra, &counts, all_names[i])
                          : NULL;

        if (value)
            json_object_set_new(out, all_names[i], json_string(value));
        free(value);
    }
    if (json_object_size(out))
        json_object_set(c->out, "Attributes", out);
out:
    json_decref(out);
    json_decref(extra);
    ev_sqs_queue_clear(&q);
    return rc;
}

static ev_err set_queue_attributes(ev_call_t *c)
{
    json_t *extra = NULL;
    ev_sqs_queue_t q;
    ev_err rc = load_queue(c, &q);

    if (rc)
        goto out;
    extra = extra_of(&q);
    rc = apply_attrs(c, ev__obj(c->in, "Attributes"), &q, extra, 0);
    if (rc)
        goto out;
    set_extra(&q, extra);
    q.modified_ms = c->now_ms;
    rc = ev_store_sqs_queue_put(c->app->store, c->scope, &q);
out:
    json_decref(extra);
    ev_sqs_queue_clear(&q);
    return rc;
}

/* ---- messages ---- */

/* True when s holds only the characters SQS allows in a message: #x9 | #xA |
 * #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (s is valid UTF-8). */
static int chars_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    while (p < end) {
        unsigned long cp;
        size_t len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;

        if ((size_t)(end - p) < len)
            return 0;
        cp = len == 1 ? *p : (unsigned long)(*p & (0x3F >> (len - 1)));
        for (size_t i = 1; i < len; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        if (!(cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
              (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF)))
            return 0;
        p += len;
    }
    return 1;
}

static int attr_name_ok(const char *n)
{
    size_t len = strlen(n);

    if (len == 0 || n[0] == '.' || n[len - 1] == '.' || strstr(n, ".."))
        return 0;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return 0;
    return 1;
}

/* "String", "Number" or "Binary", optionally + ".<label>": the base type's first letter. */
static char base_type(const char *t)
{
    static const char *const bases[] = {"String", "Number", "Binary"};

    for (size_t i = 0; i < COUNT(bases); i++) {
        size_t n = strlen(bases[i]);

        if (strncmp(t, bases[i], n) == 0 && (t[n] == '\0' || (t[n] == '.' && t[n + 1])))
            return bases[i][0];
    }
    return 0;
}

/* Checks one MessageAttributes entry and fills a. */
static ev_err check_attr(ev_call_t *c, const char *name, const json_t *v, ev_sqs_attr_t *a)
{
    const char *type = ev__str(v, "DataType"), *sv = ev__str(v, "StringValue");
    const char *bv = ev__str(v, "BinaryValue");
    char kind, *end;
    size_t n = 0;
    unsigned char *bytes;
    double d;

    if (strlen(name) >= MAX_ATTR_NAME)
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE,
                       "Message (user) attribute names must be shorter than 256 Bytes");
    if (!attr_name_ok(name))
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE,
                       "Message (user) attribute name '%s' is invalid. Names can only contain "
                       "alphanumeric characters, hyphens, underscores and periods, and cannot "
                       "start or end with a period or contain two in a row.", name);
    if (strncasecmp(name, "AWS.", 4) == 0 || strncasecmp(name, "Amazon.", 7) == 0)
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE,
                       "Message (user) attribute name '%s' is invalid: names beginning with "
                       "'AWS.' or 'Amazon.' are reserved.", name);
    kind = type ? base_type(type) : 0;
    if (!kind || strlen(type) >= MAX_ATTR_NAME)
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE,
                       "The type of message (user) attribute '%s' is invalid. You must use only "
                       "the following supported type prefixes: Binary, Number, String.", name);
    a->name = name;
    a->type = type;
    if (kind == 'B') {
        bytes = bv ? ev_base64_decode(bv, strlen(bv), &n) : NULL;
        free(bytes);
        if (!bytes || n == 0)
            return ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Message (user) attribute '%s' must "
                           "contain a non-empty value of type 'Binary'.", name);
        a->value = bv;
        return EV_OK;
    }
    if (!sv || !*sv)
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Message (user) attribute '%s' must contain "
                       "a non-empty value of type '%s'.", name, kind == 'N' ? "Number" : "String");
    if (strlen(sv) != json_string_length(json_object_get(v, "StringValue")) ||
        !chars_ok(sv, strlen(sv)))
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE,
                       "Message (user) attribute '%s' contains characters outside the allowed "
                       "set: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to "
                       "#x10FFFF", name);
    if (kind == 'N') {
        d = strtod(sv, &end);
        if (*end || end == sv || !isfinite(d) || strspn(sv, "0123456789+-.eE") != strlen(sv))
            return ev_fail(c, EV_ERR_SQS_INVALID_VALUE,
                           "Could not cast message attribute '%s' value to number.", name);
    }
    a->value = sv;
    return EV_OK;
}

/* Reads MessageAttributes into attrs (at most EV_SQS_MAX_ATTRS). */
static ev_err read_attrs(ev_call_t *c, ev_sqs_attr_t *attrs, size_t *n)
{
    json_t *map = ev__obj(c->in, "MessageAttributes"), *v;
    const char *name;
    ev_err rc;

    *n = 0;
    if (json_object_size(map) > EV_SQS_MAX_ATTRS)
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Number of message attributes [%zu] exceeds "
                       "the allowed maximum [%d].", json_object_size(map), EV_SQS_MAX_ATTRS);
    json_object_foreach(map, name, v) {
        rc = check_attr(c, name, v, &attrs[*n]);
        if (rc)
            return rc;
        (*n)++;
    }
    return EV_OK;
}

static ev_err send_message(ev_call_t *c)
{
    json_t *jbody = json_object_get(c->in, "MessageBody");
    json_t *jdelay = json_object_get(c->in, "DelaySeconds");
    ev_sqs_attr_t attrs[EV_SQS_MAX_ATTRS];
    ev_sqs_send_t m = {0};
    ev_sqs_sent_t sent;
    ev_sqs_queue_t q;
    ev_err rc = load_queue(c, &q);

    if (rc)
        goto out;
    m.body = json_string_value(jbody);
    m.body_len = json_string_length(jbody);
    m.delay = -1;
    m.sender_id = c->scope.account;
    if (!m.body || m.body_len == 0) {
        rc = ev_fail(c, EV_ERR_SQS_MISSING_PARAM,
                     "The request must contain the parameter MessageBody.");
        goto out;
    }
    if (!chars_ok(m.body, m.body_len)) {
        rc = ev_fail(c, EV_ERR_SQS_CONTENTS, "Invalid characters found. Valid unicode characters "
                     "are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to "
                     "#x10FFFF");
        goto out;
    }
    if (jdelay) {
        m.delay = json_integer_value(jdelay);
        if (m.delay < 0 || m.delay > MAX_DELAY_S) {
            rc = ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Value %lld for parameter DelaySeconds is "
                         "invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
                         (long long)m.delay);
            goto out;
        }
    }
    if (ev__str(c->in, "MessageDeduplicationId")) {
        rc = ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Value %s for parameter MessageDeduplicationId "
                     "is invalid. Reason: The request include parameter that is not valid for "
                     "this queue type.", ev__str(c->in, "MessageDeduplicationId"));
        goto out;
    }
    rc = read_attrs(c, attrs, &m.nattrs);
    if (rc)
        goto out;
    m.attrs = attrs;
    if (ev_store_sqs_size(m.body_len, attrs, m.nattrs) > (size_t)q.max_size) {
        rc = ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "One or more parameters are invalid. Reason: "
                     "Message must be shorter than %lld bytes.", (long long)q.max_size);
        goto out;
    }
    rc = ev_store_sqs_enqueue(c->app->store, c->scope, &q, &m, c->now_ms, &sent);
    if (rc)
        goto out;
    ev__set_str(c->out, "MD5OfMessageBody", sent.md5_body);
    if (sent.md5_attrs[0])
        ev__set_str(c->out, "MD5OfMessageAttributes", sent.md5_attrs);
    ev__set_str(c->out, "MessageId", sent.message_id);
out:
    ev_sqs_queue_clear(&q);
    return rc;
}

/* An optional integer member in [lo, hi] (def when absent), else InvalidParameterValue. */
static ev_err int_param(ev_call_t *c, const char *member, int64_t lo, int64_t hi, int64_t def,
                        const char *reason, int64_t *out)
{
    json_t *v = json_object_get(c->in, member);

    *out = def;
    if (!v || json_is_null(v))
        return EV_OK;
    *out = json_integer_value(v);
    if (*out < lo || *out > hi)
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Value %lld for parameter %s is invalid. "
                       "Reason: %s", (long long)*out, member, reason);
    return EV_OK;
}

/* True when a name list (MessageAttributeNames) asks for attribute name. */
static int wants_attr(const json_t *names, const char *name)
{
    size_t i;
    json_t *v;

    json_array_foreach(names, i, v) {
        const char *w = json_string_value(v);
        size_t n = w ? strlen(w) : 0;

        if (!w)
            continue;
        if (strcmp(w, "All") == 0 || strcmp(w, ".*") == 0 || strcmp(w, name) == 0)
            return 1;
        /* "prefix.*" selects the names that start with "prefix." */
        if (n > 2 && strcmp(w + n - 2, ".*") == 0 && strncmp(name, w, n - 1) == 0)
            return 1;
    }
    return 0;
}

/* True when AttributeNames or MessageSystemAttributeNames asks for name (or All). */
static int wants_system(const ev_call_t *c, const char *name)
{
    static const char *const lists[] = {"AttributeNames", "MessageSystemAttributeNames"};

    for (size_t l = 0; l < COUNT(lists); l++) {
        json_t *names = json_object_get(c->in, lists[l]);

        if (listed(names, "All") || listed(names, name))
            return 1;
    }
    return 0;
}

static void set_number(json_t *o, const char *key, int64_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    json_object_set_new(o, key, json_string(buf));
}

/* The Messages entry of a received message. */
static json_t *message_json(const ev_call_t *c, const ev_sqs_message_t *m)
{
    json_t *o = json_object(), *sys = json_object(), *stored, *picked = json_object(), *v;
    json_t *names = json_object_get(c->in, "MessageAttributeNames");
    ev_sqs_attr_t attrs[EV_SQS_MAX_ATTRS];
    const char *name;
    size_t n = 0;
    char md5[33];

    ev__set_str(o, "MessageId", m->message_id);
    ev__set_str(o, "ReceiptHandle", m->receipt_handle);
    ev__set_str(o, "MD5OfBody", m->md5_body);
    json_object_set_new(o, "Body", json_stringn(m->body, m->body_len));
    if (wants_system(c, "SenderId"))
        ev__set_str(sys, "SenderId", m->sender_id);
    if (wants_system(c, "SentTimestamp"))
        set_number(sys, "SentTimestamp", m->sent_ms);
    if (wants_system(c, "ApproximateReceiveCount"))
        set_number(sys, "ApproximateReceiveCount", m->receive_count);
    if (wants_system(c, "ApproximateFirstReceiveTimestamp"))
        set_number(sys, "ApproximateFirstReceiveTimestamp", m->first_receive_ms);
    if (json_object_size(sys))
        json_object_set(o, "Attributes", sys);
    /* The digest covers the attributes returned, as SQS computes it. */
    stored = m->attributes ? json_loads(m->attributes, 0, NULL) : NULL;
    json_object_foreach(stored, name, v) {
        if (n == EV_SQS_MAX_ATTRS || !wants_attr(names, name))
            continue;
        attrs[n].name = name;
        attrs[n].type = ev__str(v, "DataType");
        attrs[n].value = ev__str(v, "StringValue") ? ev__str(v, "StringValue")
                                                   : ev__str(v, "BinaryValue");
        if (!attrs[n].type || !attrs[n].value)
            continue;
        json_object_set(picked, name, v);
        n++;
    }
    if (n) {
        ev_store_sqs_md5_attrs(attrs, n, md5);
        ev__set_str(o, "MD5OfMessageAttributes", md5);
        json_object_set(o, "MessageAttributes", picked);
    }
    json_decref(stored);
    json_decref(picked);
    json_decref(sys);
    return o;
}

void ev_api_stop_waiting(void)
{
    atomic_store(&stop_waiting, 1);
}

/* Sleeps in POLL_MS steps until the store changes, until_ms passes or the server stops. */
static void wait_for_change(ev_store_t *st, uint64_t seen, int64_t until_ms)
{
    while (ev_store_generation(st) == seen && !atomic_load(&stop_waiting)) {
        int64_t left = until_ms - ev_now_ms();
        struct timespec ts = {0, 0};

        if (left <= 0)
            return;
        ts.tv_nsec = (long)(left < POLL_MS ? left : POLL_MS) * 1000000L;
        nanosleep(&ts, NULL);
    }
}

/*
 * ReceiveMessage runs without the call's transaction: each attempt is a
 * short write transaction, and between attempts the long poll sleeps with
 * the store unlocked until a commit or the next message becomes visible.
 */
static ev_err receive_message(ev_call_t *c)
{
    ev_store_t *st = c->app->store;
    int64_t max, vis, wait, deadline = -1, next = INT64_MAX, now;
    ev_sqs_message_t *msgs = NULL;
    ev_sqs_queue_t q = {0};
    json_t *list;
    size_t n = 0;
    uint64_t seen;
    ev_err rc;

    rc = int_param(c, "MaxNumberOfMessages", 1, MAX_RECEIVE, 1,
                   "Must be between 1 and 10, if provided.", &max);
    if (rc == EV_OK)
        rc = int_param(c, "VisibilityTimeout", 0, MAX_VISIBILITY_S, -1,
                       "Must be >= 0 and <= 43200, if provided.", &vis);
    if (rc == EV_OK)
        rc = int_param(c, "WaitTimeSeconds", 0, MAX_WAIT_S, -1,
                       "Must be >= 0 and <= 20, if provided.", &wait);
    while (rc == EV_OK) {
        now = ev_now_ms();
        seen = ev_store_generation(st);
        rc = ev_store_begin(st, 1);
        if (rc)
            break;
        ev_sqs_queue_clear(&q);
        rc = load_queue(c, &q);
        if (rc == EV_OK)
            rc = ev_store_sqs_receive(st, c->scope, &q, (int)max,
                                      vis < 0 ? q.visibility_timeout : vis, now, &msgs, &n,
                                      &next);
        rc = ev_store_end(st, rc);
        if (rc == EV_OK && deadline < 0)
            deadline = now + (wait < 0 ? q.wait : wait) * 1000;
        if (rc || n > 0 || now >= deadline || atomic_load(&stop_waiting))
            break;
        wait_for_change(st, seen, next < deadline ? next : deadline);
    }
    if (rc == EV_OK && n > 0) {
        list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, message_json(c, &msgs[i]));
        json_object_set_new(c->out, "Messages", list);
    }
    ev_store_sqs_messages_free(msgs, n);
    ev_sqs_queue_clear(&q);
    return rc;
}

static ev_err bad_handle(ev_call_t *c, const char *handle)
{
    return ev_fail(c, EV_ERR_SQS_RECEIPT,
                   "The input receipt handle \"%s\" is not a valid receipt handle.", handle);
}

static ev_err delete_message(ev_call_t *c)
{
    const char *handle = ev__str(c->in, "ReceiptHandle");
    ev_sqs_queue_t q;
    ev_err rc = load_queue(c, &q);

    if (rc == EV_OK)
        rc = ev_store_sqs_delete(c->app->store, c->scope, &q, handle);
    if (rc == EV_ERR_VALIDATION)
        rc = bad_handle(c, handle);
    ev_sqs_queue_clear(&q);
    return rc;
}

static ev_err change_message_visibility(ev_call_t *c)
{
    const char *handle = ev__str(c->in, "ReceiptHandle");
    ev_sqs_queue_t q = {0};
    int64_t vis;
    ev_err rc = int_param(c, "VisibilityTimeout", 0, MAX_VISIBILITY_S, 0,
                          "Must be >= 0 and <= 43200, if provided.", &vis);

    if (rc == EV_OK)
        rc = load_queue(c, &q);
    if (rc == EV_OK)
        rc = ev_store_sqs_change_visibility(c->app->store, c->scope, &q, handle, vis,
                                            c->now_ms);
    if (rc == EV_ERR_VALIDATION)
        rc = bad_handle(c, handle);
    else if (rc == EV_ERR_NOT_FOUND)
        rc = ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Value %s for parameter ReceiptHandle is "
                     "invalid. Reason: Message does not exist or is not available for visibility "
                     "timeout change.", handle);
    ev_sqs_queue_clear(&q);
    return rc;
}

static ev_err purge_queue(ev_call_t *c)
{
    ev_sqs_queue_t q;
    ev_err rc = load_queue(c, &q);

    if (rc == EV_OK)
        rc = ev_store_sqs_purge(c->app->store, c->scope, q.name);
    ev_sqs_queue_clear(&q);
    return rc;
}

static ev_err delete_queue(ev_call_t *c)
{
    ev_sqs_queue_t q;
    ev_err rc = load_queue(c, &q);

    if (rc == EV_OK)
        rc = ev_store_sqs_queue_delete(c->app->store, c->scope, q.name);
    if (rc == EV_OK)
        rc = ev_store_tags_delete_all(c->app->store, c->scope, q.arn);
    ev_sqs_queue_clear(&q);
    return rc;
}

static ev_err list_queues(ev_call_t *c)
{
    json_t *jmax = json_object_get(c->in, "MaxResults"), *urls;
    int64_t max = MAX_LIST;
    ev_sqs_queue_t *list = NULL;
    char *after = NULL;
    size_t n = 0;
    ev_err rc;

    if (jmax && !json_is_null(jmax)) {
        max = json_integer_value(jmax);
        if (max < 1 || max > MAX_LIST)
            return ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Value %lld for parameter MaxResults is "
                           "invalid. Reason: MaxResults must be an integer between 1 and 1000.",
                           (long long)max);
    }
    rc = ev__next_token_in(c, &after);
    if (rc == EV_ERR_VALIDATION)
        return ev_fail(c, EV_ERR_SQS_INVALID_VALUE, "Invalid NextToken value.");
    if (rc)
        return rc;
    /* One more than a page tells whether a next page exists. */
    rc = ev_store_sqs_queue_list(c->app->store, c->scope, ev__str(c->in, "QueueNamePrefix"),
                                 after, (int)max + 1, &list, &n);
    if (rc)
        goto out;
    urls = json_array();
    for (size_t i = 0; i < n && i < (size_t)max; i++) {
        char *url = queue_url(c, list[i].name);

        json_array_append_new(urls, json_string(url));
        free(url);
    }
    if (json_array_size(urls))
        json_object_set(c->out, "QueueUrls", urls);
    /* SQS pages only when MaxResults is given. */
    if (n > (size_t)max && jmax && !json_is_null(jmax))
        ev__next_token_out(c, list[max - 1].name);
    json_decref(urls);
out:
    ev_store_sqs_queue_list_free(list, n);
    free(after);
    return rc;
}

const ev_op_t ev__sqs_ops[] = {
    {"AmazonSQS.CreateQueue", create_queue, 1},
    {"AmazonSQS.GetQueueUrl", get_queue_url, 0},
    {"AmazonSQS.GetQueueAttributes", get_queue_attributes, 0},
    {"AmazonSQS.SetQueueAttributes", set_queue_attributes, 1},
    {"AmazonSQS.SendMessage", send_message, 1},
    {"AmazonSQS.ReceiveMessage", receive_message, EV_OP_NO_TRANSACTION},
    {"AmazonSQS.DeleteMessage", delete_message, 1},
    {"AmazonSQS.ChangeMessageVisibility", change_message_visibility, 1},
    {"AmazonSQS.PurgeQueue", purge_queue, 1},
    {"AmazonSQS.DeleteQueue", delete_queue, 1},
    {"AmazonSQS.ListQueues", list_queues, 0},
    {NULL, NULL, 0},
};
