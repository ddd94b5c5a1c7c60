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
 * Debian and Ubuntu: grub-mkconfig sources /etc/default/grub, then
 * /etc/default/grub.d/NAME.cfg in order. Prepare never edits the system's
 * own files: it writes one drop-in, sorted last, and regenerates grub.cfg.
 *
 * The drop-in holds literal values computed here from the effective
 * settings, each guarded by the value it was computed from:
 *
 *   if [ "$GRUB_CMDLINE_LINUX" = 'old' ] && [ "$GRUB_CMDLINE_LINUX_DEFAULT" = 'old' ]; then
 *           GRUB_CMDLINE_LINUX='new' ...
 *
 * Why literal rather than editing the variables with shell code at
 * grub-mkconfig time: the result is exactly what the dry-run diff shows, no
 * loop of ours runs as root inside every future update-grub, and there is no
 * word splitting or globbing of kernel arguments to get wrong. Why guarded:
 * when an administrator later changes the command line elsewhere, the guard
 * no longer matches and the drop-in does nothing, so their change is never
 * silently overridden (the console check then reports it again). And when
 * this evaluator misreads a file, the worst case is the same harmless no-op.
 */

#define DEFAULT_GRUB "/etc/default/grub"
#define GRUB_D "/etc/default/grub.d"
#define DROPIN_NAME PREPARE_DEBIAN_DROPIN
#define DROPIN GRUB_D "/" DROPIN_NAME
#define GRUB_CFG "/boot/grub/grub.cfg"
#define INITRAMFS_DIR "/etc/initramfs-tools"
#define INITRAMFS_MODULES INITRAMFS_DIR "/modules"

struct settings {
        const char *linux_, *deflt;               /* effective values, "" when unset */
        const char *term[3];                      /* GRUB_TERMINAL, _INPUT, _OUTPUT; NULL when unset */
        const char *serial;
};

static const char *const term_vars[3] = { "GRUB_TERMINAL", "GRUB_TERMINAL_INPUT", "GRUB_TERMINAL_OUTPUT" };

bool prepare_word_dropped(const char *w)
{
        return startswith(w, "console=ttyS") || streq(w, PREPARE_CONSOLE) || streq(w, "nopv") ||
               streq(w, "xen_nopv") || streq(w, "acpi=off") || streq(w, "earlyprintk=xen");
}

static void add_word(struct textbuf *b, const char *w, size_t n)
{
        if (b->len > 0)
                textbuf_puts(b, " ");
        textbuf_append(b, w, n);
}

/*
 * Splits a command line into what stays (keep) and its console= words that
 * must move before console=hvc0 (moved). Words prepare drops go nowhere.
 */
static void filter(const char *line, struct textbuf *keep, struct textbuf *moved)
{
        for (const char *p = line; *p;) {
                size_t n;
                char w[256];

                p += strspn(p, " \t");
                n = strcspn(p, " \t");
                if (n == 0)
                        break;
                snprintf(w, sizeof(w), "%.*s", (int)n, p);
                if (n >= sizeof(w) || !prepare_word_dropped(w))
                        add_word(moved && startswith(w, "console=") ? moved : keep, p, n);
                p += n;
        }
}

int prepare_new_cmdlines(const char *linux_, const char *deflt, char **ret_linux, char **ret_default)
{
        struct textbuf lin, def;

        textbuf_init(&lin, 8192);
        textbuf_init(&def, 8192);
        filter(linux_, &lin, NULL);
        filter(deflt, &def, &lin);
        add_word(&lin, PREPARE_CONSOLE, strlen(PREPARE_CONSOLE));
        if (lin.oom || def.oom || lin.omitted || def.omitted) {
                textbuf_done(&lin);
                textbuf_done(&def);
                return -ENOMEM;
        }
        *ret_linux = lin.data;
        *ret_default = def.data ? def.data : strdup("");
        return *ret_default ? 0 : -ENOMEM;
}

static void guard_assign(struct textbuf *b, const char *var, const char *old, const char *new)
{
        _cleanup_free_ char *qo = grubvars_quote(old), *qn = grubvars_quote(new);

        if (!qo || !qn) {
                b->oom = true;
                return;
        }
        textbuf_printf(b, "if [ \"$%s\" = %s ]; then\n\t%s=%s\nfi\n", var, qo, var, qn);
}

static bool is_serial(const char *v)
{
        return v && strstr(v, "serial");
}

static int dropin_text(const struct settings *s, char **ret)
{
        _cleanup_free_ char *nl = NULL, *nd = NULL, *qol = NULL, *qod = NULL, *qnl = NULL, *qnd = NULL;
        struct textbuf b;
        int r = prepare_new_cmdlines(s->linux_, s->deflt, &nl, &nd);
        bool any = false;

        if (r < 0)
                return r;
        textbuf_init(&b, 64u << 10);
        textbuf_puts(&b, "# Written by pvh-agent prepare for booting under Xen PVH; pvh-agent rollback\n"
                         "# removes it. Each setting changes only while it still holds the value it\n"
                         "# had when prepare ran, so a later change elsewhere takes precedence.\n");
        if (!streq(nl, s->linux_) || !streq(nd, s->deflt)) {
                qol = grubvars_quote(s->linux_), qod = grubvars_quote(s->deflt);
                qnl = grubvars_quote(nl), qnd = grubvars_quote(nd);
                if (!qol || !qod || !qnl || !qnd)
                        return -ENOMEM;
                textbuf_printf(&b,
                               "if [ \"$GRUB_CMDLINE_LINUX\" = %s ] && [ \"$GRUB_CMDLINE_LINUX_DEFAULT\" = %s ]; then\n"
                               "\tGRUB_CMDLINE_LINUX=%s\n\tGRUB_CMDLINE_LINUX_DEFAULT=%s\nfi\n",
                               qol, qod, qnl, qnd);
                any = true;
        }
        for (size_t i = 0; i < ELEMENTSOF(term_vars); i++)
                if (is_serial(s->term[i])) {
                        guard_assign(&b, term_vars[i], s->term[i], "console");
                        any = true;
                }
        if (s->serial && s->serial[0]) {
                guard_assign(&b, "GRUB_SERIAL_COMMAND", s->serial, "");
                any = true;
        }
        if ((r = textbuf_error(&b)) < 0 || !any) {
                textbuf_done(&b);
                *ret = NULL;
                return r;
        }
        *ret = b.data;
        return 0;
}

/* ---- reading the effective settings ---- */

static int eval_file(const struct prepare_ctx *ctx, struct grubvars *vars, const char *path)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = plan_read(ctx, path, &text, &len, NULL);

        if (r < 0 || !text)
                return r;
        if (memchr(text, '\0', len))
                return -EBADMSG;
        return grubvars_eval(vars, path, text);
}

/* Whether settings hold any variable the drop-in manages. */
static bool sets_managed(const struct grubvars *vars)
{
        static const char *const managed[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT",
                                               "GRUB_SERIAL_COMMAND" };

        for (size_t i = 0; i < ELEMENTSOF(managed); i++)
                if (grubvars_get(vars, managed[i]))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(term_vars); i++)
                if (grubvars_get(vars, term_vars[i]))
                        return true;
        return false;
}

/*
 * A file sourced after the drop-in takes the last word only if it sets one
 * of its variables: grub-common's own init-select.cfg, for one, is only a
 * comment, and sorts after "99-".
 */
static int check_later(const struct prepare_ctx *ctx, const char *path, const char *name, char **ret_after)
{
        _cleanup_(grubvars_done) struct grubvars later = {};
        int r;

        if (*ret_after || strcmp(name, DROPIN_NAME) < 0)
                return 0;
        r = eval_file(ctx, &later, path);
        if (r < 0)
                return r;
        if (sets_managed(&later) && !(*ret_after = strdup(name)))
                return -ENOMEM;
        return 0;
}

/* /etc/default/grub, then grub.d/NAME.cfg in the order the shell's glob gives, without our own. */
static int eval_all(const struct prepare_ctx *ctx, struct grubvars *vars, char **ret_after)
{
        _cleanup_strv_ char **names = NULL;
        size_t n = 0;
        int r = eval_file(ctx, vars, DEFAULT_GRUB);

        if (r < 0)
                return r;
        r = root_list_dir(ctx->root_fd, GRUB_D, &names, &n);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(names[i]);
                _cleanup_free_ char *path = NULL;

                if (len < 5 || !streq(names[i] + len - 4, ".cfg") || streq(names[i], DROPIN_NAME))
                        continue;
                if (!(path = strdup_printf("%s/%s", GRUB_D, names[i])))
                        return -ENOMEM;
                if ((r = check_later(ctx, path, names[i], ret_after)) < 0)
                        return r;
                if ((r = eval_file(ctx, vars, path)) < 0)
                        return r;
        }
        return 0;
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

static int manual_change(struct plan *p, const char *why)
{
        _cleanup_free_ char *m = strdup_printf(
                "%s\nChange it by hand: make console=hvc0 the last console= of GRUB_CMDLINE_LINUX (and no console= in "
                "GRUB_CMDLINE_LINUX_DEFAULT), remove console=ttyS*, nopv, xen_nopv, acpi=off and earlyprintk=xen from "
                "both, set GRUB_TERMINAL=console, then run update-grub.",
                why);

        return m ? plan_set_unsupported(p, why, m) : -ENOMEM;
}

static int read_settings(const struct prepare_ctx *ctx, struct grubvars *vars, struct settings *s, struct plan *p,
                         bool *ret_ok)
{
        _cleanup_free_ char *after = NULL, *why = NULL;
        const char *unknown = NULL;
        int r = eval_all(ctx, vars, &after);

        *ret_ok = false;
        if (r < 0)
                return r;
        s->linux_ = value_of(vars, "GRUB_CMDLINE_LINUX", "", &unknown);
        s->deflt = value_of(vars, "GRUB_CMDLINE_LINUX_DEFAULT", "", &unknown);
        for (size_t i = 0; i < ELEMENTSOF(term_vars); i++)
                s->term[i] = value_of(vars, term_vars[i], NULL, &unknown);
        s->serial = value_of(vars, "GRUB_SERIAL_COMMAND", NULL, &unknown);
        if (after)
                why = strdup_printf("%s/%s is sourced after %s, so the agent cannot have the last word.", GRUB_D, after,
                                    DROPIN);
        else if (unknown)
                why = strdup_printf("The GRUB settings at %s use shell code the agent does not evaluate.", unknown);
        else if (strpbrk(s->linux_, "\"'\\") || strpbrk(s->deflt, "\"'\\"))
                why = strdup("The kernel command line in /etc/default/grub holds quoted arguments.");
        else {
                *ret_ok = true;
                return 0;
        }
        return why ? manual_change(p, why) : -ENOMEM;
}

/* The drop-in (text NULL: none), and update-grub when it changes or when regen asks for it. */
static int plan_grub(const struct prepare_ctx *ctx, struct plan *p, const char *text, bool regen)
{
        bool update = prepare_cmd_exists(ctx, "update-grub", "/usr/sbin/update-grub");
        int r;

        if (text && !root_is_dir(ctx->root_fd, GRUB_D) && (r = plan_mkdir(p, GRUB_D)) < 0)
                return r;
        if ((r = plan_edit(ctx, p, DROPIN, text)) < 0 || (plan_is_empty(p) && !regen))
                return r;
        /*
         * grub-mkconfig writes grub.cfg.new, then renames it: one cut short
         * leaves it behind. Saved as an output too (mostly: absent), rollback
         * puts it back as it was when it restores the menu byte for byte.
         */
        if ((r = plan_save(ctx, p, GRUB_CFG, PLAN_OUTPUT)) < 0 ||
            (r = plan_save(ctx, p, GRUB_CFG ".new", PLAN_OUTPUT)) < 0)
                return r;
        for (int undo = 0; undo < 2; undo++) {
                r = update ? plan_cmd(p, undo, "update-grub", "/usr/sbin/update-grub", NULL)
                           : plan_cmd(p, undo, "grub-mkconfig", "/usr/sbin/grub-mkconfig", "-o", GRUB_CFG, NULL);
                if (r < 0)
                        return r;
        }
        /* Rollback puts the saved menu back instead, when it is still what update-grub wrote here. */
        p->undo[p->n_undo - 1].regen = true;
        return 0;
}

static bool lists_module(const char *text, const char *mod)
{
        size_t n = strlen(mod);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                l += strspn(l, " \t");
                if (strncmp(l, mod, n) == 0 && strchr(" \t\n", l[n]))
                        return true;
        }
        return false;
}

/* xen-blkfront as a module missing from the initramfs: list it, rebuild that kernel's initramfs. */
static int plan_initramfs(const struct prepare_ctx *ctx, const struct facts *f, struct plan *p)
{
        _cleanup_free_ char *text = NULL, *new = NULL;
        size_t len;
        int r;

        if (!facts_initramfs_fixable(f))
                return 0;
        r = plan_read(ctx, INITRAMFS_MODULES, &text, &len, NULL);
        if (r < 0 || (text && lists_module(text, "xen-blkfront")))
                return r;
        new = strdup_printf("%s%sxen-blkfront\n", text ? text : "", text && len && text[len - 1] != '\n' ? "\n" : "");
        if (!new)
                return -ENOMEM;
        /* A tree without the directory yet: initramfs-tools reads the file when it is there. */
        if (!text && !root_is_dir(ctx->root_fd, INITRAMFS_DIR) && (r = plan_mkdir(p, INITRAMFS_DIR)) < 0)
                return r;
        if ((r = plan_edit(ctx, p, INITRAMFS_MODULES, new)) < 0)
                return r;
        for (int undo = 0; undo < 2; undo++)
                if ((r = plan_cmd(p, undo, "update-initramfs", "/usr/sbin/update-initramfs", "-u", "-k",
                                  f->next_release, NULL)) < 0)
                        return r;
        return 0;
}

int prepare_plan_debian(const struct prepare_ctx *ctx, const struct facts *f, bool regen, struct plan *p)
{
        _cleanup_(grubvars_done) struct grubvars vars = {};
        _cleanup_free_ char *text = NULL;
        struct settings s = {};
        bool ok;
        int r = read_settings(ctx, &vars, &s, p, &ok);

        if (r < 0 || !ok)
                return r;
        if ((r = dropin_text(&s, &text)) < 0 || (r = plan_grub(ctx, p, text, regen)) < 0)
                return r;
        return plan_initramfs(ctx, f, p);
}
