/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The other menus: a BLS entry, a GRUB legacy menu.lst, a grubenv block. */
#include "config.h"

#include <string.h>

#include "bls.h"
#include "fuzz-agent.h"
#include "menulst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        struct grub_env env = {};
        struct boot_entry *e;
        unsigned def;

        if (bls_parse_entry(text, size, "fuzz", &e) == 0) {
                FUZZ_CHECK(e->title && strcmp(e->id, "fuzz") == 0);
                boot_entry_free(e);
        }
        if (menulst_parse(text, size, &e, &def) == 0) {
                FUZZ_CHECK(e->submenu);
                boot_entry_free(e);
        }
        if (grub_env_parse(&env, text, size) == 0 && env.n > 0) {
                char *x = bls_expand("a $kernelopts ${saved_entry} $", &env);
                FUZZ_CHECK(x);
                free(x);
        }
        grub_env_done(&env);
        return 0;
}
