/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel command line helpers. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "strv.h"
#include "macro.h"
#include "util.h"

static bool str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

static void test_cmdline(void)
{
        static const struct {
                const char *cmdline, *key, *want;
        } cases[] = {
                { "console=tty0 console=hvc0", "console", "hvc0" },
                { "console=hvc0 console=ttyS0,115200n8", "console", "ttyS0,115200n8" },
                { "xconsole=hvc0", "console", NULL },
                { "root=/dev/xvda1 ro", "root", "/dev/xvda1" },
                { "", "console", NULL },
        };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *v = cmdline_last_value(cases[i].cmdline, cases[i].key, buf, sizeof(buf));
                CHECK(str_eq(v, cases[i].want), "cmdline '%s': '%s', want '%s'", cases[i].cmdline, v, cases[i].want);
        }
        CHECK(cmdline_has_word("a nopv b", "nopv") && !cmdline_has_word("xen_nopv", "nopv"), "cmdline words");
}

int main(void)
{
        test_cmdline();
        return check_exit("test-strv");
}
