/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udiff(): table-driven cases in diff -u's own format, and the property that each diff applies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "textbuf.h"
#include "udiff-apply.h"
#include "udiff.h"
#include "util.h"


#define L10 "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"

static const struct {
        const char *name, *a, *b, *want; /* a or b NULL: the file is absent */
} cases[] = {
        { "identical", "x\ny\n", "x\ny\n", "" },
        { "both absent", NULL, NULL, "" },
        { "new file", NULL, "a\nb\n", "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+a\n+b\n" },
        { "removed file", "a\n", NULL, "--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n" },
        { "empty to absent", "", NULL, "--- a/f\n+++ /dev/null\n" },
        { "empty to text", "", "a\n", "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+a\n" },
        { "one line changed", "a\nb\nc\n", "a\nB\nc\n", "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n" },
        { "removed before added", "a\nb\nc\nd\n", "a\nX\nY\nd\n",
          "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n a\n-b\n-c\n+X\n+Y\n d\n" },
        { "context of three", L10, "1\n2\n3\n4\n5\nfive\n7\n8\n9\n10\n",
          "--- a/f\n+++ b/f\n@@ -3,7 +3,7 @@\n 3\n 4\n 5\n-6\n+five\n 7\n 8\n 9\n" },
        { "appended", "a\nb\n", "a\nb\nc\n", "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n b\n+c\n" },
        { "inserted at the top", L10, "0\n" L10, "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n" },
        { "insertion only, mid-file", L10, "1\n2\n3\n4\n5\nnew\n6\n7\n8\n9\n10\n",
          "--- a/f\n+++ b/f\n@@ -3,6 +3,7 @@\n 3\n 4\n 5\n+new\n 6\n 7\n 8\n" },
        { "deletion only, mid-file", L10, "1\n2\n3\n4\n6\n7\n8\n9\n10\n",
          "--- a/f\n+++ b/f\n@@ -2,7 +2,6 @@\n 2\n 3\n 4\n-5\n 6\n 7\n 8\n" },
        /* Six unchanged lines between changes: their contexts touch, one hunk (as diff -u). */
        { "gap of six: one hunk", "a\n" L10 "b\n", "A\n1\n2\n3\n4\n5\n6\nB\n8\n9\n10\nb\n",
          "--- a/f\n+++ b/f\n@@ -1,11 +1,11 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-7\n+B\n 8\n 9\n 10\n" },
        { "gap of seven: two hunks", L10 "11\n12\n", "one\n2\n3\n4\n5\n6\n7\n8\nnine\n10\n11\n12\n",
          "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -6,7 +6,7 @@\n 6\n 7\n 8\n-9\n+nine\n 10\n 11\n 12\n" },
        { "newline added at the end", "a\nb", "a\nb\n",
          "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n" },
        { "newline removed at the end", "a\nb\n", "a\nb",
          "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n" },
        { "context without a newline", "a\nb", "A\nb",
          "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n+A\n b\n\\ No newline at end of file\n" },
        { "CR bytes kept", "a\r\nb\r\n", "a\r\nc\r\n", "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n" },
};

static const char *len_of(const char *s, size_t *n)
{
        *n = s ? strlen(s) : 0;
        return s;
}

/* The diff of a and b, applied to a, gives b. */
static void check_applies(const char *name, const char *a, size_t alen, const char *b, size_t blen,
                          const char *d, size_t dlen)
{
        char *got = NULL;
        size_t glen = 0;

        if (dlen == 0 || !b) /* no diff (identical), or a removal: nothing to apply */
                return;
        if (udiff_apply(a ? a : "", a ? alen : 0, d, dlen, &got, &glen) < 0 || glen != blen ||
            memcmp(got, b, blen) != 0) {
                fprintf(stderr, "%s: the diff does not give b:\n%s", name, d);
                check_failures++;
        }
        free(got);
}

static void test_cases(void)
{
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct textbuf out;
                size_t alen, blen;
                const char *a = len_of(cases[i].a, &alen), *b = len_of(cases[i].b, &blen);

                textbuf_init(&out, 1u << 20);
                CHECK(udiff(&out, "/f", a, alen, b, blen) == 0);
                if (!streq(out.data ? out.data : "", cases[i].want)) {
                        fprintf(stderr, "%s: got\n%s\nwant\n%s\n", cases[i].name, out.data ? out.data : "",
                                cases[i].want);
                        check_failures++;
                }
                check_applies(cases[i].name, a, alen, b, blen, out.data ? out.data : "", out.len);
                textbuf_done(&out);
        }
}

/* Random texts over a few distinct lines, so that they share a lot: every diff must apply. */
static void test_random(void)
{
        static const char *const words[] = { "a\n", "b\n", "c\n", "GRUB_TERMINAL=serial\n", "\n", "fi\n" };
        unsigned seed = 12345;

        for (int round = 0; round < 2000; round++) {
                char a[512] = "", b[512] = "";
                struct textbuf out;
                int na, nb;

                seed = seed * 1103515245u + 12345u;
                na = (int)(seed >> 16) % 30;
                seed = seed * 1103515245u + 12345u;
                nb = (int)(seed >> 16) % 30;
                for (int k = 0; k < na; k++) {
                        seed = seed * 1103515245u + 12345u;
                        strcat(a, words[(seed >> 16) % 6]);
                }
                memcpy(b, a, strlen(a) + 1);
                for (int k = 0; k < nb / 4; k++) {
                        size_t pos, len = strlen(b);
                        seed = seed * 1103515245u + 12345u;
                        pos = len ? (seed >> 16) % len : 0;
                        while (pos > 0 && b[pos - 1] != '\n')
                                pos--;
                        if ((seed >> 8) & 1) {
                                const char *w = words[(seed >> 20) % 6];
                                if (len + strlen(w) < sizeof(b)) {
                                        memmove(b + pos + strlen(w), b + pos, len - pos + 1);
                                        memcpy(b + pos, w, strlen(w));
                                }
                        } else if (pos < len) {
                                size_t e = strcspn(b + pos, "\n") + 1;
                                memmove(b + pos, b + pos + e, len - pos - e + 1);
                        }
                }
                if ((seed >> 4) & 1 && b[0])
                        b[strlen(b) - 1] = '\0'; /* sometimes no newline at the end */
                textbuf_init(&out, 1u << 20);
                CHECK(udiff(&out, "/r", a, strlen(a), b, strlen(b)) == 0);
                check_applies("random", a, strlen(a), b, strlen(b), out.data ? out.data : "", out.len);
                textbuf_done(&out);
        }
}

static void test_limits(void)
{
        size_t n = 2001 * 2;
        char *big = malloc(n + 1);
        struct textbuf out;

        for (size_t i = 0; i < n; i += 2)
                memcpy(big + i, "x\n", 2);
        big[n] = '\0';
        textbuf_init(&out, 1u << 20);
        CHECK(udiff(&out, "/big", "x\n", 2, big, n) == -E2BIG);
        CHECK(udiff(&out, "/big", big, n - 2, big, n - 2) == 0); /* identical: no work at all */
        textbuf_done(&out);
        /* Output beyond the buffer's bound is counted as omitted, never an error. */
        textbuf_init(&out, 16);
        CHECK(udiff(&out, "/f", "a\n", 2, "b\n", 2) == 0);
        CHECK(out.omitted > 0);
        textbuf_done(&out);
        free(big);
}

int main(void)
{
        test_cases();
        test_random();
        test_limits();
        return check_exit("udiff");
}
