/*
 * api/events_fast.c - PutEvents read straight from the request body, without
 * building a jansson tree and walking the generic model validator: the body
 * every SDK sends, {"Entries":[{...},...]} with 1 to 10 entries of Source,
 * DetailType, Detail, EventBusName (a plain name), Resources and Time.
 *
 * Whatever this reader accepts is model-valid by construction, so it answers
 * exactly as the generic path would (ev__put_entries does the work for both).
 * Anything else - another member, a duplicate key, a \u escape or a byte
 * outside ASCII, a null, a bus ARN, a value the model might refuse - returns 0
 * before anything is done, and the generic path answers, errors included.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/jcanon.h"
#include "util/util.h"

#define MAX_BUS_NAME 1600  /* NonPartnerEventBusNameOrArn */
#define MAX_RESOURCE 2048  /* EventResource */
#define MAX_TIME_DIGITS 15 /* an integer Time reads the same as a double */

typedef struct {
    const char *s;
    size_t n, i;
    char *arena; /* decoded strings, NUL-terminated: never longer than the body */
    size_t alen;
    const char **res; /* every entry's Resources, one after the other */
    size_t nres, capres;
} rd_t;

static void ws(rd_t *r)
{
    while (r->i < r->n &&
           (r->s[r->i] == ' ' || r->s[r->i] == '\n' || r->s[r->i] == '\r' || r->s[r->i] == '\t'))
        r->i++;
}

/* Consumes `c` (after blanks) if it is next. */
static int take(rd_t *r, char c)
{
    ws(r);
    if (r->i < r->n && r->s[r->i] == c) {
        r->i++;
        return 1;
    }
    return 0;
}

/* A string token, decoded into the arena; NULL when it is not one or holds a
 * control byte, a byte outside ASCII or a \u escape. */
static const char *str(rd_t *r, size_t *len)
{
    char *out, *o;

    ws(r);
    if (r->i >= r->n || r->s[r->i] != '"')
        return NULL;
    out = o = r->arena + r->alen;
    for (size_t i = r->i + 1; i < r->n; i++) {
        unsigned char c = (unsigned char)r->s[i];

        if (c == '"') {
            *o = '\0';
            *len = (size_t)(o - out);
            r->alen += *len + 1;
            r->i = i + 1;
            return out;
        }
        if (c < 0x20 || c >= 0x80)
            return NULL;
        if (c == '\\') {
            if (++i >= r->n)
                return NULL;
            switch (r->s[i]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            default: return NULL;
            }
        }
        *o++ = (char)c;
    }
    return NULL;
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A JSON number read as jansson's json_number_value would give it. */
static int number(rd_t *r, double *out)
{
    size_t end, intd;
    int real;
    char tmp[64];

    ws(r);
    end = ev_jcanon_number_end(r->s, r->n, r->i, &real, &intd);
    if (!end || (!real && intd > MAX_TIME_DIGITS) || end - r->i >= sizeof(tmp))
        return -1;
    memcpy(tmp, r->s + r->i, end - r->i);
    tmp[end - r->i] = '\0';
    r->i = end;
    errno = 0;
    *out = strtod(tmp, NULL);
    return errno == ERANGE ? -1 : 0;
}

/* A bus name the model's pattern, [\.\-_A-Za-z0-9]+ after an optional ARN
 * prefix, accepts (ARNs take the generic path). */
static int plain_bus_name(const char *s, size_t n)
{
    if (n < 1 || n > MAX_BUS_NAME)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c) || c == '.' ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static int resources(rd_t *r, size_t *count)
{
    const char *v;
    size_t len;

    *count = 0;
    if (!take(r, '['))
        return -1;
    if (take(r, ']'))
        return 0;
    do {
        if (!(v = str(r, &len)) || len > MAX_RESOURCE)
            return -1;
        if (r->nres == r->capres) {
            r->capres = r->capres ? 2 * r->capres : 16;
            r->res = realloc(r->res, r->capres * sizeof(*r->res));
            if (!r->res)
                abort();
        }
        r->res[r->nres++] = v;
        (*count)++;
    } while (take(r, ','));
    return take(r, ']') ? 0 : -1;
}

/* One entry; its Resources start at r->res[*first] (set once all are read). */
static int entry(rd_t *r, ev__pe_entry_t *e, size_t *first)
{
    static const char *const names[] = {"Source", "DetailType", "Detail", "EventBusName",
                                        "Resources", "Time"};
    unsigned seen = 0;

    memset(e, 0, sizeof(*e));
    *first = r->nres;
    if (!take(r, '{'))
        return -1;
    if (take(r, '}'))
        return 0;
    do {
        const char *k, *v = NULL;
        size_t klen, vlen = 0, m;

        if (!(k = str(r, &klen)) || !take(r, ':'))
            return -1;
        for (m = 0; m < sizeof(names) / sizeof(names[0]); m++)
            if (strcmp(k, names[m]) == 0)
                break;
        if (m == sizeof(names) / sizeof(names[0]) || (seen & (1u << m)))
            return -1; /* another member, or a duplicate: the generic path decides */
        seen |= 1u << m;
        if (m < 4 && !(v = str(r, &vlen)))
            return -1;
        switch (m) {
        case 0: e->source = v; break;
        case 1: e->detail_type = v; break;
        case 2: e->detail = v; break;
        case 3:
            if (!plain_bus_name(v, vlen))
                return -1;
            e->bus = v;
            break;
        case 4:
            if (resources(r, &e->nres) != 0)
                return -1;
            break;
        default:
            if (number(r, &e->time) != 0)
                return -1;
            e->has_time = e->time_is_num = 1;
        }
    } while (take(r, ','));
    return take(r, '}') ? 0 : -1;
}

int ev__pe_read(const char *body, size_t len, ev__pe_entry_t out[EV__PE_MAX], size_t *n,
                ev__pe_mem_t *mem)
{
    size_t first[EV__PE_MAX];
    rd_t r = {body, len, 0, NULL, 0, NULL, 0, 0};
    const char *k;
    size_t klen;

    *n = 0;
    memset(mem, 0, sizeof(*mem));
    if (!body || len == 0)
        return -1;
    r.arena = ev_xmalloc(len + 1);
    if (!take(&r, '{') || !(k = str(&r, &klen)) || strcmp(k, "Entries") != 0 ||
        !take(&r, ':') || !take(&r, '['))
        goto fail;
    do {
        if (*n == EV__PE_MAX || entry(&r, &out[*n], &first[*n]) != 0)
            goto fail;
        (*n)++;
    } while (take(&r, ','));
    if (!take(&r, ']') || !take(&r, '}'))
        goto fail;
    ws(&r);
    if (r.i != r.n)
        goto fail;
    for (size_t i = 0; i < *n; i++)
        out[i].res = out[i].nres ? r.res + first[i] : NULL;
    mem->arena = r.arena;
    mem->res = r.res;
    return 0;
fail:
    free(r.res);
    free(r.arena);
    *n = 0;
    return -1;
}

void ev__pe_free(ev__pe_mem_t *mem)
{
    free(mem->arena);
    free(mem->res);
    memset(mem, 0, sizeof(*mem));
}

int ev__put_events_fast(ev_call_t *c, ev_err *rc)
{
    ev__pe_entry_t entries[EV__PE_MAX];
    ev__pe_mem_t mem;
    size_t n;

    if (ev__pe_read(c->body, c->body_len, entries, &n, &mem) != 0)
        return 0;
    *rc = ev__put_entries(c, entries, n);
    ev__pe_free(&mem);
    return 1;
}
