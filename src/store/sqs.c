/*
 * store/sqs.c - the SQS queues repository: queue rows, message rows with
 * their visibility, receipt handles, and the MD5 digests SQS reports for a
 * message's body and attributes.
 *
 * A receipt handle is base64("evb-sqs1\n<queue arn>\n<message id>\n<receive
 * count>\n<nonce>"): each receive gives a new one, and any handle issued for
 * a message that still exists deletes it (SQS's standard-queue behaviour).
 */
#include "store/sqs.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

#define HANDLE_MAGIC "evb-sqs1"
#define QUEUE_COLS                                                                             \
    "name, arn, visibility_timeout, retention, delay, wait, max_size, extra, created_ms, "     \
    "modified_ms"
#define MESSAGE_COLS                                                                           \
    "seq, message_id, body, md5_body, attributes, sender_id, sent_ms, receive_count, "         \
    "first_receive_ms"

/* Binds (account, region, queue) as ?1, ?2, ?3. */
static void bind_queue(sqlite3_stmt *s, ev_scope_t sc, const char *queue)
{
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, queue);
}

/* Steps a statement that returns no row, then resets it. */
static ev_err exec_stmt(ev_store_t *st, sqlite3_stmt *s, const char *what)
{
    ev_err rc = EV_OK;

    if (sqlite3_step(s) != SQLITE_DONE)
        rc = ev__store_err(st, what);
    sqlite3_reset(s);
    return rc;
}

/* ---- digests and sizes ---- */

static int is_binary(const ev_sqs_attr_t *a)
{
    return strncmp(a->type, "Binary", 6) == 0;
}

/* The value bytes of an attribute: its text, or a Binary's decoded base64
 * (then *tmp is malloc'd; text that is not base64 counts as it is). */
static const void *attr_value(const ev_sqs_attr_t *a, size_t *len, unsigned char **tmp)
{
    *tmp = NULL;
    *len = strlen(a->value);
    if (is_binary(a) && (*tmp = ev_base64_decode(a->value, *len, len)))
        return *tmp;
    *len = strlen(a->value);
    return a->value;
}

static void to_hex(const unsigned char *md, char out[33])
{
    ev_hex(md, 16, out);
}

void ev_store_sqs_md5(const void *p, size_t n, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (EVP_Digest(p, n, md, &len, EVP_md5(), NULL) != 1 || len != 16)
        abort();
    to_hex(md, out);
}

static int by_name(const void *a, const void *b)
{
    const ev_sqs_attr_t *x = *(const ev_sqs_attr_t *const *)a;
    const ev_sqs_attr_t *y = *(const ev_sqs_attr_t *const *)b;

    return strcmp(x->name, y->name);
}

/* Pointers to attrs sorted by name (malloc'd). */
static const ev_sqs_attr_t **sorted_attrs(const ev_sqs_attr_t *attrs, size_t n)
{
    const ev_sqs_attr_t **v = ev_xcalloc(n ? n : 1, sizeof(*v));

    for (size_t i = 0; i < n; i++)
        v[i] = &attrs[i];
    qsort(v, n, sizeof(*v), by_name);
    return v;
}

/* Feeds a 4-byte big-endian length, then the bytes. */
static void digest_field(EVP_MD_CTX *ctx, const void *p, size_t n)
{
    unsigned char len[4];

    len[0] = (unsigned char)(n >> 24);
    len[1] = (unsigned char)(n >> 16);
    len[2] = (unsigned char)(n >> 8);
    len[3] = (unsigned char)n;
    EVP_DigestUpdate(ctx, len, 4);
    EVP_DigestUpdate(ctx, p, n);
}

void ev_store_sqs_md5_attrs(const ev_sqs_attr_t *attrs, size_t n, char out[33])
{
    const ev_sqs_attr_t **v;
    EVP_MD_CTX *ctx;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    out[0] = '\0';
    if (n == 0)
        return;
    v = sorted_attrs(attrs, n);
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char transport = is_binary(v[i]) ? 2 : 1, *tmp;
        size_t len;
        const void *value = attr_value(v[i], &len, &tmp);

        digest_field(ctx, v[i]->name, strlen(v[i]->name));
        digest_field(ctx, v[i]->type, strlen(v[i]->type));
        EVP_DigestUpdate(ctx, &transport, 1);
        digest_field(ctx, value, len);
        free(tmp);
    }
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 16)
        abort();
    EVP_MD_CTX_free(ctx);
    free(v);
    to_hex(md, out);
}

size_t ev_store_sqs_size(size_t body_len, const ev_sqs_attr_t *attrs, size_t n)
{
    size_t total = body_len;

    for (size_t i = 0; i < n; i++) {
        unsigned char *tmp;
        size_t len;

        (void)attr_value(&attrs[i], &len, &tmp);
        free(tmp);
        total += strlen(attrs[i].name) + strlen(attrs[i].type) + len;
    }
    return total;
}

/* The wire form of the attributes, {name: {DataType, StringValue | BinaryValue}}
 * in name order (malloc'd JSON text), or NULL when there are none. */
static char *attrs_json(const ev_sqs_attr_t *attrs, size_t n)
{
    const ev_sqs_attr_t **v;
    json_t *o;
    char *text;

    if (n == 0)
        return NULL;
    v = sorted_attrs(attrs, n);
    o = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_object();

        json_object_set_new(a, "DataType", json_string(v[i]->type));
        json_object_set_new(a, is_binary(v[i]) ? "BinaryValue" : "StringValue",
                            json_string(v[i]->value));
        json_object_set_new(o, v[i]->name, a);
    }
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        abort();
    json_decref(o);
    free(v);
    return text;
}

/* ---- receipt handles ---- */

static char *make_handle(const ev_sqs_queue_t *q, const char *message_id, int64_t count)
{
    char nonce[17], *raw, *handle;

    ev_random_alnum(nonce, 16);
    raw = ev_xasprintf(HANDLE_MAGIC "\n%s\n%s\n%lld\n%s", q->arn, message_id, (long long)count,
                       nonce);
    handle = ev_base64_encode((const unsigned char *)raw, strlen(raw));
    free(raw);
    return handle;
}

/* The message id of a handle issued for q, or -1 when it is not one. */
static int handle_message_id(const ev_sqs_queue_t *q, const char *handle, char id[37])
{
    size_t n = 0;
    unsigned char *raw = ev_base64_decode(handle, strlen(handle), &n);
    char *text = NULL, *cur, *field[5] = {0};
    int i = 0, ok = -1;

    if (!raw || memchr(raw, '\0', n))
        goto out;
    text = ev_xstrndup((const char *)raw, n);
    cur = text;
    while (i < 5 && cur)
        field[i++] = strsep(&cur, "\n");
    if (i != 5 || cur || strcmp(field[0], HANDLE_MAGIC) != 0 || strcmp(field[1], q->arn) != 0 ||
        strlen(field[2]) != 36)
        goto out;
    memcpy(id, field[2], 37);
    ok = 0;
out:
    free(text);
    free(raw);
    return ok;
}

/* ---- queues ---- */

void ev_sqs_queue_clear(ev_sqs_queue_t *q)
{
    if (!q)
        return;
    free(q->name);
    free(q->arn);
    free(q->extra);
    memset(q, 0, sizeof(*q));
}

static void read_queue(sqlite3_stmt *s, ev_sqs_queue_t *q)
{
    q->name = ev__col_text(s, 0);
    q->arn = ev__col_text(s, 1);
    q->visibility_timeout = sqlite3_column_int64(s, 2);
    q->retention = sqlite3_column_int64(s, 3);
    q->delay = sqlite3_column_int64(s, 4);
    q->wait = sqlite3_column_int64(s, 5);
    q->max_size = sqlite3_column_int64(s, 6);
    q->extra = ev__col_text(s, 7);
    q->created_ms = sqlite3_column_int64(s, 8);
    q->modified_ms = sqlite3_column_int64(s, 9);
}

ev_err ev_store_sqs_queue_get(ev_store_t *st, ev_scope_t sc, const char *name,
                              ev_sqs_queue_t *out)
{
    static const char sql[] = "SELECT " QUEUE_COLS " FROM sqs_queues WHERE account = ?1 AND "
                              "region = ?2 AND name = ?3";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_ERR_INTERNAL;
    int r;

    memset(out, 0, sizeof(*out));
    if (!s)
        return rc;
    bind_queue(s, sc, name);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        read_queue(s, out);
        rc = EV_OK;
    } else {
        rc = r == SQLITE_DONE ? EV_ERR_NOT_FOUND : ev__store_err(st, "sqs queue get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_sqs_queue_put(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q)
{
    static const char sql[] = "INSERT OR REPLACE INTO sqs_queues (account, region, " QUEUE_COLS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, q->name);
    ev__bind_text(s, 4, q->arn);
    sqlite3_bind_int64(s, 5, q->visibility_timeout);
    sqlite3_bind_int64(s, 6, q->retention);
    sqlite3_bind_int64(s, 7, q->delay);
    sqlite3_bind_int64(s, 8, q->wait);
    sqlite3_bind_int64(s, 9, q->max_size);
    ev__bind_text(s, 10, q->extra);
    sqlite3_bind_int64(s, 11, q->created_ms);
    sqlite3_bind_int64(s, 12, q->modified_ms);
    return exec_stmt(st, s, "sqs queue put");
}

ev_err ev_store_sqs_purge(ev_store_t *st, ev_scope_t sc, const char *name)
{
    static const char sql[] = "DELETE FROM sqs_messages WHERE account = ?1 AND region = ?2 AND "
                              "queue = ?3";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, name);
    return exec_stmt(st, s, "sqs purge");
}

ev_err ev_store_sqs_queue_delete(ev_store_t *st, ev_scope_t sc, const char *name)
{
    static const char sql[] = "DELETE FROM sqs_queues WHERE account = ?1 AND region = ?2 AND "
                              "name = ?3";
    sqlite3_stmt *s;
    ev_err rc = ev_store_sqs_purge(st, sc, name);

    if (rc)
        return rc;
    s = ev__store_stmt(st, sql);
    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, name);
    return exec_stmt(st, s, "sqs queue delete");
}

ev_err ev_store_sqs_queue_list(ev_store_t *st, ev_scope_t sc, const char *prefix,
                               const char *after, int limit, ev_sqs_queue_t **out, size_t *n_out)
{
    static const char sql[] = "SELECT " QUEUE_COLS " FROM sqs_queues WHERE account = ?1 AND "
                              "region = ?2 AND (?3 IS NULL OR substr(name, 1, length(?3)) = ?3) "
                              "AND (?4 IS NULL OR name > ?4) ORDER BY name LIMIT ?5";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_sqs_queue_t *list;
    size_t n = 0;
    ev_err rc = EV_OK;
    int r = SQLITE_DONE;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    if (limit < 1)
        limit = 1;
    bind_queue(s, sc, prefix);
    ev__bind_text(s, 4, after);
    sqlite3_bind_int(s, 5, limit);
    list = ev_xcalloc((size_t)limit, sizeof(*list));
    while (n < (size_t)limit && (r = sqlite3_step(s)) == SQLITE_ROW)
        read_queue(s, &list[n++]);
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = ev__store_err(st, "sqs queue list");
        ev_store_sqs_queue_list_free(list, n);
        list = NULL;
        n = 0;
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return rc;
}

void ev_store_sqs_queue_list_free(ev_sqs_queue_t *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        ev_sqs_queue_clear(&list[i]);
    free(list);
}

ev_err ev_store_sqs_counts(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                           int64_t now_ms, ev_sqs_counts_t *out)
{
    static const char sql[] =
        "SELECT coalesce(sum(visible_ms <= ?4), 0), "
        "coalesce(sum(visible_ms > ?4 AND receive_count > 0), 0), "
        "coalesce(sum(visible_ms > ?4 AND receive_count = 0), 0) FROM sqs_messages "
        "WHERE account = ?1 AND region = ?2 AND queue = ?3 AND sent_ms > ?5";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_OK;

    memset(out, 0, sizeof(*out));
    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, q->name);
    sqlite3_bind_int64(s, 4, now_ms);
    sqlite3_bind_int64(s, 5, now_ms - q->retention * 1000);
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->visible = sqlite3_column_int64(s, 0);
        out->in_flight = sqlite3_column_int64(s, 1);
        out->delayed = sqlite3_column_int64(s, 2);
    } else {
        rc = ev__store_err(st, "sqs counts");
    }
    sqlite3_reset(s);
    return rc;
}

/* ---- messages ---- */

ev_err ev_store_sqs_enqueue(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                            const ev_sqs_send_t *m, int64_t now_ms, ev_sqs_sent_t *out)
{
    static const char sql[] =
        "INSERT INTO sqs_messages (account, region, queue, message_id, body, md5_body, "
        "attributes, md5_attributes, sender_id, sent_ms, visible_ms) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    int64_t delay = m->delay < 0 ? q->delay : m->delay;
    char *attrs;
    ev_err rc;

    memset(out, 0, sizeof(*out));
    if (!s)
        return EV_ERR_INTERNAL;
    ev_uuid4(out->message_id);
    ev_store_sqs_md5(m->body, m->body_len, out->md5_body);
    ev_store_sqs_md5_attrs(m->attrs, m->nattrs, out->md5_attrs);
    attrs = attrs_json(m->attrs, m->nattrs);
    bind_queue(s, sc, q->name);
    ev__bind_text(s, 4, out->message_id);
    sqlite3_bind_blob64(s, 5, m->body_len ? (const void *)m->body : "", m->body_len,
                        SQLITE_STATIC);
    ev__bind_text(s, 6, out->md5_body);
    ev__bind_text(s, 7, attrs);
    ev__bind_text(s, 8, attrs ? out->md5_attrs : NULL);
    ev__bind_text(s, 9, m->sender_id ? m->sender_id : sc.account);
    sqlite3_bind_int64(s, 10, now_ms);
    sqlite3_bind_int64(s, 11, now_ms + delay * 1000);
    rc = exec_stmt(st, s, "sqs enqueue");
    sqlite3_clear_bindings(s);
    free(attrs);
    return rc;
}

/* "arn:<partition>:sqs:<region>:<account>:<name>" of sc: the queue name (malloc'd), or NULL. */
static char *arn_queue_name(ev_scope_t sc, const char *arn)
{
    char *copy = ev_xstrdup(arn), *cur = copy, *f[6], *name = NULL;
    int i = 0;

    while (i < 6 && cur)
        f[i++] = strsep(&cur, ":");
    if (i == 6 && !cur && strcmp(f[0], "arn") == 0 && strcmp(f[2], "sqs") == 0 &&
        strcmp(f[3], sc.region) == 0 && strcmp(f[4], sc.account) == 0 && f[5][0])
        name = ev_xstrdup(f[5]);
    free(copy);
    return name;
}

ev_err ev_store_sqs_send(ev_store_t *st, ev_scope_t sc, const char *queue_arn, const char *body,
                         size_t body_len, const ev_sqs_attr_t *attrs, size_t nattrs,
                         int64_t now_ms, char message_id[37])
{
    char *name = arn_queue_name(sc, queue_arn);
    ev_sqs_queue_t q = {0};
    ev_sqs_send_t m = {body, body_len, attrs, nattrs, -1, sc.account};
    ev_sqs_sent_t sent;
    ev_err rc = EV_ERR_NOT_FOUND;

    message_id[0] = '\0';
    if (!name)
        goto out;
    rc = ev_store_sqs_queue_get(st, sc, name, &q);
    if (rc)
        goto out;
    if (ev_store_sqs_size(body_len, attrs, nattrs) > (size_t)q.max_size) {
        rc = EV_ERR_LIMIT_EXCEEDED;
        goto out;
    }
    rc = ev_store_sqs_enqueue(st, sc, &q, &m, now_ms, &sent);
    if (rc == EV_OK)
        memcpy(message_id, sent.message_id, 37);
out:
    ev_sqs_queue_clear(&q);
    free(name);
    return rc;
}

static void read_message(sqlite3_stmt *s, ev_sqs_message_t *m)
{
    const void *body = sqlite3_column_blob(s, 2);
    int len = sqlite3_column_bytes(s, 2);

    m->message_id = ev__col_text(s, 1);
    m->body_len = (size_t)len;
    m->body = ev_xmalloc((size_t)len + 1);
    if (len > 0)
        memcpy(m->body, body, (size_t)len);
    m->body[len] = '\0';
    m->md5_body = ev__col_text(s, 3);
    m->attributes = ev__col_text(s, 4);
    m->sender_id = ev__col_text(s, 5);
    m->sent_ms = sqlite3_column_int64(s, 6);
    m->receive_count = sqlite3_column_int64(s, 7);
    m->first_receive_ms = sqlite3_column_int64(s, 8);
}

static ev_err delete_expired(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                             int64_t now_ms)
{
    static const char sql[] = "DELETE FROM sqs_messages WHERE account = ?1 AND region = ?2 AND "
                              "queue = ?3 AND sent_ms <= ?4";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, q->name);
    sqlite3_bind_int64(s, 4, now_ms - q->retention * 1000);
    return exec_stmt(st, s, "sqs expire");
}

/* Reads up to max visible messages into list (row ids in seqs). */
static ev_err select_visible(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q, int max,
                             int64_t now_ms, ev_sqs_message_t *list, int64_t *seqs, size_t *n)
{
    static const char sql[] = "SELECT " MESSAGE_COLS " FROM sqs_messages WHERE account = ?1 "
                              "AND region = ?2 AND queue = ?3 AND visible_ms <= ?4 "
                              "ORDER BY visible_ms, seq LIMIT ?5";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_OK;
    int r = SQLITE_DONE;

    *n = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, q->name);
    sqlite3_bind_int64(s, 4, now_ms);
    sqlite3_bind_int(s, 5, max);
    while (*n < (size_t)max && (r = sqlite3_step(s)) == SQLITE_ROW) {
        seqs[*n] = sqlite3_column_int64(s, 0);
        read_message(s, &list[(*n)++]);
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = ev__store_err(st, "sqs receive");
    sqlite3_reset(s);
    return rc;
}

/* Hides one received message and gives it a new receipt handle. */
static ev_err mark_received(ev_store_t *st, const ev_sqs_queue_t *q, int64_t seq,
                            ev_sqs_message_t *m, int64_t visibility, int64_t now_ms)
{
    static const char sql[] = "UPDATE sqs_messages SET visible_ms = ?1, receive_count = ?2, "
                              "first_receive_ms = ?3 WHERE seq = ?4";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    m->receive_count++;
    if (m->first_receive_ms == 0)
        m->first_receive_ms = now_ms;
    m->receipt_handle = make_handle(q, m->message_id, m->receive_count);
    sqlite3_bind_int64(s, 1, now_ms + visibility * 1000);
    sqlite3_bind_int64(s, 2, m->receive_count);
    sqlite3_bind_int64(s, 3, m->first_receive_ms);
    sqlite3_bind_int64(s, 4, seq);
    return exec_stmt(st, s, "sqs mark received");
}

static ev_err next_visible(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                           int64_t now_ms, int64_t *next_ms)
{
    static const char sql[] = "SELECT min(visible_ms) FROM sqs_messages WHERE account = ?1 AND "
                              "region = ?2 AND queue = ?3 AND visible_ms > ?4";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_OK;

    *next_ms = INT64_MAX;
    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, q->name);
    sqlite3_bind_int64(s, 4, now_ms);
    if (sqlite3_step(s) != SQLITE_ROW)
        rc = ev__store_err(st, "sqs next visible");
    else if (sqlite3_column_type(s, 0) != SQLITE_NULL)
        *next_ms = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_sqs_receive(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q, int max,
                            int64_t visibility, int64_t now_ms, ev_sqs_message_t **out,
                            size_t *n_out, int64_t *next_ms)
{
    ev_sqs_message_t *list;
    int64_t *seqs;
    size_t n = 0;
    ev_err rc;

    *out = NULL;
    *n_out = 0;
    *next_ms = INT64_MAX;
    if (max < 1)
        max = 1;
    list = ev_xcalloc((size_t)max, sizeof(*list));
    seqs = ev_xcalloc((size_t)max, sizeof(*seqs));
    rc = delete_expired(st, sc, q, now_ms);
    if (rc == EV_OK)
        rc = select_visible(st, sc, q, max, now_ms, list, seqs, &n);
    for (size_t i = 0; rc == EV_OK && i < n; i++)
        rc = mark_received(st, q, seqs[i], &list[i], visibility, now_ms);
    if (rc == EV_OK)
        rc = next_visible(st, sc, q, now_ms, next_ms);
    free(seqs);
    if (rc == EV_OK && n > 0) {
        *out = list;
        *n_out = n;
        list = NULL;
        n = 0;
    }
    ev_store_sqs_messages_free(list, n);
    return rc;
}

void ev_store_sqs_messages_free(ev_sqs_message_t *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        free(list[i].message_id);
        free(list[i].receipt_handle);
        free(list[i].body);
        free(list[i].md5_body);
        free(list[i].attributes);
        free(list[i].sender_id);
    }
    free(list);
}

ev_err ev_store_sqs_delete(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                           const char *receipt_handle)
{
    static const char sql[] = "DELETE FROM sqs_messages WHERE account = ?1 AND region = ?2 AND "
                              "queue = ?3 AND message_id = ?4";
    sqlite3_stmt *s;
    char id[37];

    if (handle_message_id(q, receipt_handle, id) != 0)
        return EV_ERR_VALIDATION;
    s = ev__store_stmt(st, sql);
    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, q->name);
    ev__bind_text(s, 4, id);
    return exec_stmt(st, s, "sqs delete");
}

ev_err ev_store_sqs_change_visibility(ev_store_t *st, ev_scope_t sc, const ev_sqs_queue_t *q,
                                      const char *receipt_handle, int64_t visibility,
                                      int64_t now_ms)
{
    static const char sql[] = "UPDATE sqs_messages SET visible_ms = ?5 WHERE account = ?1 AND "
                              "region = ?2 AND queue = ?3 AND message_id = ?4 AND "
                              "receive_count > 0";
    sqlite3_stmt *s;
    char id[37];
    ev_err rc;

    if (handle_message_id(q, receipt_handle, id) != 0)
        return EV_ERR_VALIDATION;
    s = ev__store_stmt(st, sql);
    if (!s)
        return EV_ERR_INTERNAL;
    bind_queue(s, sc, q->name);
    ev__bind_text(s, 4, id);
    sqlite3_bind_int64(s, 5, now_ms + visibility * 1000);
    rc = exec_stmt(st, s, "sqs change visibility");
    if (rc == EV_OK && sqlite3_changes(st->db) == 0)
        rc = EV_ERR_NOT_FOUND;
    return rc;
}
