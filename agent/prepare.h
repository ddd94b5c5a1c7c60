/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fileedit.h"
#include "textbuf.h"

/*
 * prepare and rollback: the boot configuration changes that make the next
 * boot work under PVH, made crash-safe through a transaction in the state
 * directory (see prepare-tx.c for its layout and the recovery rules).
 *
 * The daemon and the CLI call the same three entry points:
 *   prepare_run()      plan, then apply (or only show, with dry_run)
 *   prepare_rollback() restore every file the last prepare changed
 *   prepare_recover()  at start-up: undo a prepare or finish a rollback a
 *                      crash interrupted
 * Each fills a prepare_answer; they return < 0 only when the answer itself
 * could not be made (out of memory).
 */

#define PREPARE_STATE_DIR "/var/lib/pvh-agent"  /* inside the root, by default */
#define PREPARE_OUTPUT_MAX (16u << 10)    /* what an answer carries (PROTOCOL.md) */
#define PREPARE_TIMEOUT_USEC (300ull * 1000000)

struct prepare_ctx {
        int root_fd;              /* the system to change */
        bool host_root;           /* root_fd is "/": commands run as they are, else chrooted */
        int state_fd;             /* the state directory: originals and the journal */
        const char *command_dir;  /* tests only: run command NAME as command_dir/NAME on this host */
        uint64_t timeout_usec;    /* per command; 0 means PREPARE_TIMEOUT_USEC */
};

/*
 * The command directory the tests give in PVH_AGENT_COMMAND_DIR; NULL when
 * unset, and always in builds without --enable-fault-injection.
 */
const char *prepare_test_command_dir(void);

struct prepare_answer {
        bool ok;
        const char *reason;       /* when !ok: a protocol reason, "unsupported", "error" or "interrupted" */
        char *message;            /* one line */
        struct textbuf output;    /* diffs, commands and their output; bounded */
};

/*
 * The state directory, created when missing: dir (a path of the operator's),
 * or PREPARE_STATE_DIR inside the root when dir is NULL, made through fds
 * resolved inside the root (shared/rootfs.h) and refused when it is itself
 * a symlink.
 */
int prepare_state_dir(int root_fd, const char *dir);
/* The state directory, locked: one prepare or rollback at a time, whoever asks. -EBUSY when locked. */
int prepare_state_open(int root_fd, const char *dir);
/* The same, waiting up to wait_usec for another holder of the lock to let go. */
int prepare_state_open_wait(int root_fd, const char *dir, uint64_t wait_usec);
/*
 * How long recovery waits for another holder of the state directory: what
 * is left of a process that died (a command's child killed with it but not
 * yet gone, a worker still in an fsync), or a prepare run by hand.
 */
#define PREPARE_RECOVER_WAIT_USEC (60ull * 1000000)

int prepare_run(const struct prepare_ctx *ctx, bool dry_run, struct prepare_answer *ret);
int prepare_rollback(const struct prepare_ctx *ctx, struct prepare_answer *ret);
/* Also restores files changed after prepare (their later changes are lost). */
int prepare_rollback_force(const struct prepare_ctx *ctx, struct prepare_answer *ret);
int prepare_recover(const struct prepare_ctx *ctx, struct prepare_answer *ret);
void prepare_answer_done(struct prepare_answer *a);

/* ---- the plan: what prepare would change; used by the steps above and by tests ---- */

enum plan_file_kind {
        PLAN_EDIT,                /* prepare writes it (new == NULL: removes it) */
        PLAN_KEEP,                /* a command rewrites it: saved, and restored by rollback */
        PLAN_OUTPUT,              /* a command regenerates it: saved; rollback restores it byte for byte
                                   * unless something else rewrote it since, and regenerates it then */
        PLAN_LINK,                /* prepare makes it a symbolic link (new: the target) where nothing was */
};

struct plan_file {
        enum plan_file_kind kind;
        char *path;               /* absolute inside the root */
        bool existed;
        char *old;                /* its bytes now (existed) */
        size_t old_len;
        struct file_meta meta;    /* its metadata now, or the new file's */
        char *new;                /* PLAN_EDIT: the bytes to write; PLAN_LINK: the link's target */
        size_t new_len;
};

struct plan_cmd {
        char *name;               /* update-grub, grub-mkconfig, grub2-mkconfig, grubby, update-initramfs */
        char **argv;              /* argv[0] is the absolute path inside the root */
        bool regen;               /* undo only: regenerates the PLAN_OUTPUT files; rollback skips it when it
                                   * puts them back byte for byte (see prepare-tx.c) */
};

struct plan {
        struct plan_file *files;
        size_t n_files;
        char **mkdirs;            /* directories prepare creates, parents first */
        size_t n_mkdirs;
        struct plan_cmd *cmds;    /* run after the edits */
        size_t n_cmds;
        struct plan_cmd *undo;    /* run by rollback after the restore */
        size_t n_undo;
        bool unsupported;         /* nothing can be changed here: manual says what to do */
        char *manual;
        char *summary;            /* one line */
};

int prepare_plan(const struct prepare_ctx *ctx, struct plan **ret);
void plan_free(struct plan *p);
/* The dry-run text: a unified diff per file, then the commands. */
int plan_render(const struct plan *p, struct textbuf *out);
/* true when applying would change nothing. */
bool plan_is_empty(const struct plan *p);
