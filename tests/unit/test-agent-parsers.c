/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table-driven tests of the agent's parsers: grub.cfg, BLS, menu.lst, cpio, command lines. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bls.h"
#include "cpio.h"
#include "grubcfg.h"
#include "menulst.h"
#include "strv.h"
#include "util.h"

static int failures;

#define CHECK(cond, ...)                                                     \
        do {                                                                 \
                if (!(cond)) {                                               \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
                        fprintf(stderr, __VA_ARGS__);                        \
                        fputc('\n', stderr);                                 \
                        failures++;                                          \
                }                                                            \
        } while (0)

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

/* A newc archive built here: its names, fed whole and a byte at a time. */
static size_t newc_entry(char *out, const char *name, const char *data)
{
        size_t n = (size_t)sprintf(out, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", 1u, 0100644u,
                                   0u, 0u, 1u, 0u, strlen(data), 0u, 0u, 0u, 0u, strlen(name) + 1, 0u);

        n += (size_t)sprintf(out + n, "%s", name) + 1;
        while (n % 4)
                out[n++] = '\0';
        n += (size_t)sprintf(out + n, "%s", data);
        while (n % 4)
                out[n++] = '\0';
        return n;
}

struct names {
        char seen[512];
};

static int collect(const char *name, void *userdata)
{
        struct names *n = userdata;

        snprintf(n->seen + strlen(n->seen), sizeof(n->seen) - strlen(n->seen), "%s;", name);
        return 0;
}

static void test_cpio(void)
{
        static char archive[4096];
        size_t len = 0;
        struct cpio_stream s;
        struct names whole = {}, bytes = {};
        int r = 0;

        len += newc_entry(archive + len, "kernel/x86/microcode/GenuineIntel.bin", "abc");
        len += newc_entry(archive + len, "TRAILER!!!", "");
        len += 512; /* zero padding between archives */
        len += newc_entry(archive + len, "usr/lib/modules/6.1/kernel/drivers/block/xen-blkfront.ko.xz", "12345");
        len += newc_entry(archive + len, "init", "#!/bin/sh\n");
        len += newc_entry(archive + len, "TRAILER!!!", "");
        CHECK(initramfs_walk((const uint8_t *)archive, len, collect, &whole) == 0, "cpio: walk failed");
        CHECK(streq(whole.seen, "kernel/x86/microcode/GenuineIntel.bin;usr/lib/modules/6.1/kernel/drivers/block/"
                                "xen-blkfront.ko.xz;init;"),
              "cpio: names '%s'", whole.seen);
        cpio_stream_init(&s, collect, &bytes);
        for (size_t i = 0; i < len && (r == 0 || r == 2); i++)
                r = cpio_feed(&s, (const uint8_t *)archive + i, 1, NULL);
        CHECK(streq(whole.seen, bytes.seen), "cpio: byte-wise names '%s'", bytes.seen);
        archive[len - 20] = 'Z';
        archive[6] = 'Z';
        CHECK(initramfs_walk((const uint8_t *)archive, len, collect, &whole) < 0, "cpio: a bad header is an error");
}

int main(void)
{
        for (size_t i = 0; i < ELEMENTSOF(grub_cases); i++)
                test_grub_case(&grub_cases[i]);
        test_grub_flags();
        test_bls();
        test_menulst();
        test_cmdline();
        test_cpio();
        if (failures)
                fprintf(stderr, "%d failure(s)\n", failures);
        return failures ? 1 : 0;
}
