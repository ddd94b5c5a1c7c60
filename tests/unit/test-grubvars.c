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
        { "if, true test", "X=a\nif [ \"$X\" = 'a' ]; then\n\tGRUB_TERMINAL=console\nfi\n", "GRUB_TERMINAL", "console", "f:3" },
        { "if, false test", "GRUB_TERMINAL=serial\nif [ \"$GRUB_TERMINAL\" = 'x' ]; then\n\tGRUB_TERMINAL=console\nfi\n",
          "GRUB_TERMINAL", "serial", "f:1" },
        { "if, tests joined by &&",
          "A=1\nB=2\nif [ \"$A\" = 1 ] && [ \"$B\" = '2' ]; then\nGRUB_CMDLINE_LINUX='x'\nfi\n", "GRUB_CMDLINE_LINUX", "x", "f:4" },
        { "if, one test of && false",
          "A=1\nB=2\nif [ \"$A\" = 1 ] && [ \"$B\" = 3 ]; then\nGRUB_CMDLINE_LINUX='x'\nfi\n", "GRUB_CMDLINE_LINUX", UNSET, NULL },
        { "if, else runs", "if [ a = b ]; then\nGRUB_TERMINAL=serial\nelse\nGRUB_TERMINAL=console\nfi\n", "GRUB_TERMINAL",
          "console", "f:4" },
        { "if, else skipped", "if [ a = a ]; then\nGRUB_TERMINAL=serial\nelse\nGRUB_TERMINAL=console\nfi\n", "GRUB_TERMINAL",
          "serial", "f:2" },
        { "if, elif", "if [ a = b ]; then\nGRUB_TERMINAL=a\nelif [ b = b ]; then\nGRUB_TERMINAL=b\nelse\nGRUB_TERMINAL=c\nfi\n",
          "GRUB_TERMINAL", "b", "f:4" },
        { "if, nested code in a skipped branch",
          "if [ a = b ]; then\nif x; then\nGRUB_TERMINAL=a\nfi\nGRUB_TERMINAL=b\nfi\nGRUB_SERIAL_COMMAND=s\n", "GRUB_TERMINAL",
          UNSET, NULL },
        { "if, after a skipped nested if", "if [ a = b ]; then\nif x; then\nfi\nfi\nGRUB_TERMINAL=c\n", "GRUB_TERMINAL", "c", "f:5" },
        { "if, nested code in the running branch", "if [ a = a ]; then\nif x; then\nGRUB_TERMINAL=a\nfi\nfi\n",
          "GRUB_TERMINAL", UNKNOWN, "f:3" },
        { "if, test of an unknown variable", "GRUB_TERMINAL=`x`\nif [ \"$GRUB_TERMINAL\" = a ]; then\nGRUB_TERMINAL=b\nfi\n",
          "GRUB_TERMINAL", UNKNOWN, "f:3" },
        { "if, a test it does not evaluate", "if [ -n x ]; then\nGRUB_TERMINAL=serial\nfi\n", "GRUB_TERMINAL", UNKNOWN, "f:2" },
        { "if, then on the next line", "if [ a = a ]\nthen\nGRUB_TERMINAL=serial\nfi\n", "GRUB_TERMINAL", UNKNOWN, "f:3" },
        { "if, after a fi, known again", "if [ a = a ]; then\nGRUB_TERMINAL=serial\nfi\nGRUB_TERMINAL=\"$GRUB_TERMINAL console\"\n",
          "GRUB_TERMINAL", "serial console", "f:4" },
        { "variable through a helper", "T=serial\nGRUB_TERMINAL=\"$T console\"\n", "GRUB_TERMINAL", "serial console", "f:2" },
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

/* A later file overrides an earlier one; the drop-in's guard sees the values before it. */
static void test_dropin_guard(void)
{
        struct grubvars vars = {};
        const struct grubvar *g;

        CHECK(grubvars_eval(&vars, "/etc/default/grub", "GRUB_CMDLINE_LINUX=\"console=ttyS0 nopv\"\n") == 0);
        CHECK(grubvars_eval(&vars, "/etc/default/grub.d/10.cfg", "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX acpi=off\"\n") == 0);
        CHECK(grubvars_eval(&vars, "/etc/default/grub.d/99-pvh-agent.cfg",
                            "if [ \"$GRUB_CMDLINE_LINUX\" = 'console=ttyS0 nopv acpi=off' ] && "
                            "[ \"$GRUB_CMDLINE_LINUX_DEFAULT\" = '' ]; then\n"
                            "\tGRUB_CMDLINE_LINUX='console=hvc0'\n\tGRUB_CMDLINE_LINUX_DEFAULT=''\nfi\n") == 0);
        g = grubvars_get(&vars, "GRUB_CMDLINE_LINUX");
        CHECK(g && g->value && streq(g->value, "console=hvc0"));
        CHECK(g && streq(g->where, "/etc/default/grub.d/99-pvh-agent.cfg:2"));
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
        test_dropin_guard();
        test_quote_round_trip();
        return check_exit("test-grubvars");
}
