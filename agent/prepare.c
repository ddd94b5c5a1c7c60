/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <fcntl.h>
#include <time.h>

#include "fileedit.h"
#include "macro.h"
#include "prepare-internal.h"
#include "probe.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

static int answer(struct prepare_answer *a, bool ok, const char *reason, const char *fmt, ...) _printf_(4, 5);
static int answer(struct prepare_answer *a, bool ok, const char *reason, const char *fmt, ...)
{
        va_list ap;
        int r;

        free(a->message);
        a->message = NULL;
        a->ok = ok;
        a->reason = ok ? NULL : reason;
        va_start(ap, fmt);
        r = vasprintf(&a->message, fmt, ap);
        va_end(ap);
        if (r < 0) {
                a->message = NULL;
                return -ENOMEM;
        }
        return textbuf_error(&a->output);
}

void prepare_answer_done(struct prepare_answer *a)
{
        free(a->message);
        textbuf_done(&a->output);
        *a = (struct prepare_answer){};
}

static void answer_init(struct prepare_answer *a)
{
        *a = (struct prepare_answer){};
        textbuf_init(&a->output, PREPARE_OUTPUT_MAX);
}

/* ---- facts and the verdict ---- */

static int gather(const struct prepare_ctx *ctx, struct facts *f, struct check_result res[static _PROTO_CHECK_MAX],
                  enum proto_verdict *ret_verdict)
{
        struct kcache *cache = NULL;
        int r = kcache_new(AT_FDCWD, NULL, &cache);

        if (r < 0)
                return r;
        r = probe_system(ctx->root_fd, ctx->host_root, cache, f, res, ret_verdict);
        kcache_free(cache);
        return r;
}

static int verdict_now(const struct prepare_ctx *ctx, enum proto_verdict *ret)
{
        struct check_result res[_PROTO_CHECK_MAX];
        struct facts f;
        int r = gather(ctx, &f, res, ret);

        if (r < 0)
                return r;
        checks_done(res);
        facts_done(&f);
        return 0;
}

/* ---- the manual change for systems prepare does not edit ---- */

static const char *const manual_nixos =
        "NixOS generates its boot menu: change configuration.nix instead of any file under /boot:\n"
        "  boot.kernelParams = [ \"console=hvc0\" ];  (last console=; drop console=ttyS*, nopv, xen_nopv,\n"
        "                                            acpi=off and earlyprintk=xen from it)\n"
        "  boot.loader.grub.extraConfig: no serial/terminal_* lines\n"
        "then run: nixos-rebuild boot\n";

int prepare_plan_manual(const struct facts *f, struct plan *p)
{
        if (f->family == OS_NIXOS)
                return plan_set_unsupported(p, "NixOS is declarative: the agent changes nothing", manual_nixos);
        if (f->nb.source == MENU_LEGACY)
                return plan_set_unsupported(p, "only a GRUB legacy menu (menu.lst) was found",
                                            "Install GRUB 2 (pvhgrub reads /boot/grub/grub.cfg only), then prepare "
                                            "again.\n");
        return plan_set_unsupported(
                p, "the agent does not know how to change this system's boot configuration",
                "Make console=hvc0 the last console= on the kernel command line of every boot entry, remove "
                "console=ttyS*, nopv, xen_nopv, acpi=off and earlyprintk=xen, set GRUB_TERMINAL=console, make sure "
                "/boot/grub/grub.cfg exists, and regenerate the boot menu.\n");
}

/*
 * Checks of the given status, with their reasons and fixes, as the manual
 * change of an unsupported plan: nothing is changed.
 */
static int plan_listing(const struct check_result res[static _PROTO_CHECK_MAX], enum check_status status,
                        const char *summary, struct plan *p)
{
        struct textbuf b;
        int r;

        textbuf_init(&b, PREPARE_OUTPUT_MAX);
        for (size_t i = 0; i < _PROTO_CHECK_MAX; i++)
                if (res[i].status == status)
                        textbuf_printf(&b, "%s: %s\n  fix: %s\n", proto_check_to_string(res[i].id), res[i].reason,
                                       res[i].fix ? res[i].fix : "-");
        r = textbuf_error(&b);
        if (r >= 0)
                r = plan_set_unsupported(p, summary, b.data ? b.data : "");
        textbuf_done(&b);
        return r;
}

/* The family's manual change, then every failing check with its own fix (the kernel, say, as well). */
static int plan_manual(const struct facts *f, const struct check_result res[static _PROTO_CHECK_MAX], struct plan *p)
{
        struct textbuf b;
        int r = prepare_plan_manual(f, p);

        if (r < 0)
                return r;
        textbuf_init(&b, PREPARE_OUTPUT_MAX);
        textbuf_puts(&b, p->manual ? p->manual : "");
        textbuf_puts(&b, "Failing checks:\n");
        for (size_t i = 0; i < _PROTO_CHECK_MAX; i++)
                if (res[i].status == CHECK_BLOCKED || res[i].status == CHECK_UNKNOWN || res[i].status == CHECK_FIXABLE)
                        textbuf_printf(&b, "%s: %s\n  fix: %s\n", proto_check_to_string(res[i].id), res[i].reason,
                                       res[i].fix ? res[i].fix : "-");
        r = textbuf_error(&b);
        if (r >= 0)
                r = free_and_strdup(&p->manual, b.data ? b.data : "");
        textbuf_done(&b);
        return r < 0 ? r : 0;
}

static bool fixable(const struct check_result res[static _PROTO_CHECK_MAX], enum proto_check id)
{
        return res[id].status == CHECK_FIXABLE;
}

/*
 * Prepare acts on the verdict, the same for every family:
 *   ready    nothing to change (the next boot is ready), whatever the family
 *   blocked  nothing changed; the checks that need a human, and their fixes
 *   unknown  nothing changed; the checks that could not tell, and what to do
 *   fixable  the family's planner makes the changes
 * Where no planner exists (NixOS, GRUB legacy, families prepare does not
 * know) the checker says blocked rather than fixable (facts_prepare_family),
 * and the answer is the manual change.
 */
static int plan_for(const struct prepare_ctx *ctx, const struct facts *f,
                    const struct check_result res[static _PROTO_CHECK_MAX], enum proto_verdict v, struct plan *p)
{
        enum prepare_family fam = facts_prepare_family(f);
        /* The menu's command line or terminal fails: it must be regenerated even where the settings are right. */
        bool regen = fixable(res, PROTO_CHECK_CONSOLE) || fixable(res, PROTO_CHECK_KERNEL_PARAMS) ||
                     fixable(res, PROTO_CHECK_GRUB_TERMINAL);
        int r;

        if (v == PROTO_VERDICT_READY)
                return 0;
        if (fam == PREPARE_MANUAL)
                return plan_manual(f, res, p);
        if (v == PROTO_VERDICT_BLOCKED)
                return plan_listing(res, CHECK_BLOCKED, "checks fail that prepare cannot fix", p);
        if (v == PROTO_VERDICT_UNKNOWN)
                return plan_listing(res, CHECK_UNKNOWN, "checks could not tell whether the next boot works under PVH", p);
        r = fam == PREPARE_DEBIAN ? prepare_plan_debian(ctx, f, regen, p) : prepare_plan_fedora(ctx, f, regen, p);
        if (r < 0 || p->unsupported || !plan_is_empty(p))
                return r;
        /* Fixable, yet the planner finds nothing to change: never pass that off as done. */
        return plan_listing(res, CHECK_FIXABLE, "prepare found nothing to change that fixes these checks", p);
}

int prepare_plan(const struct prepare_ctx *ctx, struct plan **ret)
{
        struct check_result res[_PROTO_CHECK_MAX];
        struct plan *p = NULL;
        struct facts f;
        enum proto_verdict v;
        int r = gather(ctx, &f, res, &v);

        if (r < 0)
                return r;
        r = plan_new(&p);
        if (r >= 0)
                r = plan_for(ctx, &f, res, v, p);
        checks_done(res);
        facts_done(&f);
        if (r < 0) {
                plan_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

/* ---- the entry points ---- */

static const char *why(int r)
{
        if (r == -ESTALE)
                return "a file changed while it ran";
        if (r == -EIO)
                return "a command failed";
        return strerror(-r);
}

static int run_plan(const struct prepare_ctx *ctx, const struct plan *p, struct prepare_answer *a)
{
        enum proto_verdict v;
        int r;

        r = plan_render(p, &a->output);
        if (r < 0)
                return r;
        r = tx_apply(ctx, p, &a->output);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                int k = tx_rollback(ctx, true, &a->output);
                if (k == -EIO)
                        return answer(a, false, "error",
                                      "prepare failed (%s); files were restored, regenerating failed, the saved boot "
                                      "menu was put back",
                                      why(r));
                if (k < 0 && k != -ENOENT)
                        return answer(a, false, "error", "prepare failed (%s), and so did undoing it (%s)", why(r),
                                      strerror(-k));
                return answer(a, false, "error", "prepare failed (%s); every change was undone", why(r));
        }
        r = verdict_now(ctx, &v);
        if (r < 0)
                return answer(a, true, NULL, "prepared; checking again failed: %s", strerror(-r));
        return answer(a, true, NULL, "prepared; verdict %s", proto_verdict_to_string(v));
}

int prepare_run(const struct prepare_ctx *ctx, bool dry_run, struct prepare_answer *ret)
{
        struct prepare_answer a;
        struct plan *p = NULL;
        enum tx_state st = TX_NONE;
        int r;

        answer_init(&a);
        if (!dry_run) {
                struct prepare_answer rec;

                if ((r = prepare_recover(ctx, &rec)) < 0)
                        goto out;
                if (rec.message)
                        textbuf_printf(&a.output, "%s\n", rec.message);
                prepare_answer_done(&rec);
        }
        if ((r = tx_state(ctx, &st)) < 0 || (r = prepare_plan(ctx, &p)) < 0) {
                /* A FIFO, a device or a socket where prepare reads a file (rootfs.h): refused, not a fault. */
                if (r == -ENXIO)
                        r = answer(&a, false, "error", "a file prepare would change is %s; nothing was changed",
                                   root_strerror(r));
                goto out;
        }
        if (p->unsupported) {
                r = plan_render(p, &a.output);
                if (r >= 0)
                        r = answer(&a, false, "unsupported", "%s; nothing was changed", p->summary);
        } else if (plan_is_empty(p))
                r = answer(&a, true, NULL, "%s", st == TX_PREPARED ? "already prepared; nothing to change"
                                                                   : "nothing to change");
        else if (dry_run) {
                r = plan_render(p, &a.output);
                if (r >= 0)
                        r = answer(&a, true, NULL, "dry run: nothing was changed");
        } else if (st == TX_PREPARED)
                r = answer(&a, false, "error",
                           "a previous prepare is in place and the configuration changed since: roll it back first");
        else
                r = run_plan(ctx, p, &a);
out:
        plan_free(p);
        if (r < 0) {
                prepare_answer_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

static int rollback(const struct prepare_ctx *ctx, bool force, struct prepare_answer *ret)
{
        struct prepare_answer a;
        int r;

        answer_init(&a);
        r = tx_rollback(ctx, force, &a.output);
        if (r == -ENOENT)
                r = answer(&a, false, "error", "nothing to roll back");
        else if (r == -EBUSY)
                r = answer(&a, false, "error", "files changed since prepare; nothing was rolled back");
        else if (r == -EIO)
                r = answer(&a, false, "error", "files restored, but regenerating failed: the saved boot menu was put back");
        else if (r == -ETIME)
                r = answer(&a, false, "error",
                           "a command of the last change does not die; nothing was rolled back");
        else if (r < 0 && r != -ENOMEM)
                r = answer(&a, false, "error", "rollback failed: %s", strerror(-r));
        else if (r >= 0)
                r = answer(&a, true, NULL, "rolled back");
        if (r < 0) {
                prepare_answer_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

int prepare_rollback(const struct prepare_ctx *ctx, struct prepare_answer *ret)
{
        return rollback(ctx, false, ret);
}

int prepare_rollback_force(const struct prepare_ctx *ctx, struct prepare_answer *ret)
{
        return rollback(ctx, true, ret);
}

/*
 * At start-up: a prepare without its "done" record is undone, a rollback
 * that did not finish is finished. Either way the system ends as it was
 * before prepare. The answer is ok, without a message, when there was
 * nothing to do; otherwise it fails with reason "interrupted" and says which.
 */
int prepare_recover(const struct prepare_ctx *ctx, struct prepare_answer *ret)
{
        struct prepare_answer a;
        enum tx_state st;
        int r;

        answer_init(&a);
        if ((r = tx_clean(ctx)) < 0 || (r = tx_state(ctx, &st)) < 0)
                goto out;
        if (st == TX_NONE || st == TX_PREPARED) {
                a.ok = true;
                *ret = a;
                return 0;
        }
        r = tx_rollback(ctx, true, &a.output);
        if (r == -ENOMEM)
                goto out;
        r = answer(&a, false, "interrupted", "%s%s",
                   st == TX_INCOMPLETE ? "an interrupted prepare was undone" : "an interrupted rollback was finished",
                   r < 0 ? r == -EIO ? " (regenerating failed: the saved boot menu was put back)" : "; it failed"
                         : "");
out:
        if (r < 0) {
                prepare_answer_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

int prepare_state_dir(int root_fd, const char *dir)
{
        int fd, r;

        if (dir) {
                if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                        return -errno;
                fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                return fd < 0 ? -errno : fd;
        }
        /* In the guest's tree: made and opened inside it, and never through a symlink of its own. */
        r = fileedit_mkdir_p(root_fd, PREPARE_STATE_DIR, 0700);
        if (r < 0)
                return r;
        return root_open(root_fd, PREPARE_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

/* Waits (up to wait_usec) for the lock another process holds. */
static int lock_state(int fd, uint64_t wait_usec)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + wait_usec;
        struct timespec pause = { 0, 50 * 1000 * 1000 };

        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return -errno;
                if (now_usec(CLOCK_MONOTONIC) >= deadline)
                        return -EBUSY;
                nanosleep(&pause, NULL);
        }
        return 0;
}

int prepare_state_open(int root_fd, const char *dir)
{
        return prepare_state_open_wait(root_fd, dir, 0);
}

int prepare_state_open_wait(int root_fd, const char *dir, uint64_t wait_usec)
{
        int fd = prepare_state_dir(root_fd, dir), r;

        if (fd < 0)
                return fd;
        /* One prepare or rollback at a time per state directory. */
        if ((r = lock_state(fd, wait_usec)) < 0) {
                close(fd);
                return r;
        }
        return fd;
}
