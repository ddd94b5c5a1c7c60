/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* grub.cfg run as GRUB would, then its default resolved. */
#include "config.h"

#include <string.h>

#include "fuzz-agent.h"
#include "grubcfg.h"

static void walk(const struct boot_entry *e, unsigned depth)
{
        FUZZ_CHECK(depth < 32);
        for (size_t i = 0; i < e->n_children; i++) {
                FUZZ_CHECK(e->children[i]->title);
                walk(e->children[i], depth + 1);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct grubcfg_io io = { .root_fd = -1, .config_dir = "/boot/grub" };
        const struct boot_entry *e;
        struct grub_cfg cfg;
        bool fallback;

        if (grubcfg_parse((const char *)data, size, &io, &cfg) < 0)
                return 0;
        walk(cfg.menu, 0);
        e = grub_resolve_default(cfg.menu, grub_env_get(&cfg.env, "default"), &fallback);
        FUZZ_CHECK(!e || !e->submenu);
        grubcfg_done(&cfg);
        return 0;
}
