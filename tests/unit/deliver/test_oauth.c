/*
 * tests/unit/deliver/test_oauth.c - token requests (client authentication,
 * OAuthHttpParameters) and token responses (missing, zero, negative and
 * string expires_in; garbage; huge bodies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "deliver/oauth.h"

static void test_request(void **state)
{
    json_t *secret = json_loads(
        "{\"client_id\":\"my id\",\"client_secret\":\"s:e&c\",\"authorization_endpoint\":"
        "\"https://auth.test/token?x=1\",\"http_method\":\"POST\",\"oauth_http_parameters\":{"
        "\"header_parameters\":[{\"key\":\"X-Tenant\",\"value\":\"t1\"}],"
        "\"query_string_parameters\":[{\"key\":\"audience\",\"value\":\"a b\"}],"
        "\"body_parameters\":[{\"key\":\"grant_type\",\"value\":\"client_credentials\"},"
        "{\"key\":\"scope\",\"value\":\"api/write\"}]}}", 0, NULL);
    ev_http_request_t r;
    char *err;
    int auth = 0, tenant = 0, ctype = 0;

    (void)state;
    assert_int_equal(ev_oauth_request(secret, &r, &err), EV_OK);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.url, "https://auth.test/token?x=1&audience=a%20b");
    assert_string_equal(r.body, "grant_type=client_credentials&scope=api%2Fwrite");
    for (size_t i = 0; i < r.nheaders; i++) {
        /* base64("my%20id:s%3Ae%26c") */
        auth |= strcmp(r.headers[i], "Authorization: Basic bXklMjBpZDpzJTNBZSUyNmM=") == 0;
        tenant |= strcmp(r.headers[i], "X-Tenant: t1") == 0;
        ctype |= strcmp(r.headers[i], "Content-Type: application/x-www-form-urlencoded") == 0;
    }
    assert_true(auth && tenant && ctype);
    ev_request_free(&r);
    json_object_set_new(secret, "http_method", json_string("GET"));
    assert_int_equal(ev_oauth_request(secret, &r, &err), EV_OK);
    assert_null(r.body);
    ev_request_free(&r);
    json_object_del(secret, "client_secret");
    assert_int_equal(ev_oauth_request(secret, &r, &err), EV_ERR_VALIDATION);
    free(err);
    json_decref(secret);
}

static void expect(const char *body, ev_err rc, const char *token, int64_t expires,
                   const char *why)
{
    char *t = NULL, *w = NULL;
    int64_t e = 99;

    assert_int_equal(ev_oauth_parse(body, strlen(body), &t, &e, &w), rc);
    if (rc == EV_OK) {
        assert_string_equal(t, token);
        assert_int_equal(e, expires);
        assert_null(w);
    } else {
        assert_null(t);
        assert_string_equal(w, why);
    }
    free(t);
    free(w);
}

static void test_responses(void **state)
{
    char *big;

    (void)state;
    expect("{\"access_token\":\"a\",\"expires_in\":3600}", EV_OK, "a", 3600, NULL);
    expect("{\"access_token\":\"a\"}", EV_OK, "a", -1, NULL);
    expect("{\"access_token\":\"a\",\"expires_in\":0}", EV_OK, "a", 0, NULL);
    expect("{\"access_token\":\"a\",\"expires_in\":-5}", EV_OK, "a", 0, NULL);
    expect("{\"access_token\":\"a\",\"expires_in\":\"3600\"}", EV_OK, "a", -1, NULL);
    expect("{\"access_token\":\"a\",\"expires_in\":12.9}", EV_OK, "a", 12, NULL);
    expect("{\"token\":\"a\"}", EV_ERR_VALIDATION, NULL, 0, "the response has no access_token");
    expect("{\"access_token\":\"\"}", EV_ERR_VALIDATION, NULL, 0,
           "the response has no access_token");
    expect("{\"access_token\":42}", EV_ERR_VALIDATION, NULL, 0,
           "the response has no access_token");
    expect("<html>nope</html>", EV_ERR_VALIDATION, NULL, 0, "the response is not JSON");
    expect("[\"access_token\"]", EV_ERR_VALIDATION, NULL, 0,
           "the response is not a JSON object");
    big = calloc(1, EV_OAUTH_MAX_RESPONSE + 10);
    memset(big, ' ', EV_OAUTH_MAX_RESPONSE + 5);
    expect(big, EV_ERR_VALIDATION, NULL, 0, "the response is too large");
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_responses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
