/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "prepare-internal.h"
#include "probe.h"
#include "rootfs.h"
#include "strv.h"
#include "textbuf.h"
#include "util.h"

/*
 * Fedora, RHEL and their rebuilds. Xen builds of GRUB have no blscfg, and
 * pvhgrub reads only /boot/grub/grub.cfg. So:
 *
 *   /etc/default/grub    GRUB_ENABLE_BLSCFG=false, console=hvc0 last in
 *                        GRUB_CMDLINE_LINUX (what grub2-mkconfig and new
 *                        kernels get), no serial terminal. There is no
 *                        grub.d here: the assignments are edited in place.
 *   grubby --update-kernel=ALL --args=console=hvc0 --remove-args=...
 *                        where a BLS entry's command line needs it; grubby
 *                        rewrites the entries (and, on RHEL 8, kernelopts
 *                        in grubenv). All of them are saved first.
 *   grub2-mkconfig -o /boot/grub2/grub.cfg
 *                        with blscfg off, it writes one menuentry per BLS
 *                        entry, with its options, which pvhgrub can run.
 *   /boot/grub/grub.cfg -> ../grub2/grub.cfg
 *   /boot/grub/grubenv  -> ../grub2/grubenv
 *
 * Why links rather than a small /boot/grub/grub.cfg that loads the real
 * one: the menu stays the one file grub2-mkconfig and grubby keep up to
 * date (a copy would go stale at the next kernel update); a relative link
 * resolves inside the file system that holds /boot, whether /boot is its own
 * partition (then pvhgrub finds it as /grub/grub.cfg) or not; GRUB's file
 * system drivers follow links; and a config file that loads another needs
 * the device and path of the real one, which differ between those two
 * layouts. grubenv gets a link too because the generated menu reads
 * ${config_directory}/grubenv, and under pvhgrub config_directory is
 * /boot/grub: without it, saved_entry (the chosen kernel) and RHEL 8's
 * $kernelopts (the whole command line of every entry) would be empty.
 *
 * Rollback puts every one of these files back byte for byte, the menu
 * grub2-mkconfig wrote included: nothing is regenerated, so the system is
 * exactly as before, blscfg and all.
 */

#define DEFAULT_GRUB "/etc/default/grub"
#define ENTRIES "/boot/loader/entries"
#define GRUB2_CFG "/boot/grub2/grub.cfg"
#define GRUB2_ENV "/boot/grub2/grubenv"
#define GRUB_DIR "/boot/grub"
#define GRUB_CFG "/boot/grub/grub.cfg"
#define GRUB_ENV "/boot/grub/grubenv"
#define GRUBBY "/usr/sbin/grubby"
#define MKCONFIG "/usr/sbin/grub2-mkconfig"
#define FILE_MAX (256u << 10)

static bool is_conf(const char *name)
{
        size_t n = strlen(name);

        return n > 5 && streq(name + n - 5, ".conf");
}

static const char *const term_vars[3] = { "GRUB_TERMINAL", "GRUB_TERMINAL_INPUT", "GRUB_TERMINAL_OUTPUT" };

static int manual(struct plan *p, const char *why)
{
        _cleanup_free_ char *m = strdup_printf(
                "%s\nChange it by hand: in /etc/default/grub set GRUB_ENABLE_BLSCFG=false and GRUB_TERMINAL=console, "
                "make console=hvc0 the last console= of GRUB_CMDLINE_LINUX and remove console=ttyS*, nopv, xen_nopv, "
                "acpi=off and earlyprintk=xen; run grubby --update-kernel=ALL --args=console=hvc0 "
                "--remove-args=\"...\" with those words; grub2-mkconfig -o /boot/grub2/grub.cfg; then "
                "ln -s ../grub2/grub.cfg /boot/grub/grub.cfg and ln -s ../grub2/grubenv /boot/grub/grubenv.",
                why);

        return m ? plan_set_unsupported(p, why, m) : -ENOMEM;
}

/* ---- /etc/default/grub, edited in place ---- */

struct assign {
        const char *name;
        char *value;              /* the new value */
        unsigned line;            /* of its last assignment; 0: none, append */
};

static unsigned line_of(const struct grubvar *g)
{
        const char *colon = g ? strrchr(g->where, ':') : NULL;

        return colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
}

/* Values go between double quotes: nothing in them may mean something there. */
static bool plain(const char *v)
{
        return !strpbrk(v, "\"$`\\\n");
}

static int add_assign(struct assign *a, size_t *n, const struct grubvars *vars, const char *name, const char *value)
{
        if (!plain(value))
                return -EINVAL;
        a[*n] = (struct assign){ .name = name, .value = strdup(value), .line = line_of(grubvars_get(vars, name)) };
        if (!a[*n].value)
                return -ENOMEM;
        (*n)++;
        return 0;
}

/* The text with each assignment's line replaced (keeping "export "), or appended when it had none. */
static char *apply_assigns(const char *text, const struct assign *a, size_t n)
{
        struct textbuf b;
        unsigned lineno = 0;

        textbuf_init(&b, FILE_MAX);
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
                bool done = false;

                lineno++;
                for (size_t i = 0; i < n && !done; i++)
                        if (a[i].line == lineno) {
                                const char *s = l + strspn(l, " \t");
                                textbuf_printf(&b, "%s%s=\"%s\"\n", startswith(s, "export ") ? "export " : "",
                                               a[i].name, a[i].value);
                                done = true;
                        }
                if (!done)
                        textbuf_append(&b, l, len);
                if (!done && !nl)
                        textbuf_puts(&b, "\n");
                l = nl ? nl + 1 : NULL;
        }
        for (size_t i = 0; i < n; i++)
                if (a[i].line == 0)
                        textbuf_printf(&b, "%s=\"%s\"\n", a[i].name, a[i].value);
        if (b.oom || b.omitted) {
                textbuf_done(&b);
                return NULL;
        }
        return b.data ? b.data : strdup("");
}

static const char *value_of(const struct grubvars *vars, const char *name, const char *unset, const char **unknown)
{
        const struct grubvar *g = grubvars_get(vars, name);

        if (!g)
                return unset;
        if (!g->value && !*unknown)
                *unknown = g->where;
        return g->value ? g->value : unset;
}

/* The assignments /etc/default/grub needs; *ret_why when it cannot be edited safely. */
static int plan_assigns(const struct facts *f, const struct grubvars *vars, struct assign *a, size_t *n,
                        char **ret_why)
{
        _cleanup_free_ char *nl = NULL, *nd = NULL;
        const char *unknown = NULL, *lin, *def, *term[3], *serial, *bls;
        int r;

        lin = value_of(vars, "GRUB_CMDLINE_LINUX", "", &unknown);
        def = value_of(vars, "GRUB_CMDLINE_LINUX_DEFAULT", "", &unknown);
        for (size_t i = 0; i < ELEMENTSOF(term_vars); i++)
                term[i] = value_of(vars, term_vars[i], NULL, &unknown);
        serial = value_of(vars, "GRUB_SERIAL_COMMAND", NULL, &unknown);
        bls = value_of(vars, "GRUB_ENABLE_BLSCFG", NULL, &unknown);
        if (unknown) {
                *ret_why = strdup_printf("The GRUB settings at %s use shell code the agent does not evaluate.", unknown);
                return *ret_why ? 0 : -ENOMEM;
        }
        if ((r = prepare_new_cmdlines(lin, def, &nl, &nd)) < 0)
                return r;
        r = 0;
        if (!streq(nl, lin))
                r = add_assign(a, n, vars, "GRUB_CMDLINE_LINUX", nl);
        if (r >= 0 && !streq(nd, def))
                r = add_assign(a, n, vars, "GRUB_CMDLINE_LINUX_DEFAULT", nd);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(term_vars); i++)
                if (term[i] && strstr(term[i], "serial"))
                        r = add_assign(a, n, vars, term_vars[i], "console");
        if (r >= 0 && serial && serial[0])
                r = add_assign(a, n, vars, "GRUB_SERIAL_COMMAND", "");
        if (r >= 0 && (bls ? !streq(bls, "false") : f->nb.has_bls || f->nb.uses_blscfg))
                r = add_assign(a, n, vars, "GRUB_ENABLE_BLSCFG", "false");
        if (r == -EINVAL) {
                *ret_why = strdup("The kernel command line in /etc/default/grub holds quotes, $ or backslashes.");
                return *ret_why ? 0 : -ENOMEM;
        }
        return r;
}

static int plan_default_grub(const struct prepare_ctx *ctx, const struct facts *f, struct plan *p, bool *ret_ok)
{
        _cleanup_(grubvars_done) struct grubvars vars = {};
        _cleanup_free_ char *text = NULL, *new = NULL, *why = NULL;
        struct assign a[8];
        size_t len, n = 0;
        int r = plan_read(ctx, DEFAULT_GRUB, &text, &len, NULL);

        *ret_ok = false;
        if (r < 0)
                return r;
        if (!text)
                return manual(p, "There is no /etc/default/grub.");
        if (memchr(text, '\0', len))
                return manual(p, "/etc/default/grub is not a text file.");
        if ((r = grubvars_eval(&vars, DEFAULT_GRUB, text)) < 0 || (r = plan_assigns(f, &vars, a, &n, &why)) < 0)
                goto out;
        if (why) {
                r = manual(p, why);
                goto out;
        }
        *ret_ok = true;
        if (n == 0)
                goto out;
        new = apply_assigns(text, a, n);
        r = new ? plan_edit(ctx, p, DEFAULT_GRUB, new) : -ENOMEM;
out:
        for (size_t i = 0; i < n; i++)
                free(a[i].value);
        return r;
}

/* ---- BLS entries, through grubby ---- */

/* grubby-bls puts each word into a sed expression: only plain words are handed to it. */
static bool word_plain(const char *w, size_t n)
{
        return n > 0 && n < 128 &&
               strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789=,._:-") >= n;
}

/* Whether a command line needs grubby, and the words it must remove (added to rm, once each). */
static int scan_args(const char *args, struct textbuf *rm, bool *needs, bool *odd)
{
        char last[128] = "";

        for (const char *s = args; *s;) {
                size_t n;
                char w[128];

                s += strspn(s, " \t");
                n = strcspn(s, " \t");
                if (n == 0)
                        break;
                snprintf(w, sizeof(w), "%.*s", (int)n, s);
                if (startswith(w, "console="))
                        snprintf(last, sizeof(last), "%s", w);
                if (n < sizeof(w) && prepare_word_dropped(w) && !streq(w, PREPARE_CONSOLE)) {
                        *needs = true;
                        if (!word_plain(s, n))
                                *odd = true;
                        else if (!rm->data || !cmdline_has_word(rm->data, w)) {
                                textbuf_puts(rm, rm->len ? " " : "");
                                textbuf_append(rm, s, n);
                        }
                }
                s += n;
        }
        if (!streq(last, PREPARE_CONSOLE))
                *needs = true;
        return textbuf_error(rm);
}

static int read_env(const struct prepare_ctx *ctx, struct grub_env *env)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = plan_read(ctx, GRUB2_ENV, &text, &len, NULL);

        return r < 0 || !text ? r : grub_env_parse(env, text, len);
}

/* Every entry's command line as GRUB would expand it; grubby when one needs changing. */
static int plan_entries(const struct prepare_ctx *ctx, struct plan *p, bool *ret_ok)
{
        _cleanup_strv_ char **names = NULL;
        struct grub_env env = {};
        struct textbuf rm;
        bool needs = false, odd = false;
        size_t n = 0;
        int r;

        *ret_ok = false;
        r = root_list_dir(ctx->root_fd, ENTRIES, &names, &n);
        if (r == -ENOENT || (r >= 0 && n == 0)) {
                *ret_ok = true;
                return 0;
        }
        if (r < 0 || (r = read_env(ctx, &env)) < 0)
                return r;
        textbuf_init(&rm, 4096);
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *path = strdup_printf(ENTRIES "/%s", names[i]), *text = NULL, *args = NULL;
                struct boot_entry *e = NULL;
                size_t len;

                if (!path)
                        r = -ENOMEM;
                else if (!is_conf(names[i]) || (r = plan_read(ctx, path, &text, &len, NULL)) < 0 || !text)
                        continue;
                else if ((r = bls_parse_entry(text, len, names[i], &e)) >= 0) {
                        args = bls_expand(e->args ? e->args : "", &env);
                        r = args ? scan_args(args, &rm, &needs, &odd) : -ENOMEM;
                        boot_entry_free(e);
                }
        }
        for (size_t i = 0; r >= 0 && needs && i < n; i++) {
                _cleanup_free_ char *path = strdup_printf(ENTRIES "/%s", names[i]);

                if (!path)
                        r = -ENOMEM;
                else if (is_conf(names[i]))
                        r = plan_save(ctx, p, path, PLAN_KEEP);
        }
        grub_env_done(&env);
        if (r >= 0 && odd)
                r = manual(p, "A boot entry's command line holds a console= word the agent does not pass to grubby.");
        else if (r >= 0 && needs && !prepare_cmd_exists(ctx, "grubby", GRUBBY))
                r = manual(p, "The boot entries need changing and grubby is not installed.");
        else if (r >= 0 && needs) {
                _cleanup_free_ char *ra = rm.len ? strdup_printf("--remove-args=%s", rm.data) : NULL;
                r = rm.len && !ra ? -ENOMEM
                                  : plan_cmd(p, false, "grubby", GRUBBY, "--update-kernel=ALL",
                                             "--args=" PREPARE_CONSOLE, ra, NULL);
                *ret_ok = r >= 0;
        } else
                *ret_ok = r >= 0;
        textbuf_done(&rm);
        return r;
}

/* ---- the links pvhgrub needs ---- */

static int plan_links(const struct prepare_ctx *ctx, struct plan *p, bool *ret_ok)
{
        bool env = root_is_reg(ctx->root_fd, GRUB2_ENV);
        int r;

        *ret_ok = false;
        if (!root_is_dir(ctx->root_fd, GRUB_DIR) && (r = plan_mkdir(p, GRUB_DIR)) < 0)
                return r;
        r = plan_link(ctx, p, GRUB_CFG, "../grub2/grub.cfg");
        if (r == -EEXIST)
                return manual(p, "/boot/grub/grub.cfg exists and is not a link to ../grub2/grub.cfg.");
        if (r >= 0 && env)
                r = plan_link(ctx, p, GRUB_ENV, "../grub2/grubenv");
        if (r == -EEXIST)
                return manual(p, "/boot/grub/grubenv exists and is not a link to ../grub2/grubenv.");
        *ret_ok = r >= 0;
        return r;
}

int prepare_plan_fedora(const struct prepare_ctx *ctx, const struct facts *f, bool regen, struct plan *p)
{
        bool ok;
        int r;

        if (!root_is_reg(ctx->root_fd, GRUB2_CFG) && !f->nb.has_bls)
                return manual(p, "There is neither /boot/grub2/grub.cfg nor a BLS entry.");
        if (!prepare_cmd_exists(ctx, "grub2-mkconfig", MKCONFIG))
                return manual(p, "grub2-mkconfig is not installed.");
        if ((r = plan_default_grub(ctx, f, p, &ok)) < 0 || !ok || (r = plan_entries(ctx, p, &ok)) < 0 || !ok)
                return r;
        /*
         * The menu is regenerated when a setting or an entry changes, or when
         * it fails a check (regen); the links alone need nothing run.
         */
        if (p->n_files > 0 || p->n_cmds > 0 || regen) {
                if ((r = plan_save(ctx, p, GRUB2_CFG, PLAN_KEEP)) < 0 || (r = plan_save(ctx, p, GRUB2_ENV, PLAN_KEEP)) < 0 ||
                    (r = plan_cmd(p, false, "grub2-mkconfig", MKCONFIG, "-o", GRUB2_CFG, NULL)) < 0)
                        return r;
        }
        return plan_links(ctx, p, &ok);
}
