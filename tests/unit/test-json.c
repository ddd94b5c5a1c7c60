/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "macro.h"

/* Keeps only two-byte characters: stands for a caller's own policy. */
static bool two_bytes_only(const char *seq, size_t n)
{
        return n == 2;
}

static const struct {
        const char *in;
        size_t len;
        unsigned flags;
        json_keep_fn keep;
        const char *want;
} cases[] = {
        { "", 0, 0, NULL, "\"\"" },
        { "plain", 5, 0, NULL, "\"plain\"" },
        { "a\"b\\c", 5, 0, NULL, "\"a\\\"b\\\\c\"" },
        { "l1\nl2\tx", 7, 0, NULL, "\"l1\\nl2\\tx\"" },
        { "\x01\x1f\x7f", 3, 0, NULL, "\"\\u0001\\u001f\\u007f\"" },
        { "a\0b", 3, 0, NULL, "\"a\\u0000b\"" },
        { "/", 1, 0, NULL, "\"/\"" },
        /* Valid UTF-8 kept as it is, or escaped with JSON_ASCII. */
        { "caf\xc3\xa9", 5, 0, NULL, "\"caf\xc3\xa9\"" },
        { "caf\xc3\xa9", 5, JSON_ASCII, NULL, "\"caf\\u00e9\"" },
        { "\xe2\x82\xac", 3, JSON_ASCII, NULL, "\"\\u20ac\"" },
        { "\xf0\x9f\x98\x80", 4, 0, NULL, "\"\xf0\x9f\x98\x80\"" },
        { "\xf0\x9f\x98\x80", 4, JSON_ASCII, NULL, "\"\\ud83d\\ude00\"" },
        /* Not UTF-8: one U+FFFD per byte. */
        { "\xff", 1, 0, NULL, "\"\\ufffd\"" },
        { "a\xc3", 2, 0, NULL, "\"a\\ufffd\"" },
        { "\xed\xa0\x80", 3, 0, NULL, "\"\\ufffd\\ufffd\\ufffd\"" },
        { "\xc0\xafx", 3, JSON_ASCII, NULL, "\"\\ufffd\\ufffdx\"" },
        /* The caller's policy. */
        { "\xc3\xa9\xe2\x82\xac", 5, JSON_ASCII, two_bytes_only, "\"\\u00e9\\ufffd\\ufffd\\ufffd\"" },
};

static char *written(const char *in, size_t len, unsigned flags, json_keep_fn keep)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                exit(99);
        json_string(f, in, len, flags, keep);
        fclose(f);
        return buf;
}

static void test_strings(void)
{
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *got = written(cases[i].in, cases[i].len, cases[i].flags, cases[i].keep);

                if (strcmp(got, cases[i].want) != 0)
                        fprintf(stderr, "case %zu: got %s, want %s\n", i, got, cases[i].want);
                CHECK(strcmp(got, cases[i].want) == 0);
                free(got);
        }
}

static void test_cstr(void)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                exit(99);
        json_cstr(f, NULL, 0, NULL);
        fputc(',', f);
        json_cstr(f, "x\n", JSON_ASCII, NULL);
        fclose(f);
        CHECK(strcmp(buf, "null,\"x\\n\"") == 0);
        free(buf);
}

int main(void)
{
        test_strings();
        test_cstr();
        return check_exit("test-json");
}
