/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A strict applier of one file's unified diff, for the tests of udiff():
 * the diff applied to a must give b exactly. Hunk headers, context and
 * removed lines are checked against a; any mismatch is an error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ua_text {
        char *p;
        size_t len, cap;
};

static bool ua_put(struct ua_text *t, const char *s, size_t n)
{
        if (t->len + n + 1 > t->cap) {
                size_t cap = (t->len + n + 1) * 2;
                char *np = realloc(t->p, cap);
                if (!np)
                        return false;
                t->p = np;
                t->cap = cap;
        }
        memcpy(t->p + t->len, s, n);
        t->len += n;
        t->p[t->len] = '\0';
        return true;
}

/* The next line of s (from *pos), with its newline; false at the end. */
static bool ua_line(const char *s, size_t len, size_t *pos, const char **ret, size_t *ret_n)
{
        const char *nl;

        if (*pos >= len)
                return false;
        nl = memchr(s + *pos, '\n', len - *pos);
        *ret = s + *pos;
        *ret_n = nl ? (size_t)(nl - (s + *pos)) + 1 : len - *pos;
        *pos += *ret_n;
        return true;
}

static bool ua_range(const char **p, size_t *start, size_t *count)
{
        char *end;

        *start = strtoul(*p, &end, 10);
        *count = 1;
        if (end == *p)
                return false;
        if (*end == ',') {
                const char *c = end + 1;
                *count = strtoul(c, &end, 10);
                if (end == c)
                        return false;
        }
        *p = end;
        return true;
}

/* 0 and *ret (NUL-terminated, *ret_len bytes) when the diff applies; -1 otherwise. */
static int udiff_apply(const char *a, size_t alen, const char *d, size_t dlen, char **ret, size_t *ret_len)
{
        struct ua_text out = { 0 };
        size_t apos = 0, dpos = 0, aline = 0, n;
        const char *l;

        if (!ua_line(d, dlen, &dpos, &l, &n) || strncmp(l, "--- ", 4) != 0 || !ua_line(d, dlen, &dpos, &l, &n) ||
            strncmp(l, "+++ ", 4) != 0)
                goto fail;
        while (ua_line(d, dlen, &dpos, &l, &n)) {
                size_t as, ac, bs, bc, seen_a = 0, seen_b = 0;
                const char *p = l + 4;

                if (n < 4 || strncmp(l, "@@ -", 4) != 0 || !ua_range(&p, &as, &ac) || strncmp(p, " +", 2) != 0)
                        goto fail;
                p += 2;
                if (!ua_range(&p, &bs, &bc) || strncmp(p, " @@\n", 4) != 0)
                        goto fail;
                /* Lines of a before the hunk are copied as they are. */
                for (size_t first = ac ? as - 1 : as; aline < first; aline++) {
                        const char *x;
                        size_t xn;
                        if (!ua_line(a, alen, &apos, &x, &xn) || !ua_put(&out, x, xn))
                                goto fail;
                }
                while (seen_a < ac || seen_b < bc) {
                        const char *x = NULL, *next;
                        size_t xn = 0, npos, nn, body;
                        char kind;

                        if (!ua_line(d, dlen, &dpos, &l, &n) || n < 2 || l[n - 1] != '\n')
                                goto fail;
                        kind = l[0];
                        body = n - 1;
                        npos = dpos;
                        if (ua_line(d, dlen, &npos, &next, &nn) && next[0] == '\\') {
                                body--; /* "\ No newline at end of file": the line has none */
                                dpos = npos;
                        }
                        if (kind == ' ' || kind == '-') {
                                if (!ua_line(a, alen, &apos, &x, &xn) || xn != body || memcmp(x, l + 1, body) != 0)
                                        goto fail;
                                aline++;
                                seen_a++;
                        }
                        if (kind == ' ' || kind == '+') {
                                if (!ua_put(&out, l + 1, body))
                                        goto fail;
                                seen_b++;
                        }
                        if (kind != ' ' && kind != '-' && kind != '+')
                                goto fail;
                }
                if (seen_a != ac || seen_b != bc)
                        goto fail;
        }
        if (apos < alen && !ua_put(&out, a + apos, alen - apos))
                goto fail;
        if (!out.p && !ua_put(&out, "", 0))
                goto fail;
        *ret = out.p;
        *ret_len = out.len;
        return 0;
fail:
        free(out.p);
        return -1;
}
