/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* grubvars: the shell assignments of /etc/default/grub, table-driven; and quoting that sh reads back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "grubvars.h"
#include "util.h"

#define UNSET ((const char *)1)   /* never assigned */
#define UNKNOWN NULL              /* assigned in a way the evaluator does not follow */

static const struct {
        const char *name, *text, *var, *want, *where;
} cases[] = {
        { "plain", "GRUB_CMDLINE_LINUX=quiet\n", "GRUB_CMDLINE_LINUX", "quiet", "f:1" },
        { "double quotes", "GRUB_CMDLINE_LINUX=\"console=tty0 quiet\"\n", "GRUB_CMDLINE_LINUX", "console=tty0 quiet", "f:1" },
        { "single quotes", "GRUB_TERMINAL='serial console'\n", "GRUB_TERMINAL", "serial console", "f:1" },
        { "empty", "GRUB_SERIAL_COMMAND=\n", "GRUB_SERIAL_COMMAND", "", "f:1" },
        { "empty quotes", "GRUB_SERIAL_COMMAND=\"\"\n", "GRUB_SERIAL_COMMAND", "", "f:1" },
        { "last wins", "GRUB_TERMINAL=serial\n# comment\nGRUB_TERMINAL=console\n", "GRUB_TERMINAL", "console", "f:3" },
        { "export", "export GRUB_TERMINAL=console\n", "GRUB_TERMINAL", "console", "f:1" },
        { "indented, comment after", "  GRUB_TERMINAL=console # why\n", "GRUB_TERMINAL", "console", "f:1" },
        { "self reference", "GRUB_CMDLINE_LINUX=a\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX b\"\n", "GRUB_CMDLINE_LINUX", "a b", "f:2" },
        { "braces", "X=1\nGRUB_CMDLINE_LINUX=\"${X}2\"\n", "GRUB_CMDLINE_LINUX", "12", "f:2" },
        { "unset reference is empty", "GRUB_CMDLINE_LINUX=\"$NOPE x\"\n", "GRUB_CMDLINE_LINUX", " x", "f:1" },
        { "escapes in double quotes", "GRUB_CMDLINE_LINUX=\"a\\\"b\\\\c\\$d\"\n", "GRUB_CMDLINE_LINUX", "a\"b\\c$d", "f:1" },
        { "adjacent quoting", "GRUB_CMDLINE_LINUX=a'b c'\"d\"\n", "GRUB_CMDLINE_LINUX", "ab cd", "f:1" },
        { "no newline at the end", "GRUB_TERMINAL=console", "GRUB_TERMINAL", "console", "f:1" },
        { "never set", "GRUB_TIMEOUT=5\n", "GRUB_TERMINAL", UNSET, NULL },
        { "command substitution", "GRUB_CMDLINE_LINUX=\"$(cat /x)\"\n", "GRUB_CMDLINE_LINUX", UNKNOWN, "f:1" },
        { "backquotes", "GRUB_CMDLINE_LINUX=`cat /x`\n", "GRUB_CMDLINE_LINUX", UNKNOWN, "f:1" },
        { "unterminated quote", "GRUB_CMDLINE_LINUX=\"quiet\n", "GRUB_CMDLINE_LINUX", UNKNOWN, "f:1" },
        { "two commands on a line", "GRUB_TERMINAL=console; GRUB_TERMINAL=serial\n", "GRUB_TERMINAL", UNKNOWN, "f:1" },
        { "inside if", "if true; then\n  GRUB_TERMINAL=serial\nfi\n", "GRUB_TERMINAL", UNKNOWN, "f:2" },
        { "after if, known again", "if x; then\nGRUB_TERMINAL=serial\nfi\nGRUB_TERMINAL=console\n", "GRUB_TERMINAL", "console", "f:4" },
        { "unknown spreads", "GRUB_CMDLINE_LINUX=`x`\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX\"\n",
          "GRUB_CMDLINE_LINUX_DEFAULT", UNKNOWN, "f:2" },
        { "a watched name in other code", "sed -i s/x/y/ GRUB_TERMINAL\n", "GRUB_TERMINAL", UNKNOWN, "f:1" },
        { "blscfg is watched", "case x in *) GRUB_ENABLE_BLSCFG=true ;; esac\n", "GRUB_ENABLE_BLSCFG", UNKNOWN, "f:1" },
        { "other variables are not", "GRUB_DISTRIBUTOR=`lsb_release -i -s`\nGRUB_TERMINAL=console\n", "GRUB_TERMINAL", "console", "f:2" },
};

static void test_eval(void)
{
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct grubvars vars = {};
                const struct grubvar *g;
                bool ok;

                CHECK(grubvars_eval(&vars, "f", cases[i].text) == 0);
                g = grubvars_get(&vars, cases[i].var);
                if (cases[i].want == UNSET)
                        ok = !g;
                else if (cases[i].want == UNKNOWN)
                        ok = g && !g->value;
                else
                        ok = g && g->value && streq(g->value, cases[i].want);
                if (ok && g && cases[i].where)
                        ok = streq(g->where, cases[i].where);
                if (!ok) {
                        fprintf(stderr, "%s: %s is %s%s%s at %s\n", cases[i].name, cases[i].var, g ? "'" : "",
                                g ? g->value ? g->value : "(unknown)" : "unset", g ? "'" : "", g ? g->where : "-");
                        check_failures++;
                }
                grubvars_done(&vars);
        }
}

/* Files evaluate on top of each other, as grub-mkconfig sources them. */
static void test_files_in_order(void)
{
        struct grubvars vars = {};
        const struct grubvar *g;

        CHECK(grubvars_eval(&vars, "/etc/default/grub", "GRUB_CMDLINE_LINUX=\"console=ttyS0\"\n") == 0);
        CHECK(grubvars_eval(&vars, "/etc/default/grub.d/50.cfg",
                            "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX net.ifnames=0\"\n") == 0);
        g = grubvars_get(&vars, "GRUB_CMDLINE_LINUX");
        CHECK(g && g->value && streq(g->value, "console=ttyS0 net.ifnames=0"));
        CHECK(g && streq(g->where, "/etc/default/grub.d/50.cfg:1"));
        grubvars_done(&vars);
}

/* What grubvars_quote writes, grubvars_eval reads back unchanged. */
static void test_quote_round_trip(void)
{
        static const char *const values[] = { "", "plain", "two words", "it's", "'", "''", "$HOME `x` \"q\" \\",
                                              "console=ttyS0,115200n8 quiet", "tab\there" };

        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                struct grubvars vars = {};
                const struct grubvar *g;
                char *q = grubvars_quote(values[i]), *line;

                CHECK(q);
                line = malloc(strlen(q) + 32);
                sprintf(line, "GRUB_TERMINAL=%s\n", q);
                CHECK(grubvars_eval(&vars, "f", line) == 0);
                g = grubvars_get(&vars, "GRUB_TERMINAL");
                if (!g || !g->value || !streq(g->value, values[i])) {
                        fprintf(stderr, "quote of '%s' (%s) reads back as '%s'\n", values[i], q,
                                g && g->value ? g->value : "(unknown)");
                        check_failures++;
                }
                free(line);
                free(q);
                grubvars_done(&vars);
        }
}

int main(void)
{
        test_eval();
        test_files_in_order();
        test_quote_round_trip();
        return check_exit("test-grubvars");
}
