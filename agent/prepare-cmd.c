/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "prepare-internal.h"
#include "rootfs.h"
#include "spawn.h"
#include "strv.h"
#include "util.h"

#define CMD_OUTPUT_MAX (8u << 10)

/*
 * Commands are named, and their paths fixed by the planner (inside the
 * root). For tests, command_dir replaces the path by command_dir/NAME on
 * this host: a stand-in that records its argv, or a wrapper running the real
 * grub-mkconfig against a fixture tree.
 */
const char *prepare_test_command_dir(void)
{
#ifdef ENABLE_FAULT_INJECTION
        const char *d = getenv("PVH_AGENT_COMMAND_DIR");

        if (d && *d)
                return d;
#endif
        return NULL;
}

static char *host_path(const struct prepare_ctx *ctx, const char *name)
{
        return strdup_printf("%s/%s", ctx->command_dir, name);
}

bool prepare_cmd_exists(const struct prepare_ctx *ctx, const char *name, const char *path)
{
        struct stat st;

        if (ctx->command_dir) {
                _cleanup_free_ char *p = host_path(ctx, name);
                return p && access(p, X_OK) == 0;
        }
        return root_stat(ctx->root_fd, path, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* Shell-style quoting for display only: nothing here is ever given to a shell. */
static void render_arg(struct textbuf *out, const char *a)
{
        if (a[0] && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._,:=+-") == strlen(a)) {
                textbuf_puts(out, a);
                return;
        }
        textbuf_puts(out, "'");
        for (const char *p = a; *p; p++)
                *p == '\'' ? textbuf_puts(out, "'\\''") : textbuf_append(out, p, 1);
        textbuf_puts(out, "'");
}

void plan_cmd_render(const struct plan_cmd *c, struct textbuf *out)
{
        for (size_t i = 0; c->argv[i]; i++) {
                if (i > 0)
                        textbuf_puts(out, " ");
                render_arg(out, c->argv[i]);
        }
        textbuf_puts(out, "\n");
}

static int build_env(const struct prepare_ctx *ctx, const char *name, char ***ret)
{
        _cleanup_strv_ char **env = NULL;
        size_t n = 0;
        int r;

        if ((r = strv_push_dup(&env, &n, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")) < 0 ||
            (r = strv_push_dup(&env, &n, "LC_ALL=C")) < 0)
                return r;
        /* A stand-in learns which command it replaces and the tree it works on. */
        if (ctx->command_dir) {
                char self[64];
                snprintf(self, sizeof(self), "/proc/self/fd/%d", ctx->root_fd);
                _cleanup_free_ char *root = realpath(self, NULL);
                if (!root)
                        return -errno;
                if ((r = strv_push(&env, &n, strdup_printf("PVH_AGENT_ROOT=%s", root))) < 0 ||
                    (r = strv_push(&env, &n, strdup_printf("PVH_AGENT_COMMAND=%s", name))) < 0)
                        return r;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

int prepare_cmd_run(const struct prepare_ctx *ctx, const struct plan_cmd *c,
                    int (*started)(pid_t pid, void *userdata), void *userdata, struct textbuf *log)
{
        _cleanup_free_ char *path = ctx->command_dir ? host_path(ctx, c->name) : strdup(c->argv[0]);
        _cleanup_strv_ char **env = NULL;
        struct spawn_result res;
        struct spawn_cmd sc;
        int r;

        if (!path)
                return -ENOMEM;
        r = build_env(ctx, c->name, &env);
        if (r < 0)
                return r;
        sc = (struct spawn_cmd){
                .path = path,
                .argv = c->argv,
                .envp = env,
                .root_fd = ctx->command_dir || ctx->host_root ? -1 : ctx->root_fd,
                .timeout_usec = ctx->timeout_usec ? ctx->timeout_usec : PREPARE_TIMEOUT_USEC,
                .output_max = CMD_OUTPUT_MAX,
                /* Not a moment longer than the prepare or rollback it belongs to. */
                .die_with_parent = true,
                .started = started,
                .userdata = userdata,
        };
        textbuf_puts(log, "$ ");
        plan_cmd_render(c, log);
        r = spawn_run(&sc, &res);
        if (r < 0) {
                textbuf_printf(log, "could not start %s: %s\n", c->name, strerror(-r));
                return r;
        }
        textbuf_append(log, res.output, res.output_len);
        if (res.output_len > 0 && res.output[res.output_len - 1] != '\n')
                textbuf_puts(log, "\n");
        if (res.omitted)
                textbuf_printf(log, "[%zu more bytes of output]\n", res.omitted);
        if (res.timed_out)
                textbuf_printf(log, "%s timed out and was killed\n", c->name);
        else if (res.status != 0)
                textbuf_printf(log, "%s exited with status %d\n", c->name, res.status);
        r = res.status == 0 && !res.timed_out ? 0 : -EIO;
        spawn_result_done(&res);
        return r;
}
