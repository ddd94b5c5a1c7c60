/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The grub.cfg reader: default entry, submenus, flags. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "grubcfg.h"
#include "macro.h"
#include "strv.h"
#include "util.h"

static bool str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

#define HEAD                                                                   \
        "if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\n" \
        "   set next_entry=\nelse\n   set default=\"%s\"\nfi\n"                \
        "if [ x\"${feature_menuentry_id}\" = xy ]; then\n"                       \
        "  menuentry_id_option=\"--id\"\nelse\n  menuentry_id_option=\"\"\nfi\n"

static const char menu_body[] =
        "function load_video {\n  insmod all_video\n  set default=99\n}\n"
        "menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple' {\n"
        "\tload_video\n"
        "\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi\n"
        "\tlinux\t/boot/vmlinuz-6.1 root=UUID=abc ro quiet\n"
        "\tinitrd\t/boot/initrd.img-6.1\n}\n"
        "submenu 'Advanced options' $menuentry_id_option 'gnulinux-advanced' {\n"
        "\tmenuentry 'With 6.1' $menuentry_id_option 'adv-6.1' {\n\t\tlinux /boot/vmlinuz-6.1 a\n\t}\n"
        "\tmenuentry 'With 6.1 (recovery)' $menuentry_id_option 'rec-6.1' {\n\t\tlinux /boot/vmlinuz-6.1 single\n\t}\n"
        "\tmenuentry 'With 5.10' $menuentry_id_option 'adv-5.10' {\n\t\tlinux /boot/vmlinuz-5.10 b\n\t}\n"
        "}\n";

struct grub_case {
        const char *name;
        const char *def;       /* the "set default" value, NULL: the text is whole */
        const char *pre;       /* before the header */
        const char *text;
        const char *title, *kernel, *args;
        bool fallback;
};

static const struct grub_case grub_cases[] = {
        { "index 0", "0", NULL, menu_body, "Debian GNU/Linux", "/boot/vmlinuz-6.1", "root=UUID=abc ro quiet", false },
        { "index into submenu", "1>2", NULL, menu_body, "With 5.10", "/boot/vmlinuz-5.10", "b", false },
        { "ids through submenu", "gnulinux-advanced>rec-6.1", NULL, menu_body, "With 6.1 (recovery)", "/boot/vmlinuz-6.1", "single", false },
        { "title", "Debian GNU/Linux", NULL, menu_body, "Debian GNU/Linux", "/boot/vmlinuz-6.1", "root=UUID=abc ro quiet", false },
        { "title in submenu", "Advanced options>With 5.10", NULL, menu_body, "With 5.10", "/boot/vmlinuz-5.10", "b", false },
        { "submenu alone: its first entry", "1", NULL, menu_body, "With 6.1", "/boot/vmlinuz-6.1", "a", false },
        { "ids only match their own level", "adv-5.10", NULL, menu_body, "Debian GNU/Linux", "/boot/vmlinuz-6.1",
          "root=UUID=abc ro quiet", true },
        { "unknown id falls back to 0", "no-such-entry", NULL, menu_body, "Debian GNU/Linux", "/boot/vmlinuz-6.1", "root=UUID=abc ro quiet", true },
        { "index out of range", "7", NULL, menu_body, "Debian GNU/Linux", "/boot/vmlinuz-6.1", "root=UUID=abc ro quiet", true },
        { "empty default is 0", "", NULL, menu_body, "Debian GNU/Linux", "/boot/vmlinuz-6.1", "root=UUID=abc ro quiet", false },
        { "next_entry wins", "0", "set next_entry='gnulinux-advanced>adv-5.10'\n", menu_body,
          "With 5.10", "/boot/vmlinuz-5.10", "b", false },
        { "one-line entry, quoting, continuation", NULL, NULL,
          "set default=0\nset kopts=\"console=hvc0 quiet\"\n"
          "menuentry \"it's \\\"quoted\\\"\" { linux /vmlinuz 'a b'\\\n $kopts \"x=${kopts}\"; initrd /i1 /i2; }\n",
          "it's \"quoted\"", "/vmlinuz", "a b console=hvc0 quiet x=console=hvc0 quiet", false },
        { "if/elif/else", NULL, NULL,
          "if [ x$grub_platform = xefi ]; then\n set default=1\nelif [ -n \"$nothing\" ]; then\n set default=1\n"
          "else\n  if [ 1 -lt 2 -a a != b ]; then set default=e2; fi\nfi\n"
          "menuentry e1 { linux /k1 }\nmenuentry e2 --id e2 { linux /k2 x }\n",
          "e2", "/k2", "x", false },
        { "comments and hashes", NULL, NULL,
          "# set default=1\nset default=0 # trailing\nmenuentry 'a#b' { linux /k root=LABEL=x#y }\n",
          "a#b", "/k", "root=LABEL=x#y", false },
        { "entries only inside an active branch", NULL, NULL,
          "if false; then\nmenuentry hidden { linux /h }\nfi\nmenuentry shown { linux /s }\n",
          "shown", "/s", "", false },
};

static void test_grub_case(const struct grub_case *c)
{
        struct grubcfg_io io = { .root_fd = -1, .config_dir = "/boot/grub" };
        _cleanup_free_ char *text = NULL;
        const struct boot_entry *e;
        struct grub_cfg cfg;
        bool fallback;

        /* With a default: Debian's header around it, anything before it first. */
        text = c->def ? strdup_printf("%s" HEAD "%s", c->pre ? c->pre : "", c->def, c->text) : strdup(c->text);
        CHECK(text, "%s: out of memory", c->name);
        if (!text)
                return;
        if (grubcfg_parse(text, strlen(text), &io, &cfg) < 0) {
                CHECK(false, "%s: parse failed", c->name);
                return;
        }
        e = grub_resolve_default(cfg.menu, grub_env_get(&cfg.env, "default"), &fallback);
        CHECK(e, "%s: nothing resolved", c->name);
        if (e) {
                CHECK(str_eq(e->title, c->title), "%s: title '%s', want '%s'", c->name, e->title, c->title);
                CHECK(str_eq(e->kernel, c->kernel), "%s: kernel '%s', want '%s'", c->name, e->kernel, c->kernel);
                CHECK(str_eq(e->args, c->args), "%s: args '%s', want '%s'", c->name, e->args, c->args);
        }
        CHECK(fallback == c->fallback, "%s: fallback %d, want %d", c->name, fallback, c->fallback);
        grubcfg_done(&cfg);
}

static void test_grub_flags(void)
{
        static const char text[] = "insmod blscfg\nblscfg\nserial --unit=0\nterminal_output serial\n"
                                   "menuentry x { initrd /a $v\n }\n";
        struct grubcfg_io io = { .root_fd = -1, .config_dir = "/boot/grub" };
        struct grub_cfg cfg;

        CHECK(grubcfg_parse(text, strlen(text), &io, &cfg) == 0, "flags: parse failed");
        CHECK(cfg.uses_blscfg && cfg.serial, "flags: blscfg %d serial %d", cfg.uses_blscfg, cfg.serial);
        CHECK(cfg.menu->n_children == 1 && cfg.menu->children[0]->n_initrd == 1 &&
                      !cfg.menu->children[0]->kernel,
              "flags: entry without linux");
        grubcfg_done(&cfg);
}

int main(void)
{
        for (size_t i = 0; i < ELEMENTSOF(grub_cases); i++)
                test_grub_case(&grub_cases[i]);
        test_grub_flags();
        return check_exit("test-grubcfg");
}
