/*
 * tests/unit/deliver/test_request.c - the HTTP request of an API
 * destination: path parameters, query and header merging (the connection
 * wins), stripped and fixed headers, authorization, body parameters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/request.h"

static const char *header(const ev_http_request_t *r, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->nheaders; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return r->headers[i] + n + 2;
    return NULL;
}

static size_t count(const ev_http_request_t *r, const char *name)
{
    size_t n = strlen(name), c = 0;

    for (size_t i = 0; i < r->nheaders; i++)
        c += strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':';
    return c;
}

static void test_url_merge_and_encoding(void **state)
{
    json_t *target = json_loads("{\"PathParameterValues\":[\"a b\",\"x/y&z\"],"
                                "\"QueryStringParameters\":{\"k\":\"target\",\"t\":\"1 2\"}}",
                                0, NULL);
    json_t *conn = json_loads("{\"query_string_parameters\":[{\"key\":\"k\",\"value\":\"conn\","
                              "\"is_value_secret\":true},{\"key\":\"a&b\",\"value\":\"=?\"}]}",
                              0, NULL);
    ev_request_in_t in = {"https://h.test/p/*/q/*?x=1", "GET", target, conn, "BASIC", NULL,
                          NULL, "{}", 2};
    ev_http_request_t r;
    char *err;

    (void)state;
    assert_int_equal(ev_request_build(&in, &r, &err), EV_OK);
    assert_string_equal(r.url, "https://h.test/p/a%20b/q/x%2Fy%26z?x=1&k=conn&t=1%202&a%26b=%3D%3F");
    assert_null(r.body); /* GET sends no body */
    ev_request_free(&r);
    in.endpoint = "https://h.test/*/*/*";
    assert_int_equal(ev_request_build(&in, &r, &err), EV_ERR_VALIDATION);
    assert_string_equal(err, "The endpoint has more '*' path parameters than the target's "
                             "PathParameterValues.");
    free(err);
    json_decref(target);
    json_decref(conn);
}

static void test_headers(void **state)
{
    json_t *target = json_loads("{\"HeaderParameters\":{\"X-Env\":\"target\",\"User-Agent\":"
                                "\"evil\",\"Host\":\"x\",\"x-only-target\":\"t\"}}", 0, NULL);
    json_t *conn = json_loads("{\"header_parameters\":[{\"key\":\"x-env\",\"value\":\"conn\"},"
                              "{\"key\":\"Range\",\"value\":\"bytes=0-1\"}]}", 0, NULL);
    json_t *secret = json_loads("{\"api_key_name\":\"x-api-key\",\"api_key_value\":\"s3cr3t\"}",
                                0, NULL);
    ev_request_in_t in = {"https://h.test/", "POST", target, conn, "API_KEY", secret, NULL,
                          "{\"a\":1}", 7};
    ev_http_request_t r;
    char *err;

    (void)state;
    assert_int_equal(ev_request_build(&in, &r, &err), EV_OK);
    assert_string_equal(header(&r, "X-Env"), "conn");
    assert_int_equal(count(&r, "X-Env"), 1);
    assert_string_equal(header(&r, "x-only-target"), "t");
    assert_string_equal(header(&r, "User-Agent"), "Amazon/EventBridge/ApiDestinations");
    assert_int_equal(count(&r, "User-Agent"), 1);
    assert_null(header(&r, "Host"));
    assert_string_equal(header(&r, "Range"), "bytes=0-1048575");
    assert_string_equal(header(&r, "Content-Type"), "application/json; charset=utf-8");
    assert_string_equal(header(&r, "x-api-key"), "s3cr3t");
    assert_string_equal(r.body, "{\"a\":1}");
    ev_request_free(&r);
    json_decref(target);
    json_decref(conn);
    json_decref(secret);
}

/* One API key name through ev_request_build: its header, or NULL when refused. */
static char *api_key_line(const char *name, char **err)
{
    json_t *secret = json_pack("{s:s, s:s}", "api_key_name", name, "api_key_value", "k3y");
    ev_request_in_t in = {"https://h.test/", "POST", NULL, NULL, "API_KEY", secret, NULL, "{}", 2};
    ev_http_request_t r;
    char *line = NULL;

    *err = NULL;
    if (ev_request_build(&in, &r, err) == EV_OK) {
        for (size_t i = 0; i < r.nheaders; i++)
            if (strstr(r.headers[i], "k3y"))
                line = strdup(r.headers[i]);
        ev_request_free(&r);
    } else {
        assert_int_equal(r.nheaders, 0); /* nothing left behind */
        assert_null(r.url);
    }
    json_decref(secret);
    return line;
}

/* AWS accepts API key names that are no header name at all, and names of the
 * headers that frame a request: those are refused at delivery, never sent
 * (a "Transfer-Encoding: chunked" key would smuggle a request). */
static void test_api_key_names(void **state)
{
    static const char *const refused[] = {
        "Transfer-Encoding", "content-length", "Host", "Connection", "TE", "Upgrade",
        "Expect", "Trailer", "X Key", "x-key:", "X(Key)", "\t ", "X-K\xc3\xa9y", "X/Key",
    };
    char *err, *line;

    (void)state;
    line = api_key_line("  X-Api-Key\t", &err);
    assert_string_equal(line, "X-Api-Key: k3y");
    free(line);
    line = api_key_line("Authorization", &err);
    assert_string_equal(line, "Authorization: k3y");
    free(line);
    line = api_key_line("x!#$%&'*+-.^_`|~9", &err);
    assert_string_equal(line, "x!#$%&'*+-.^_`|~9: k3y");
    free(line);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        line = api_key_line(refused[i], &err);
        assert_null(line);
        assert_non_null(err);
        assert_string_equal(err, "The connection's API key name cannot be sent as an HTTP header "
                                 "name: it must be a token (RFC 9110) and not a header "
                                 "EventBridge sets or strips.");
        assert_null(strstr(err, "k3y"));
        free(err);
    }
}

static void test_basic_custom_type_and_body_params(void **state)
{
    json_t *target = json_loads("{\"HeaderParameters\":{\"content-type\":\"text/plain\"}}", 0,
                                NULL);
    json_t *conn = json_loads("{\"body_parameters\":[{\"key\":\"a\",\"value\":\"conn\"},"
                              "{\"key\":\"extra\",\"value\":\"e\"}]}", 0, NULL);
    json_t *secret = json_loads("{\"username\":\"user\",\"password\":\"pa:ss\"}", 0, NULL);
    ev_request_in_t in = {"http://h.test/", "PUT", target, conn, "BASIC", secret, NULL,
                          "{\"a\":1,\"b\":2}", 13};
    ev_http_request_t r;
    char *err;

    (void)state;
    assert_int_equal(ev_request_build(&in, &r, &err), EV_OK);
    assert_string_equal(header(&r, "content-type"), "text/plain");
    assert_int_equal(count(&r, "Content-Type"), 1);
    assert_string_equal(header(&r, "Authorization"), "Basic dXNlcjpwYTpzcw==");
    assert_string_equal(r.body, "{\"a\":\"conn\",\"b\":2,\"extra\":\"e\"}");
    ev_request_free(&r);
    /* A payload that is not a JSON object is sent unchanged. */
    in.payload = "\"just a string\"";
    in.payload_len = strlen(in.payload);
    assert_int_equal(ev_request_build(&in, &r, &err), EV_OK);
    assert_string_equal(r.body, "\"just a string\"");
    ev_request_free(&r);
    in.auth_type = "OAUTH_CLIENT_CREDENTIALS";
    in.bearer = "tok";
    assert_int_equal(ev_request_build(&in, &r, &err), EV_OK);
    assert_string_equal(header(&r, "Authorization"), "Bearer tok");
    ev_request_free(&r);
    json_decref(target);
    json_decref(conn);
    json_decref(secret);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_merge_and_encoding),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_api_key_names),
        cmocka_unit_test(test_basic_custom_type_and_body_params),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
