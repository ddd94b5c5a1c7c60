/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "udiff.h"

#define CONTEXT 3
#define LINES_MAX 2000u

struct line {
        const char *p;
        size_t len;               /* with its newline, when it has one */
};

struct op {
        char kind;                /* ' ', '-', '+' */
        size_t ai, bi;            /* line index in a and b before this op */
};

static int split(const char *s, size_t n, struct line **ret, size_t *ret_n)
{
        struct line *v = NULL;
        size_t k = 0;

        for (size_t i = 0; i < n;) {
                const char *nl = memchr(s + i, '\n', n - i);
                size_t len = nl ? (size_t)(nl - (s + i)) + 1 : n - i;
                struct line *nv;

                if (k >= LINES_MAX) {
                        free(v);
                        return -E2BIG;
                }
                nv = realloc(v, (k + 1) * sizeof(*v));
                if (!nv) {
                        free(v);
                        return -ENOMEM;
                }
                v = nv;
                v[k++] = (struct line){ s + i, len };
                i += len;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

static bool line_eq(const struct line *x, const struct line *y)
{
        return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

/* L[i][j]: LCS length of a[i..] and b[j..]; then one walk gives the edit script. */
static int script(const struct line *a, size_t na, const struct line *b, size_t nb, struct op **ret, size_t *ret_n)
{
        size_t w = nb + 1, k = 0;
        _cleanup_free_ uint16_t *L = calloc((na + 1) * w, sizeof(uint16_t));
        struct op *ops = malloc((na + nb + 1) * sizeof(*ops));
        size_t i = 0, j = 0;

        if (!L || !ops) {
                free(ops);
                return -ENOMEM;
        }
        for (size_t x = na; x-- > 0;)
                for (size_t y = nb; y-- > 0;)
                        L[x * w + y] = line_eq(&a[x], &b[y]) ? L[(x + 1) * w + y + 1] + 1
                                       : L[(x + 1) * w + y] >= L[x * w + y + 1] ? L[(x + 1) * w + y]
                                                                                : L[x * w + y + 1];
        /* Where both are as long, removing comes first: diff -u shows - lines before + lines. */
        while (i < na || j < nb) {
                if (i < na && j < nb && line_eq(&a[i], &b[j]))
                        ops[k++] = (struct op){ ' ', i++, j++ };
                else if (i < na && (j == nb || L[(i + 1) * w + j] >= L[i * w + j + 1]))
                        ops[k++] = (struct op){ '-', i++, j };
                else
                        ops[k++] = (struct op){ '+', i, j++ };
        }
        *ret = ops;
        *ret_n = k;
        return 0;
}

static void emit_line(struct textbuf *out, char kind, const struct line *l)
{
        textbuf_append(out, &kind, 1);
        textbuf_append(out, l->p, l->len);
        if (l->len == 0 || l->p[l->len - 1] != '\n')
                textbuf_puts(out, "\n\\ No newline at end of file\n");
}

/* As diff -u: "START,COUNT", only "START" for one line; an empty range starts at the line before it. */
static void emit_range(struct textbuf *out, size_t before, size_t count)
{
        if (count == 1)
                textbuf_printf(out, "%zu", before + 1);
        else
                textbuf_printf(out, "%zu,%zu", count ? before + 1 : before, count);
}

static void emit_hunk(struct textbuf *out, const struct op *ops, size_t from, size_t to, const struct line *a,
                      const struct line *b)
{
        size_t ac = 0, bc = 0;

        for (size_t k = from; k < to; k++) {
                ac += ops[k].kind != '+';
                bc += ops[k].kind != '-';
        }
        textbuf_puts(out, "@@ -");
        emit_range(out, ops[from].ai, ac);
        textbuf_puts(out, " +");
        emit_range(out, ops[from].bi, bc);
        textbuf_puts(out, " @@\n");
        for (size_t k = from; k < to; k++)
                emit_line(out, ops[k].kind, ops[k].kind == '+' ? &b[ops[k].bi] : &a[ops[k].ai]);
}

/* Groups changes with their context into hunks; changes at most 2*CONTEXT lines apart share one. */
static void emit_hunks(struct textbuf *out, const struct op *ops, size_t n, const struct line *a, const struct line *b)
{
        size_t k = 0;

        while (k < n) {
                size_t first, last;

                while (k < n && ops[k].kind == ' ')
                        k++;
                if (k == n)
                        break;
                first = k;
                last = k;
                for (size_t m = k; m < n && m <= last + 2 * CONTEXT + 1; m++)
                        if (ops[m].kind != ' ')
                                last = m;
                emit_hunk(out, ops, first > CONTEXT ? first - CONTEXT : 0,
                          last + 1 + CONTEXT < n ? last + 1 + CONTEXT : n, a, b);
                k = last + 1;
        }
}

int udiff(struct textbuf *out, const char *path, const char *a, size_t alen, const char *b, size_t blen)
{
        _cleanup_free_ struct line *la = NULL, *lb = NULL;
        _cleanup_free_ struct op *ops = NULL;
        size_t na = 0, nb = 0, n;
        int r;

        if ((a ? alen : 0) == (b ? blen : 0) && !a == !b && (alen == 0 || memcmp(a, b, alen) == 0))
                return 0;
        if ((a && (r = split(a, alen, &la, &na)) < 0) || (b && (r = split(b, blen, &lb, &nb)) < 0))
                return r;
        r = script(la, na, lb, nb, &ops, &n);
        if (r < 0)
                return r;
        textbuf_printf(out, "--- %s%s\n+++ %s%s\n", a ? "a" : "/dev/null", a ? path : "", b ? "b" : "/dev/null",
                       b ? path : "");
        emit_hunks(out, ops, n, la, lb);
        return textbuf_error(out);
}
