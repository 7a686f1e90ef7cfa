/*
 * match/ip.c - IP address literals and CIDR blocks as event-ruler reads them.
 *
 * event-ruler first requires the text to match [0-9]+(\.[0-9]+){3} or
 * [0-9a-fA-F:]*:[0-9a-fA-F:]* (so no hostnames, zones or dotted IPv6 tails),
 * then lets Java parse it; an IPv4-mapped IPv6 address becomes IPv4. We use
 * inet_pton for the strict parse (it refuses leading zeros in IPv4, as
 * current JDKs do). A pattern string that is an IP address is an address
 * match, not a string match; {"cidr": ...} follows CIDR.java's checks and
 * messages, including "IPv4 mask bits must be < 32".
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

static int looks_v4(const char *s, size_t n)
{
    size_t i = 0;
    int part, digits;

    for (part = 0; part < 4; part++) {
        digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
        if (!digits)
            return 0;
        if (part < 3) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    return i == n;
}

static int looks_v6(const char *s, size_t n)
{
    size_t i;
    int colon = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c == ':')
            colon = 1;
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return colon;
}

int ev__ip_looks_like(const char *s, size_t n)
{
    return looks_v4(s, n) || looks_v6(s, n);
}

int ev__ip_parse(const char *s, size_t n, uint8_t out[16])
{
    char buf[64];
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (n == 0 || n >= sizeof(buf))
        return 0;
    if (looks_v4(s, n)) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        return inet_pton(AF_INET, buf, out) == 1 ? 4 : 0;
    }
    if (!looks_v6(s, n))
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET6, buf, out) != 1)
        return 0;
    if (memcmp(out, mapped, 12) == 0) {
        memmove(out, out + 12, 4);
        return 4;
    }
    return 16;
}

/* Java Integer.parseInt: optional sign, ASCII digits, int range. */
static int parse_java_int(const char *s, size_t n, long *v)
{
    size_t i = 0;
    int neg = 0;
    long acc = 0;

    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        acc = acc * 10 + (s[i] - '0');
        if (acc > (long)INT_MAX + 1)
            return -1;
    }
    if (!neg && acc > INT_MAX)
        return -1;
    *v = neg ? -acc : acc;
    return 0;
}

const char *ev__cidr_parse(const char *s, size_t n, ev__cond_t *cond, char **owned)
{
    const char *slash = NULL;
    size_t parts = 1, i, iplen, end = n;
    long mask;
    uint8_t ip[16];
    int len, bits, b;

    *owned = NULL;
    /* Java String.split("/") drops trailing empty strings. */
    while (end > 0 && s[end - 1] == '/')
        end--;
    for (i = 0; i < end; i++) {
        if (s[i] == '/') {
            parts++;
            if (!slash)
                slash = s + i;
        }
    }
    if (end == 0 || parts != 2)
        return "Malformed CIDR, one '/' required";
    if (parse_java_int(slash + 1, (size_t)(s + end - slash - 1), &mask) != 0)
        return "Malformed CIDR, mask bits must be an integer";
    if (mask < 0)
        return "Malformed CIDR, mask bits must not be negative";
    iplen = (size_t)(slash - s);
    if (!ev__ip_looks_like(s, iplen)) {
        *owned = ev__mx_printf("Nonstandard IP address: %.*s", (int)iplen, s);
        return *owned;
    }
    len = ev__ip_parse(s, iplen, ip);
    if (len == 0) {
        *owned = ev__mx_printf("Invalid IP address: %.*s", (int)iplen, s);
        return *owned;
    }
    if (len == 4 && mask > 31)
        return "IPv4 mask bits must be < 32";
    if (len == 16 && mask > 127)
        return "IPv6 mask bits must be < 128";
    cond->kind = EV__C_CIDR;
    cond->ip_v6 = len == 16;
    bits = (int)mask;
    memset(cond->ip_lo, 0, sizeof(cond->ip_lo));
    memset(cond->ip_hi, 0, sizeof(cond->ip_hi));
    for (b = 0; b < len; b++) {
        int fixed = bits - b * 8; /* fixed leading bits in this byte */
        uint8_t m = fixed >= 8 ? 0xff : fixed <= 0 ? 0 : (uint8_t)(0xff << (8 - fixed));

        cond->ip_lo[b] = ip[b] & m;
        cond->ip_hi[b] = (uint8_t)(ip[b] | (uint8_t)~m);
    }
    return NULL;
}
