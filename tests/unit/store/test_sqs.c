/*
 * tests/unit/store/test_sqs.c - the SQS queues repository: queues by scope,
 * send / receive / visibility / delete / purge / retention, receipt handles,
 * and the MD5 digests (vectors recorded from AWS SQS, or computed
 * independently with Python's hashlib and struct).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqs.h"

#define T0 1700000000000LL

static const ev_scope_t scope = {"000000000000", "us-east-1"};
static const ev_scope_t other = {"111111111111", "us-east-1"};

static ev_store_t *open_memory(void)
{
    ev_store_t *st = NULL;
    char msg[256];

    assert_int_equal(ev_store_open(":memory:", &st, msg, sizeof(msg)), EV_OK);
    assert_int_equal(ev_store_begin(st, 1), EV_OK);
    return st;
}

static void close_store(ev_store_t *st)
{
    assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
    ev_store_close(st);
}

/* Creates queue `name` of sc with the SQS defaults and visibility vis. */
static void make_queue(ev_store_t *st, ev_scope_t sc, const char *name, int64_t vis)
{
    ev_sqs_queue_t q = {0};
    char arn[128];

    snprintf(arn, sizeof(arn), "arn:aws:sqs:%s:%s:%s", sc.region, sc.account, name);
    q.name = (char *)name;
    q.arn = arn;
    q.visibility_timeout = vis;
    q.retention = 345600;
    q.max_size = 1048576;
    q.created_ms = q.modified_ms = T0;
    assert_int_equal(ev_store_sqs_queue_put(st, sc, &q), EV_OK);
}

static void load(ev_store_t *st, ev_scope_t sc, const char *name, ev_sqs_queue_t *q)
{
    assert_int_equal(ev_store_sqs_queue_get(st, sc, name, q), EV_OK);
}

static void send_text(ev_store_t *st, ev_sqs_queue_t *q, const char *body, int64_t delay,
                      int64_t now, ev_sqs_sent_t *sent)
{
    ev_sqs_send_t m = {body, strlen(body), NULL, 0, delay, "000000000000"};

    assert_int_equal(ev_store_sqs_enqueue(st, scope, q, &m, now, sent), EV_OK);
}

static void test_md5_vectors(void **state)
{
    /* Recorded from AWS SQS (ReceiveMessage / SendMessage responses). */
    const ev_sqs_attr_t one[] = {{"MyAttribute", "String", "foobar"}};
    const ev_sqs_attr_t three[] = {
        {"Help.Me", "String", "Me"}, {"General", "String", "Kenobi"}, {"Hello", "String", "There"}};
    const ev_sqs_attr_t binary[] = {
        {"attr1", "Binary", "dHJhY2VwYXJlbnQeMDAtNzc0MDYyZDZjMzcwODFhNWEwYjliNWI4OGUzMDYyN2MtMmQy"
                            "NDgyMjExZjY0ODlkYS0wMQ=="}};
    /* Computed with hashlib.md5 over struct.pack('>I', len) framing. */
    const ev_sqs_attr_t dlq[] = {
        {"RULE_ARN", "String", "arn:aws:events:us-east-1:000000000000:rule/r1"},
        {"RETRY_ATTEMPTS", "Number", "3"},
        {"ERROR_CODE", "String", "SDK_CLIENT_ERROR"}};
    const ev_sqs_attr_t custom[] = {
        {"price", "Number.float", "1.5"}, {"\xc3\xbc" "n\xc3\xaf", "String", "\xc3\xa9"}};
    char md5[33];

    (void)state;
    ev_store_sqs_md5("test", 4, md5);
    assert_string_equal(md5, "098f6bcd4621d373cade4e832627b4f6");
    ev_store_sqs_md5("foobar", 6, md5);
    assert_string_equal(md5, "3858f62230ac3c915f300c664312c63f");
    ev_store_sqs_md5_attrs(one, 1, md5);
    assert_string_equal(md5, "adb59cd4678ea5a855436b949cd07ab6");
    ev_store_sqs_md5_attrs(three, 3, md5);
    assert_string_equal(md5, "4c360f3fdafd970e05fae2f149d997f5");
    ev_store_sqs_md5_attrs(three + 1, 2, md5);
    assert_string_equal(md5, "fca026605781cb4126a1e9044df24232");
    ev_store_sqs_md5_attrs(binary, 1, md5);
    assert_string_equal(md5, "8cbe4db156db8a94db8b801b7addb984");
    ev_store_sqs_md5_attrs(dlq, 3, md5);
    assert_string_equal(md5, "7a677a03a546d190d43ec4cd7ce74889");
    ev_store_sqs_md5_attrs(custom, 2, md5);
    assert_string_equal(md5, "8e3a95d3601b3ab428abb0afd0a2e18d");
    ev_store_sqs_md5_attrs(NULL, 0, md5);
    assert_string_equal(md5, "");
    /* body 4 + name 5 + type 6 + 67 decoded bytes */
    assert_int_equal(ev_store_sqs_size(4, binary, 1), 4 + 5 + 6 + 67);
}

static void test_queues_are_scoped(void **state)
{
    ev_store_t *st = open_memory();
    ev_sqs_queue_t q, *list;
    size_t n;

    (void)state;
    make_queue(st, scope, "b-queue", 30);
    make_queue(st, scope, "a-queue", 30);
    make_queue(st, scope, "b-other", 30);
    make_queue(st, other, "b-queue", 30);
    load(st, scope, "b-queue", &q);
    assert_string_equal(q.arn, "arn:aws:sqs:us-east-1:000000000000:b-queue");
    assert_int_equal(q.visibility_timeout, 30);
    assert_null(q.extra);
    ev_sqs_queue_clear(&q);
    assert_int_equal(ev_store_sqs_queue_list(st, scope, "b-", NULL, 10, &list, &n), EV_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "b-other");
    assert_string_equal(list[1].name, "b-queue");
    ev_store_sqs_queue_list_free(list, n);
    assert_int_equal(ev_store_sqs_queue_list(st, scope, NULL, "a-queue", 1, &list, &n), EV_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "b-other");
    ev_store_sqs_queue_list_free(list, n);
    assert_int_equal(ev_store_sqs_queue_delete(st, scope, "b-queue"), EV_OK);
    assert_int_equal(ev_store_sqs_queue_get(st, scope, "b-queue", &q), EV_ERR_NOT_FOUND);
    /* The other account's queue of the same name is untouched. */
    load(st, other, "b-queue", &q);
    ev_sqs_queue_clear(&q);
    /* Deleting an absent queue succeeds. */
    assert_int_equal(ev_store_sqs_queue_delete(st, scope, "nothing"), EV_OK);
    close_store(st);
}

static void test_send_by_arn_and_receive(void **state)
{
    ev_store_t *st = open_memory();
    const ev_sqs_attr_t attrs[] = {{"RULE_ARN", "String", "arn:aws:events:us-east-1:"
                                    "000000000000:rule/r1"},
                                   {"RETRY_ATTEMPTS", "Number", "3"},
                                   {"ERROR_CODE", "String", "SDK_CLIENT_ERROR"}};
    const char *arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    ev_sqs_queue_t q;
    ev_sqs_message_t *msgs;
    size_t n;
    int64_t next;
    char id[37];
    json_t *a;

    (void)state;
    assert_int_equal(ev_store_sqs_send(st, scope, arn, "{}", 2, NULL, 0, T0, id),
                     EV_ERR_NOT_FOUND);
    make_queue(st, scope, "dlq", 30);
    /* An ARN of another account or region names no queue of this scope. */
    assert_int_equal(ev_store_sqs_send(st, other, arn, "{}", 2, NULL, 0, T0, id),
                     EV_ERR_NOT_FOUND);
    assert_int_equal(ev_store_sqs_send(st, scope, "arn:aws:sqs:eu-west-1:000000000000:dlq",
                                       "{}", 2, NULL, 0, T0, id),
                     EV_ERR_NOT_FOUND);
    assert_int_equal(ev_store_sqs_send(st, scope, "not an arn", "{}", 2, NULL, 0, T0, id),
                     EV_ERR_NOT_FOUND);
    /* The body is taken by length, not up to a NUL. */
    assert_int_equal(ev_store_sqs_send(st, scope, arn, "{\"detail\":{}}xyz", 13, attrs, 3, T0,
                                       id),
                     EV_OK);
    assert_int_equal(strlen(id), 36);
    load(st, scope, "dlq", &q);
    assert_int_equal(ev_store_sqs_receive(st, scope, &q, 10, 30, T0 + 5, &msgs, &n, &next),
                     EV_OK);
    assert_int_equal(n, 1);
    assert_string_equal(msgs[0].message_id, id);
    assert_string_equal(msgs[0].body, "{\"detail\":{}}");
    assert_int_equal(msgs[0].body_len, 13);
    assert_string_equal(msgs[0].md5_body, "4d825f0935d38a85995d821c6902df72");
    assert_string_equal(msgs[0].sender_id, "000000000000");
    assert_int_equal(msgs[0].sent_ms, T0);
    assert_int_equal(msgs[0].receive_count, 1);
    assert_int_equal(msgs[0].first_receive_ms, T0 + 5);
    assert_non_null(msgs[0].receipt_handle);
    /* Attributes come back in name order, in their wire form. */
    assert_string_equal(msgs[0].attributes,
                        "{\"ERROR_CODE\":{\"DataType\":\"String\",\"StringValue\":"
                        "\"SDK_CLIENT_ERROR\"},\"RETRY_ATTEMPTS\":{\"DataType\":\"Number\","
                        "\"StringValue\":\"3\"},\"RULE_ARN\":{\"DataType\":\"String\","
                        "\"StringValue\":\"arn:aws:events:us-east-1:000000000000:rule/r1\"}}");
    a = json_loads(msgs[0].attributes, 0, NULL);
    assert_non_null(a);
    json_decref(a);
    assert_int_equal(next, T0 + 5 + 30000);
    ev_store_sqs_messages_free(msgs, n);
    ev_sqs_queue_clear(&q);
    close_store(st);
}

static void test_visibility_timeout(void **state)
{
    ev_store_t *st = open_memory();
    ev_sqs_queue_t q;
    ev_sqs_message_t *msgs, *again;
    ev_sqs_counts_t c;
    ev_sqs_sent_t sent;
    size_t n;
    int64_t next;

    (void)state;
    make_queue(st, scope, "q", 30);
    load(st, scope, "q", &q);
    send_text(st, &q, "foobar", -1, T0, &sent);
    assert_string_equal(sent.md5_body, "3858f62230ac3c915f300c664312c63f");
    assert_string_equal(sent.md5_attrs, "");
    assert_int_equal(ev_store_sqs_receive(st, scope, &q, 1, 30, T0, &msgs, &n, &next), EV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev_store_sqs_counts(st, scope, &q, T0 + 1, &c), EV_OK);
    assert_int_equal(c.visible, 0);
    assert_int_equal(c.in_flight, 1);
    assert_int_equal(c.delayed, 0);
    /* Hidden until the timeout ends. */
    assert_int_equal(ev_store_sqs_receive(st, scope, &q, 10, 30, T0 + 29999, &again, &n, &next),
                     EV_OK);
    assert_int_equal(n, 0);
    assert_null(again);
    assert_int_equal(next, T0 + 30000);
    /* Visible again: a second receive, a new handle, the first receive time kept. */
    assert_int_equal(ev_store_sqs_receive(st, scope, &q, 10, 0, T0 + 30000, &again, &n, &next),
                     EV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(again[0].receive_count, 2);
    assert_int_equal(again[0].first_receive_ms, T0);
    assert_string_not_equal(again[0].receipt_handle, msgs[0].receipt_handle);
    /* Visibility 0 leaves it visible at once. */
    assert_int_equal(ev_store_sqs_counts(st, scope, &q, T0 + 30000, &c), EV_OK);
    assert_int_equal(c.visible, 1);
    /* ChangeMessageVisibility hides it again; a never-received message cannot be changed. */
    assert_int_equal(ev_store_sqs_change_visibility(st, scope, &q, again[0].receipt_handle, 60,
                                                    T0 + 30000),
                     EV_OK);
    assert_int_equal(ev_store_sqs_counts(st, scope, &q, T0 + 30001, &c), EV_OK);
    assert_int_equal(c.in_flight, 1);
    assert_int_equal(ev_store_sqs_change_visibility(st, scope, &q, "garbage", 60, T0),
                     EV_ERR_VALIDATION);
    ev_store_sqs_messages_free(again, n);
    ev_store_sqs_messages_free(msgs, 1);
    ev_sqs_queue_clear(&q);
    close_store(st);
}

static void test_delete_by_receipt_handle(void **state)
{
    ev_store_t *st = open_memory();
    ev_sqs_queue_t q, q2;
    ev_sqs_message_t *msgs, *m2;
    ev_sqs_counts_t c;
    ev_sqs_sent_t sent;
    size_t n, n2;
    int64_t next;

    (void)state;
    make_queue(st, scope, "q", 30);
    make_queue(st, scope, "q2", 30);
    load(st, scope, "q", &q);
    load(st, scope, "q2", &q2);
    send_text(st, &q, "one", -1, T0, &sent);
    send_text(st, &q2, "two", -1, T0, &sent);
    assert_int_equal(ev_store_sqs_receive(st, scope, &q, 10, 30, T0, &msgs, &n, &next), EV_OK);
    assert_int_equal(ev_store_sqs_receive(st, scope, &q2, 10, 30, T0, &m2, &n2, &next), EV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(n2, 1);
    /* Not a handle, or a handle of another queue. */
    assert_int_equal(ev_store_sqs_delete(st, scope, &q, "garbage"), EV_ERR_VALIDATION);
    assert_int_equal(ev_store_sqs_delete(st, scope, &q, ""), EV_ERR_VALIDATION);
    assert_int_equal(ev_store_sqs_delete(st, scope, &q, m2[0].receipt_handle),
                     EV_ERR_VALIDATION);
    assert_int_equal(ev_store_sqs_delete(st, scope, &q, msgs[0].receipt_handle), EV_OK);
    assert_int_equal(ev_store_sqs_counts(st, scope, &q, T0 + 1, &c), EV_OK);
    assert_int_equal(c.visible + c.in_flight + c.delayed, 0);
    /* A stale handle of a deleted message still succeeds, as in SQS. */
    assert_int_equal(ev_store_sqs_delete(st, scope, &q, msgs[0].receipt_handle), EV_OK);
    assert_int_equal(ev_store_sqs_change_visibility(st, scope, &q, msgs[0].receipt_handle, 5, T0),
                     EV_ERR_NOT_FOUND);
    /* The other queue's message is still there. */
    assert_int_equal(ev_store_sqs_counts(st, scope, &q2, T0 + 1, &c), EV_OK);
    assert_int_equal(c.in_flight, 1);
    ev_store_sqs_messages_free(msgs, n);
    ev_store_sqs_messages_free(m2, n2);
    ev_sqs_queue_clear(&q);
    ev_sqs_queue_clear(&q2);
    close_store(st);
}

static void test_delay_purge_and_retention(void **state)
{
    ev_store_t *st = open_memory();
    ev_sqs_queue_t q;
    ev_sqs_message_t *msgs;
    ev_sqs_counts_t c;
    ev_sqs_sent_t sent;
    size_t n;
    int64_t next;

    (void)state;
    make_queue(st, scope, "q", 30);
    load(st, scope, "q", &q);
    send_text(st, &q, "later", 5, T0, &sent);
    assert_int_equal(ev_store_sqs_counts(st, scope, &q, T0, &c), EV_OK);
    assert_int_equal(c.delayed, 1);
    assert_int_equal(c.visible, 0);
    assert_int_equal(ev_store_sqs_receive(st, scope, &q, 10, 30, T0 + 4999, &msgs, &n, &next),
                     EV_OK);
    assert_int_equal(n, 0);
    assert_int_equal(next, T0 + 5000);
    /* The queue's DelaySeconds applies when the message names none. */
    q.delay = 2;
    send_text(st, &q, "queue delay", -1, T0, &sent);
    assert_int_equal(ev_store_sqs_counts(st, scope, &q, T0 + 2000, &c), EV_OK);
    assert_int_equal(c.visible, 1);
    assert_int_equal(c.delayed, 1);
    assert_int_equal(ev_store_sqs_purge(st, scope, "q"), EV_OK);
    assert_int_equal(ev_store_sqs_counts(st, scope, &q, T0 + 6000, &c), EV_OK);
    assert_int_equal(c.visible + c.in_flight + c.delayed, 0);
    /* Retention: a message older than MessageRetentionPeriod is gone. */
    q.delay = 0;
    q.retention = 60;
    send_text(st, &q, "old", -1, T0, &sent);
    send_text(st, &q, "new", -1, T0 + 30000, &sent);
    assert_int_equal(ev_store_sqs_counts(st, scope, &q, T0 + 60000, &c), EV_OK);
    assert_int_equal(c.visible, 1);
    assert_int_equal(ev_store_sqs_receive(st, scope, &q, 10, 30, T0 + 60000, &msgs, &n, &next),
                     EV_OK);
    assert_int_equal(n, 1);
    assert_string_equal(msgs[0].body, "new");
    assert_int_equal(next, T0 + 90000);
    ev_store_sqs_messages_free(msgs, n);
    ev_sqs_queue_clear(&q);
    close_store(st);
}

static void test_max_size_and_binary_attributes(void **state)
{
    ev_store_t *st = open_memory();
    const ev_sqs_attr_t bin[] = {{"blob", "Binary", "AAEC"}};
    const char *arn = "arn:aws:sqs:us-east-1:000000000000:small";
    ev_sqs_queue_t q;
    ev_sqs_message_t *msgs;
    char big[1100], id[37];
    size_t n;
    int64_t next;

    (void)state;
    make_queue(st, scope, "small", 30);
    load(st, scope, "small", &q);
    q.max_size = 1024;
    assert_int_equal(ev_store_sqs_queue_put(st, scope, &q), EV_OK);
    memset(big, 'x', sizeof(big));
    assert_int_equal(ev_store_sqs_send(st, scope, arn, big, 1024, NULL, 0, T0, id), EV_OK);
    assert_int_equal(ev_store_sqs_send(st, scope, arn, big, 1025, NULL, 0, T0, id),
                     EV_ERR_LIMIT_EXCEEDED);
    /* 1024 - (4 + 6 + 3 decoded bytes) fits exactly. */
    assert_int_equal(ev_store_sqs_send(st, scope, arn, big, 1011, bin, 1, T0, id), EV_OK);
    assert_int_equal(ev_store_sqs_send(st, scope, arn, big, 1012, bin, 1, T0, id),
                     EV_ERR_LIMIT_EXCEEDED);
    assert_int_equal(ev_store_sqs_receive(st, scope, &q, 10, 30, T0, &msgs, &n, &next), EV_OK);
    assert_int_equal(n, 2);
    assert_null(msgs[0].attributes);
    assert_string_equal(msgs[1].attributes,
                        "{\"blob\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAEC\"}}");
    ev_store_sqs_messages_free(msgs, n);
    ev_sqs_queue_clear(&q);
    close_store(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_vectors),
        cmocka_unit_test(test_queues_are_scoped),
        cmocka_unit_test(test_send_by_arn_and_receive),
        cmocka_unit_test(test_visibility_timeout),
        cmocka_unit_test(test_delete_by_receipt_handle),
        cmocka_unit_test(test_delay_purge_and_retention),
        cmocka_unit_test(test_max_size_and_binary_attributes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
