/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BLS entry reader and its variable expansion. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "bls.h"
#include "macro.h"
#include "util.h"

static bool str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

static void test_bls(void)
{
        static const char text[] = "title Fedora (6.8)\nversion 6.8.5-301.fc40.x86_64\nlinux /vmlinuz-6.8\n"
                                   "initrd /initramfs-6.8.img $tuned_initrd\noptions $kernelopts console=hvc0\n"
                                   "options quiet\n";
        struct grub_env env = {};
        struct boot_entry *e;
        char *x;

        CHECK(bls_parse_entry(text, strlen(text), "m-6.8", &e) == 0, "bls: parse failed");
        CHECK(str_eq(e->title, "Fedora (6.8)") && str_eq(e->kernel, "/vmlinuz-6.8") && e->n_initrd == 2,
              "bls: fields");
        CHECK(str_eq(e->args, "$kernelopts console=hvc0 quiet"), "bls: options '%s'", e->args);
        grub_env_set(&env, "kernelopts", "root=UUID=x ro");
        x = bls_expand(e->args, &env);
        CHECK(str_eq(x, "root=UUID=x ro console=hvc0 quiet"), "bls: expanded '%s'", x);
        free(x);
        x = bls_expand("${kernelopts}$ $none end$", &env);
        CHECK(str_eq(x, "root=UUID=x ro$  end$"), "bls: braces and stray dollars '%s'", x);
        free(x);
        grub_env_done(&env);
        boot_entry_free(e);
}

int main(void)
{
        test_bls();
        return check_exit("test-bls");
}
