/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "prepare.h"
#include "probe.h"
#include "spawn.h"

#define PREPARE_FILE_MAX (4u << 20)

/* prepare-plan.c: building a plan */
int plan_new(struct plan **ret);
/* Adds a file prepare writes; new_text NULL removes it. Reads its current bytes. */
int plan_edit(const struct prepare_ctx *ctx, struct plan *p, const char *path, const char *new_text);
/* Adds a file a command rewrites, saved before it runs. */
int plan_save(const struct prepare_ctx *ctx, struct plan *p, const char *path, enum plan_file_kind kind);
/*
 * Adds a symbolic link path -> target. Nothing is added when it is that link
 * already; -EEXIST when something else is there.
 */
int plan_link(const struct prepare_ctx *ctx, struct plan *p, const char *path, const char *target);
/* The target of the link at path: -ENOENT when absent, -EINVAL when not a link. */
int plan_readlink(const struct prepare_ctx *ctx, const char *path, char **ret);
int plan_mkdir(struct plan *p, const char *path);
/* Adds a command (to cmds, or to undo when undo is true); the argument list ends with NULL. */
int plan_cmd(struct plan *p, bool undo, const char *name, const char *path, ...) __attribute__((sentinel));
int plan_set_unsupported(struct plan *p, const char *summary, const char *manual);
/* The file's current bytes, NULL when absent. */
int plan_read(const struct prepare_ctx *ctx, const char *path, char **ret, size_t *ret_len, struct file_meta *ret_meta);

/* The kernel command line words prepare removes, and what it adds. */
bool prepare_word_dropped(const char *w);
/*
 * GRUB_CMDLINE_LINUX and _DEFAULT with the dropped words out, the console=
 * words of _DEFAULT moved to _LINUX, and console=hvc0 last in _LINUX: last
 * on both the normal and the recovery command line.
 */
int prepare_new_cmdlines(const char *linux_, const char *deflt, char **ret_linux, char **ret_default);
#define PREPARE_CONSOLE "console=hvc0"

/* The families; regen: the menu fails a check, so it is regenerated even where no setting changes. */
int prepare_plan_debian(const struct prepare_ctx *ctx, const struct facts *f, bool regen, struct plan *p);
int prepare_plan_fedora(const struct prepare_ctx *ctx, const struct facts *f, bool regen, struct plan *p);
int prepare_plan_manual(const struct facts *f, struct plan *p);

/*
 * prepare-cmd.c: finds a command inside the root (or in command_dir) and runs
 * it, in a process group of its own; it dies with us. started (optional) is
 * called with its pid, before it runs: < 0 keeps it from running.
 */
bool prepare_cmd_exists(const struct prepare_ctx *ctx, const char *name, const char *path);
int prepare_cmd_run(const struct prepare_ctx *ctx, const struct plan_cmd *c,
                    int (*started)(pid_t pid, void *userdata), void *userdata, struct textbuf *log);
void plan_cmd_render(const struct plan_cmd *c, struct textbuf *out);

/* prepare-tx.c: the transaction in the state directory. */
enum tx_state {
        TX_NONE,                  /* nothing prepared */
        TX_PREPARED,              /* a completed prepare */
        TX_INCOMPLETE,            /* a prepare that did not finish */
        TX_ROLLING_BACK,          /* a rollback that did not finish */
};

int tx_state(const struct prepare_ctx *ctx, enum tx_state *ret);
/* Cleans what a crash left (a half-written transaction, temporary files). */
int tx_clean(const struct prepare_ctx *ctx);
int tx_apply(const struct prepare_ctx *ctx, const struct plan *p, struct textbuf *log);
/* Restores everything; force skips the check that files are as prepare left them. */
int tx_rollback(const struct prepare_ctx *ctx, bool force, struct textbuf *log);
