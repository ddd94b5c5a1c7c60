/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GRUB legacy menu.lst reader. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "menulst.h"
#include "macro.h"
#include "util.h"

static bool str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

static void test_menulst(void)
{
        static const char text[] = "default=1\ntimeout=5\ntitle A\n\tkernel /vmlinuz-a ro root=/dev/xvda1\n"
                                   "title B\n\troot (hd0,0)\n\tkernel (hd0,0)/vmlinuz-b console=hvc0\n\tinitrd /initrd-b\n";
        struct boot_entry *m;
        unsigned def;

        CHECK(menulst_parse(text, strlen(text), &m, &def) == 0, "menu.lst: parse failed");
        CHECK(def == 1 && m->n_children == 2, "menu.lst: default %u, %zu entries", def, m->n_children);
        CHECK(str_eq(m->children[1]->kernel, "(hd0,0)/vmlinuz-b") && str_eq(m->children[1]->args, "console=hvc0") &&
                      m->children[1]->n_initrd == 1,
              "menu.lst: entry B");
        boot_entry_free(m);
}

int main(void)
{
        test_menulst();
        return check_exit("test-menulst");
}
