/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration files' grammar (shared/conffile.c): what each setting is, and which line breaks it. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "conffile.h"
#include "macro.h"
#include "util.h"

struct seen {
        char text[256]; /* "LINE:KEY=VALUE|" for each setting */
        unsigned stop;  /* the line whose setting the callback refuses (0: none) */
};

static int record(unsigned line, const char *key, size_t kn, const char *v, size_t vn, void *userdata)
{
        struct seen *s = userdata;
        size_t len = strlen(s->text);

        if (line == s->stop)
                return -ERANGE;
        snprintf(s->text + len, sizeof(s->text) - len, "%u:%.*s=%.*s|", line, (int)kn, key, (int)vn, v);
        return 0;
}

static void test_parse(void)
{
        static const struct {
                const char *in;
                unsigned stop;
                int ret;
                const char *settings, *error;
        } cases[] = {
                { "", 0, 0, "", "" },
                { "# only a comment\n\n  \t\n", 0, 0, "", "" },
                { "a = b\n", 0, 0, "1:a=b|", "" },
                { "  key-x\t=\tone two  \t\nb=c", 0, 0, "1:key-x=one two|2:b=c|", "" },
                { "k =\n", 0, 0, "1:k=|", "" },
                { "k = /a/b c\n# x = y\nk = d", 0, 0, "1:k=/a/b c|3:k=d|", "" },
                { "a = b\nA = b\n", 0, -EINVAL, "1:a=b|",
                  "line 2: expected KEY = VALUE, with a key of lowercase letters" },
                { "a b\n", 0, -EINVAL, "", "line 1: expected '=' after 'a'" },
                { "a = b # c\xff\n", 0, -EINVAL, "", "line 1: byte 0xff is not printable ASCII" },
                { "a = b\r\n", 0, -EINVAL, "", "line 1: byte 0x0d is not printable ASCII" },
                { "a = b\nc = d\ne = f\n", 2, -ERANGE, "1:a=b|", "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct seen s = { .stop = cases[i].stop };
                char error[128] = "";
                int r = conffile_parse(cases[i].in, strlen(cases[i].in), record, &s, error, sizeof(error));

                CHECK(r == cases[i].ret, "case %zu: %d", i, r);
                CHECK(streq(s.text, cases[i].settings), "case %zu: settings '%s'", i, s.text);
                CHECK(streq(error, cases[i].error), "case %zu: error '%s'", i, error);
        }
}

int main(void)
{
        test_parse();
        return check_exit("test-conffile");
}
