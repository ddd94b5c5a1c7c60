/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashpoint.h"
#include "fileedit.h"
#include "macro.h"
#include "prepare-internal.h"
#include "strv.h"
#include "util.h"

/*
 * The transaction in the state directory:
 *
 *   tx.new/    being written; nothing on the system has changed yet
 *   tx/        committed (renamed from tx.new): the system may be changing
 *     manifest   what prepare changes: directories, files (with the original
 *                metadata), the commands to run after, and those to run on rollback
 *     orig/N     the original bytes of file N, when it existed
 *     new/N      the bytes prepare writes into file N
 *     after/N    the bytes of output file N (a menu a command regenerates) as
 *                prepare's commands left it, written after each command (after/N.none:
 *                they left no file)
 *     journal    one line per step, each fsync'd: "applied N", "started NAME PGID
 *                START BOOT_ID" (a command about to run: its process group, the
 *                leader's start time, the boot), "ran NAME STATUS", "done" (prepare
 *                complete), "rollback" (rollback started), "restored N"
 *     reserve    space held for undoing: freed when a rollback starts
 *   tx.old/    a finished rollback, being removed
 *
 * Intent is durable before any change: tx/ exists, with the originals,
 * before the first file of the system is touched. Every file change is an
 * atomic rename, so each file holds its original or its new bytes, never a
 * mix. Recovery therefore never needs to know where a crash struck: without
 * "done" it puts every file back to its original bytes (a file already
 * original is left alone); with "rollback" it does the same again, which is
 * idempotent. An output file (grub.cfg) is put back byte for byte as well,
 * and its command not run, unless something other than prepare's commands
 * rewrote it (see outputs_ours); a command prepare never started is not run
 * on the way back either: nothing is regenerated that prepare did not touch.
 *
 * A command runs in a process group of its own and dies with us, but what it
 * started may not (grub-mkconfig's scripts, say): such leftovers would write
 * the menu after recovery put it back. So the group is in the journal before
 * the command runs, and a rollback first kills every group the journal
 * names and waits until none of it runs.
 */

#define MANIFEST_MAX (1u << 20)
#define JOURNAL_RESERVE (64u << 10)

/*
 * A full file system must not stop an undo: the journal's blocks are
 * allocated when the transaction is made (appending "rollback" then needs
 * none), and a reserve file holds as much again as every original, freed
 * just before the originals are written back. Both are taken before the
 * commit, so running out of space there fails prepare before any change.
 */

static int journal_append(int tx_fd, const char *fmt, ...) _printf_(2, 3);
static int journal_append(int tx_fd, const char *fmt, ...)
{
        _cleanup_close_ int fd = openat(tx_fd, "journal", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        _cleanup_free_ char *line = NULL;
        va_list ap;
        int r;

        if (fd < 0)
                return -errno;
        va_start(ap, fmt);
        r = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if ((r = write_all(fd, line, strlen(line))) < 0)
                return r;
        if (fdatasync(fd) < 0)
                return -errno;
        crashpoint();
        return 0;
}

/* ---- the manifest: one record per line, fields escaped as %XX where needed ---- */

static void put_escaped(FILE *f, const char *s)
{
        for (; *s; s++)
                if (*s <= ' ' || *s == '%' || (unsigned char)*s >= 0x7f)
                        fprintf(f, "%%%02X", (unsigned char)*s);
                else
                        fputc(*s, f);
}

static char *unescape(const char *s, size_t n)
{
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%' && i + 2 < n + 0 + 1 && isxdigit((unsigned char)s[i + 1]) &&
                    isxdigit((unsigned char)s[i + 2])) {
                        char hex[3] = { s[i + 1], s[i + 2], 0 };
                        *o++ = (char)strtoul(hex, NULL, 16);
                        i += 2;
                } else
                        *o++ = s[i];
        }
        *o = '\0';
        return out;
}

static const char *kind_name(enum plan_file_kind k)
{
        switch (k) {
        case PLAN_EDIT:
                return "edit";
        case PLAN_KEEP:
                return "keep";
        case PLAN_OUTPUT:
                return "output";
        case PLAN_LINK:
                return "link";
        }
        return "?";
}

static void put_cmds(FILE *f, const char *tag, const struct plan_cmd *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s ", c[i].regen ? "regen" : tag);
                put_escaped(f, c[i].name);
                for (size_t k = 0; c[i].argv[k]; k++) {
                        fputc(' ', f);
                        put_escaped(f, c[i].argv[k]);
                }
                fputc('\n', f);
        }
}

static int manifest_text(const struct plan *p, char **ret, size_t *ret_len)
{
        FILE *f = open_memstream(ret, ret_len);

        if (!f)
                return -ENOMEM;
        fputs("pvh-agent-tx 1\n", f);
        for (size_t i = 0; i < p->n_mkdirs; i++) {
                fputs("mkdir ", f);
                put_escaped(f, p->mkdirs[i]);
                fputc('\n', f);
        }
        for (size_t i = 0; i < p->n_files; i++) {
                const struct plan_file *x = &p->files[i];
                fprintf(f, "file %zu %s %d %d %o %u %u %" PRId64 " %ld %" PRId64 " %ld ", i, kind_name(x->kind),
                        x->existed, (x->kind == PLAN_EDIT || x->kind == PLAN_LINK) && x->new != NULL, (unsigned)x->meta.mode,
                        (unsigned)x->meta.uid, (unsigned)x->meta.gid, (int64_t)x->meta.atime.tv_sec,
                        x->meta.atime.tv_nsec, (int64_t)x->meta.mtime.tv_sec, x->meta.mtime.tv_nsec);
                put_escaped(f, x->path);
                fputc('\n', f);
        }
        put_cmds(f, "run", p->cmds, p->n_cmds);
        put_cmds(f, "undo", p->undo, p->n_undo);
        return fclose(f) == 0 ? 0 : -ENOMEM;
}

static int read_at(int dir_fd, const char *name, char **ret, size_t *ret_len)
{
        return fileedit_read(dir_fd, name, PREPARE_FILE_MAX, ret, ret_len, NULL);
}

/* ---- the journal ---- */

#define JOURNAL_GROUPS_MAX 64
#define GROUP_KILL_USEC (10ull * 1000000)

struct journal {
        bool done, rollback;
        bool in_flight;                                  /* a command of prepare started, never ended */
        struct spawn_group groups[JOURNAL_GROUPS_MAX];   /* of the commands that started */
        char names[JOURNAL_GROUPS_MAX][32];
        bool by_prepare[JOURNAL_GROUPS_MAX];             /* started before "rollback" */
        size_t n_groups;
};

static void journal_started(const char *line, struct journal *j)
{
        struct spawn_group g = {};
        char name[32];
        int pgid;

        if (!j->rollback)
                j->in_flight = true;
        if (j->n_groups == JOURNAL_GROUPS_MAX ||
            sscanf(line, "started %31s %d %" SCNu64 " %36s", name, &pgid, &g.start, g.boot_id) != 4)
                return;
        g.pgid = pgid;
        memcpy(j->names[j->n_groups], name, sizeof(name));
        j->by_prepare[j->n_groups] = !j->rollback;
        j->groups[j->n_groups++] = g;
}

static bool started_by_prepare(const struct journal *j, const char *name)
{
        for (size_t i = 0; i < j->n_groups; i++)
                if (j->by_prepare[i] && streq(j->names[i], name))
                        return true;
        return false;
}

static int journal_load(int tx_fd, struct journal *ret)
{
        _cleanup_free_ char *text = NULL;
        char *line, *save = NULL;
        int r = read_at(tx_fd, "journal", &text, NULL);

        *ret = (struct journal){};
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (streq(line, "done"))
                        ret->done = true;
                else if (streq(line, "rollback"))
                        ret->rollback = true;
                else if (startswith(line, "started "))
                        journal_started(line, ret);
                else if (startswith(line, "ran ") && !ret->rollback)
                        ret->in_flight = false;
        }
        return 0;
}

/* What the commands of this transaction left running goes first, wholly, before any restore. */
static int stop_leftovers(const struct journal *j, struct textbuf *log)
{
        for (size_t i = 0; i < j->n_groups; i++) {
                int r = spawn_group_kill(&j->groups[i], GROUP_KILL_USEC);

                if (r == -ETIME) {
                        textbuf_printf(log, "%s left processes that do not die (process group %d): "
                                       "nothing was restored\n",
                                       j->names[i], (int)j->groups[i].pgid);
                        return r;
                }
                if (r > 0)
                        textbuf_printf(log, "stopped %d process(es) %s left running (process group %d)\n",
                                       r, j->names[i], (int)j->groups[i].pgid);
        }
        return 0;
}

static int parse_kind(const char *s, enum plan_file_kind *ret)
{
        if (streq(s, "edit"))
                *ret = PLAN_EDIT;
        else if (streq(s, "keep"))
                *ret = PLAN_KEEP;
        else if (streq(s, "output"))
                *ret = PLAN_OUTPUT;
        else if (streq(s, "link"))
                *ret = PLAN_LINK;
        else
                return -EBADMSG;
        return 0;
}

static int load_file(int tx_fd, const char *line, struct plan *p)
{
        struct plan_file f = {};
        unsigned idx, mode, uid, gid;
        int existed, has_new, off = 0;
        int64_t as, ms;
        long ans, mns;
        char kind[16], name[32];
        int r;

        if (sscanf(line, "file %u %15s %d %d %o %u %u %" SCNd64 " %ld %" SCNd64 " %ld %n", &idx, kind, &existed,
                   &has_new, &mode, &uid, &gid, &as, &ans, &ms, &mns, &off) != 11 || off == 0 ||
            idx != p->n_files || parse_kind(kind, &f.kind) < 0)
                return -EBADMSG;
        f.existed = existed;
        f.meta = (struct file_meta){ .mode = mode & 07777, .uid = uid, .gid = gid, .atime = { as, ans },
                                     .mtime = { ms, mns }, .has_times = existed };
        f.path = unescape(line + off, strlen(line + off));
        if (!f.path)
                return -ENOMEM;
        snprintf(name, sizeof(name), "orig/%u", idx);
        r = existed ? read_at(tx_fd, name, &f.old, &f.old_len) : 0;
        snprintf(name, sizeof(name), "new/%u", idx);
        if (r >= 0 && has_new)
                r = read_at(tx_fd, name, &f.new, &f.new_len);
        if (r >= 0) {
                struct plan_file *nv = realloc(p->files, (p->n_files + 1) * sizeof(*nv));
                if (nv) {
                        p->files = nv;
                        p->files[p->n_files++] = f;
                        return 0;
                }
                r = -ENOMEM;
        }
        free(f.path);
        free(f.old);
        free(f.new);
        return r;
}

static int load_cmd(const char *line, bool undo, bool regen, struct plan *p)
{
        _cleanup_strv_ char **w = NULL;
        size_t n = 0;
        int r = 0;

        for (const char *s = strchr(line, ' '); s && r >= 0;) {
                size_t len;
                s++;
                len = strcspn(s, " ");
                r = strv_push(&w, &n, unescape(s, len));
                s = s[len] ? s + len : NULL;
        }
        if (r < 0)
                return r;
        if (n < 2)
                return -EBADMSG;
        struct plan_cmd *v = undo ? p->undo : p->cmds, *nv;
        size_t *cnt = undo ? &p->n_undo : &p->n_cmds;
        nv = realloc(v, (*cnt + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        nv[*cnt].name = w[0];
        nv[*cnt].regen = regen;
        memmove(w, w + 1, n * sizeof(char *));
        nv[(*cnt)++].argv = TAKE_PTR(w);
        if (undo)
                p->undo = nv;
        else
                p->cmds = nv;
        return 0;
}

static int load_line(int tx_fd, char *line, struct plan *p)
{
        if (startswith(line, "file "))
                return load_file(tx_fd, line, p);
        if (startswith(line, "run "))
                return load_cmd(line, false, false, p);
        if (startswith(line, "undo "))
                return load_cmd(line, true, false, p);
        if (startswith(line, "regen "))
                return load_cmd(line, true, true, p);
        if (startswith(line, "mkdir "))
                return strv_push(&p->mkdirs, &p->n_mkdirs, unescape(line + 6, strlen(line + 6)));
        return -EBADMSG;
}

static int manifest_load(int tx_fd, struct plan **ret)
{
        _cleanup_free_ char *text = NULL;
        struct plan *p = NULL;
        char *line, *save = NULL;
        int r = read_at(tx_fd, "manifest", &text, NULL);

        if (r < 0)
                return r;
        if (!startswith(text, "pvh-agent-tx 1\n"))
                return -EBADMSG;
        if ((r = plan_new(&p)) < 0)
                return r;
        for (line = strtok_r(text + 15, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save))
                r = load_line(tx_fd, line, p);
        if (r < 0) {
                plan_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

/* ---- state ---- */

int tx_clean(const struct prepare_ctx *ctx)
{
        int r = fileedit_rm_rf(ctx->state_fd, "tx.new");

        return r < 0 ? r : fileedit_rm_rf(ctx->state_fd, "tx.old");
}

int tx_state(const struct prepare_ctx *ctx, enum tx_state *ret)
{
        _cleanup_close_ int tx_fd = openat(ctx->state_fd, "tx", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct journal j;
        int r;

        if (tx_fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = TX_NONE;
                return 0;
        }
        if ((r = journal_load(tx_fd, &j)) < 0)
                return r;
        *ret = j.rollback ? TX_ROLLING_BACK : j.done ? TX_PREPARED : TX_INCOMPLETE;
        return 0;
}

/* ---- apply ---- */

static int write_in(int dir_fd, const char *name, const void *data, size_t len)
{
        struct file_meta m = { .mode = 0600 };

        return fileedit_replace(dir_fd, name, data, len, &m);
}

/* The file must still be what the plan read: otherwise the saved original would be wrong. */
static int check_unchanged(const struct prepare_ctx *ctx, const struct plan_file *f)
{
        _cleanup_free_ char *now = NULL;
        size_t len;
        int r;

        if (f->kind == PLAN_LINK) {
                /* A link is made only where nothing was. */
                r = plan_readlink(ctx, f->path, &now);
                return r == -ENOENT ? 0 : r >= 0 || r == -EINVAL ? -ESTALE : r;
        }
        r = plan_read(ctx, f->path, &now, &len, NULL);

        if (r < 0)
                return r;
        if (!now != !f->existed || (now && (len != f->old_len || memcmp(now, f->old, len) != 0)))
                return -ESTALE;
        return 0;
}

static int write_saved(const struct prepare_ctx *ctx, int tx_fd, const struct plan *p)
{
        _cleanup_close_ int orig = -1, new = -1;
        int r;

        if (mkdirat(tx_fd, "orig", 0700) < 0 || mkdirat(tx_fd, "new", 0700) < 0)
                return -errno;
        orig = openat(tx_fd, "orig", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        new = openat(tx_fd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (orig < 0 || new < 0)
                return -errno;
        for (size_t i = 0; i < p->n_files; i++) {
                const struct plan_file *f = &p->files[i];
                char name[32];

                snprintf(name, sizeof(name), "%zu", i);
                if ((r = check_unchanged(ctx, f)) < 0)
                        return r;
                if (f->existed && (r = write_in(orig, name, f->old, f->old_len)) < 0)
                        return r;
                if ((f->kind == PLAN_EDIT || f->kind == PLAN_LINK) && f->new &&
                    (r = write_in(new, name, f->new, f->new_len)) < 0)
                        return r;
        }
        return 0;
}

static int allocate(int dir_fd, const char *name, off_t size, bool keep_size)
{
        _cleanup_close_ int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r = 0;

        if (fd < 0)
                return -errno;
        if (fallocate(fd, keep_size ? FALLOC_FL_KEEP_SIZE : 0, 0, size) < 0) {
                if (errno != EOPNOTSUPP)
                        return -errno;
                /* No fallocate here: the journal goes without, the reserve is written out. */
                if (!keep_size) {
                        _cleanup_free_ char *zero = calloc(1, (size_t)size);
                        r = zero ? write_all(fd, zero, (size_t)size) : -ENOMEM;
                }
        }
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        return r;
}

static off_t reserve_size(const struct plan *p)
{
        off_t size = 4096;

        for (size_t i = 0; i < p->n_files; i++)
                if (p->files[i].existed)
                        size += ((off_t)p->files[i].old_len + 4095) / 4096 * 4096;
        return size;
}

static int tx_create(const struct prepare_ctx *ctx, const struct plan *p)
{
        _cleanup_free_ char *m = NULL;
        _cleanup_close_ int tx_fd = -1;
        size_t mlen;
        int r;

        if (mkdirat(ctx->state_fd, "tx.new", 0700) < 0)
                return -errno;
        tx_fd = openat(ctx->state_fd, "tx.new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tx_fd < 0)
                return -errno;
        if ((r = write_saved(ctx, tx_fd, p)) < 0 || (r = manifest_text(p, &m, &mlen)) < 0 ||
            (r = write_in(tx_fd, "manifest", m, mlen)) < 0 || (r = write_in(tx_fd, "journal", "", 0)) < 0 ||
            (r = allocate(tx_fd, "journal", JOURNAL_RESERVE, true)) < 0 ||
            (r = allocate(tx_fd, "reserve", reserve_size(p), false)) < 0)
                return r;
        if (fsync(tx_fd) < 0)
                return -errno;
        /* The commit point of intent: from here on, recovery knows every original. */
        if (renameat(ctx->state_fd, "tx.new", ctx->state_fd, "tx") < 0)
                return -errno;
        r = fileedit_fsync_dir(ctx->state_fd);
        crashpoint();
        return r;
}

static int make_dirs(const struct prepare_ctx *ctx, const struct plan *p)
{
        for (size_t i = 0; i < p->n_mkdirs; i++) {
                int r = fileedit_mkdir_p(ctx->root_fd, p->mkdirs[i], 0755);
                if (r < 0)
                        return r;
                crashpoint();
        }
        return 0;
}

static int put_file(const struct prepare_ctx *ctx, const struct plan_file *f, const char *data, size_t len,
                    bool exists, const struct file_meta *meta)
{
        _cleanup_close_ int dir_fd = -1;
        const char *base;
        int r;

        dir_fd = fileedit_open_parent(ctx->root_fd, f->path, &base);
        if (dir_fd < 0)
                return dir_fd == -ENOENT && !exists ? 0 : dir_fd;
        r = fileedit_clean(dir_fd, base);
        if (r < 0)
                return r;
        return exists ? fileedit_replace(dir_fd, base, data, len, meta) : fileedit_remove(dir_fd, base);
}

static int put_link(const struct prepare_ctx *ctx, const struct plan_file *f)
{
        _cleanup_close_ int dir_fd = -1;
        const char *base;
        int r;

        dir_fd = fileedit_open_parent(ctx->root_fd, f->path, &base);
        if (dir_fd < 0)
                return dir_fd;
        r = fileedit_clean(dir_fd, base);
        return r < 0 ? r : fileedit_symlink(dir_fd, base, f->new);
}

static int edit_files(const struct prepare_ctx *ctx, int tx_fd, const struct plan *p)
{
        for (size_t i = 0; i < p->n_files; i++) {
                const struct plan_file *f = &p->files[i];
                int r;

                if (f->kind != PLAN_EDIT && f->kind != PLAN_LINK)
                        continue;
                r = f->kind == PLAN_LINK ? put_link(ctx, f)
                                         : put_file(ctx, f, f->new, f->new_len, f->new != NULL, &f->meta);
                if (r < 0 || (r = journal_append(tx_fd, "applied %zu\n", i)) < 0)
                        return r;
        }
        return 0;
}

struct started {
        int tx_fd;
        const char *name;
};

/* The command's process group, durably in the journal before the command runs. */
static int on_started(pid_t pid, void *userdata)
{
        const struct started *s = userdata;
        struct spawn_group g;
        int r = spawn_group_of(pid, &g);

        if (r < 0)
                return r;
        return journal_append(s->tx_fd, "started %s %d %" PRIu64 " %s\n", s->name, (int)g.pgid,
                              g.start, g.boot_id);
}

/* One output as the commands left it: after/N, or after/N.none for no file. */
static int save_output(const struct prepare_ctx *ctx, int dir_fd, const struct plan_file *f, size_t i)
{
        _cleanup_free_ char *now = NULL;
        char name[32], none[40];
        size_t len;
        int r;

        snprintf(name, sizeof(name), "%zu", i);
        snprintf(none, sizeof(none), "%zu.none", i);
        if ((r = plan_read(ctx, f->path, &now, &len, NULL)) < 0)
                return r;
        r = now ? write_in(dir_fd, name, now, len) : write_in(dir_fd, none, "", 0);
        if (r >= 0 && unlinkat(dir_fd, now ? none : name, 0) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

/* What the commands made of each output file, so that rollback can tell whether anything changed it since. */
static int save_outputs(const struct prepare_ctx *ctx, int tx_fd, const struct plan *p)
{
        _cleanup_close_ int dir_fd = -1;
        int r;

        if (mkdirat(tx_fd, "after", 0700) < 0 && errno != EEXIST)
                return -errno;
        dir_fd = openat(tx_fd, "after", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        for (size_t i = 0; i < p->n_files; i++)
                if (p->files[i].kind == PLAN_OUTPUT && (r = save_output(ctx, dir_fd, &p->files[i], i)) < 0)
                        return r;
        if (fsync(dir_fd) < 0)
                return -errno;
        return 0;
}

static int run_cmd(const struct prepare_ctx *ctx, int tx_fd, const struct plan_cmd *c, struct textbuf *log)
{
        struct started s = { .tx_fd = tx_fd, .name = c->name };

        return prepare_cmd_run(ctx, c, on_started, &s, log);
}

/*
 * Prepare's commands, one after the other until one fails. What each left
 * in the output files is saved before its "ran": a crash leaves no output
 * that neither the journal nor after/ accounts for.
 */
static int apply_cmds(const struct prepare_ctx *ctx, int tx_fd, const struct plan *p, struct textbuf *log)
{
        for (size_t i = 0; i < p->n_cmds; i++) {
                int r = run_cmd(ctx, tx_fd, &p->cmds[i], log), k;

                if ((k = save_outputs(ctx, tx_fd, p)) < 0 ||
                    (k = journal_append(tx_fd, "ran %s %s\n", p->cmds[i].name, r < 0 ? "failed" : "ok")) < 0)
                        return k;
                if (r < 0)
                        return r;
        }
        return 0;
}

int tx_apply(const struct prepare_ctx *ctx, const struct plan *p, struct textbuf *log)
{
        _cleanup_close_ int tx_fd = -1;
        int r;

        if ((r = tx_clean(ctx)) < 0)
                return r;
        r = tx_create(ctx, p);
        if (r < 0) {
                fileedit_rm_rf(ctx->state_fd, "tx.new");
                return r;
        }
        tx_fd = openat(ctx->state_fd, "tx", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tx_fd < 0)
                return -errno;
        if ((r = make_dirs(ctx, p)) < 0 || (r = edit_files(ctx, tx_fd, p)) < 0 ||
            (r = apply_cmds(ctx, tx_fd, p, log)) < 0)
                return r;
        return journal_append(tx_fd, "done\n");
}

/* ---- rollback ---- */

static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
        return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Each file prepare wrote must hold its new or its original bytes: anything else was changed since. */
static int check_files(const struct prepare_ctx *ctx, const struct plan *p, struct textbuf *log)
{
        int bad = 0;

        for (size_t i = 0; i < p->n_files; i++) {
                const struct plan_file *f = &p->files[i];
                _cleanup_free_ char *now = NULL;
                size_t len;
                int r;

                if (f->kind == PLAN_LINK) {
                        r = plan_readlink(ctx, f->path, &now);
                        if (r == -ENOENT || (r >= 0 && streq(now, f->new)))
                                continue;
                        if (r < 0 && r != -EINVAL)
                                return r;
                        textbuf_printf(log, "%s was changed after prepare; not rolling back (--force restores it "
                                       "anyway)\n", f->path);
                        bad++;
                        continue;
                }
                if (f->kind != PLAN_EDIT)
                        continue;
                r = plan_read(ctx, f->path, &now, &len, NULL);
                if (r < 0)
                        return r;
                if ((!now && (!f->new || !f->existed)) || (now && f->new && same_bytes(now, len, f->new, f->new_len)) ||
                    (now && f->existed && same_bytes(now, len, f->old, f->old_len)))
                        continue;
                textbuf_printf(log, "%s was changed after prepare; not rolling back (--force restores it anyway)\n",
                               f->path);
                bad++;
        }
        return bad ? -EBUSY : 0;
}

static int restore_file(const struct prepare_ctx *ctx, const struct plan_file *f)
{
        _cleanup_free_ char *now = NULL;
        struct file_meta m;
        size_t len;
        int r;

        if (f->kind == PLAN_LINK) {
                /* Unless forced, check_files made sure it is still our link. */
                r = plan_readlink(ctx, f->path, &now);
                if (r == -ENOENT)
                        return 0;
                return r < 0 && r != -EINVAL ? r : put_file(ctx, f, NULL, 0, false, NULL);
        }
        r = plan_read(ctx, f->path, &now, &len, &m);

        if (r < 0)
                return r;
        if (!f->existed)
                return now ? put_file(ctx, f, NULL, 0, false, NULL) : 0;
        if (now && same_bytes(now, len, f->old, f->old_len) && m.mode == f->meta.mode && m.uid == f->meta.uid &&
            m.gid == f->meta.gid)
                return 0;
        return put_file(ctx, f, f->old, f->old_len, true, &f->meta);
}

/* A crash between writing a temporary file and renaming it leaves the temporary file. */
static int clean_temp(const struct prepare_ctx *ctx, const struct plan_file *f)
{
        _cleanup_close_ int dir_fd = -1;
        const char *base;

        dir_fd = fileedit_open_parent(ctx->root_fd, f->path, &base);
        if (dir_fd < 0)
                return dir_fd == -ENOENT ? 0 : dir_fd;
        return fileedit_clean(dir_fd, base);
}

static int restore_files(const struct prepare_ctx *ctx, int tx_fd, const struct plan *p, bool outputs)
{
        for (size_t i = p->n_files; i-- > 0;) {
                const struct plan_file *f = &p->files[i];
                int r;

                if ((f->kind == PLAN_OUTPUT) != outputs)
                        continue;
                r = clean_temp(ctx, f);
                if (r >= 0)
                        r = restore_file(ctx, f);
                if (r < 0 || (r = journal_append(tx_fd, "restored %zu\n", i)) < 0)
                        return r;
        }
        return 0;
}

/* Directories prepare made go again, when empty (anything else in them is not ours). */
static void remove_dirs(const struct prepare_ctx *ctx, const struct plan *p, struct textbuf *log)
{
        for (size_t i = p->n_mkdirs; i-- > 0;) {
                _cleanup_close_ int dir_fd = -1;
                const char *base;
                int r;

                dir_fd = fileedit_open_parent(ctx->root_fd, p->mkdirs[i], &base);
                r = dir_fd < 0 ? dir_fd : fileedit_rmdir(dir_fd, base);
                if (r < 0 && r != -ENOENT)
                        textbuf_printf(log, "left %s in place: %s\n", p->mkdirs[i], strerror(-r));
                crashpoint();
        }
}

static int finish(const struct prepare_ctx *ctx)
{
        int r;

        if (renameat(ctx->state_fd, "tx", ctx->state_fd, "tx.old") < 0)
                return -errno;
        if ((r = fileedit_fsync_dir(ctx->state_fd)) < 0)
                return r;
        crashpoint();
        return fileedit_rm_rf(ctx->state_fd, "tx.old");
}

/* Whether output i holds its original, or what prepare's commands left in it (after/). */
static int output_ours(const struct prepare_ctx *ctx, int tx_fd, const struct plan_file *f, size_t i,
                       bool *ret)
{
        _cleanup_free_ char *after = NULL, *now = NULL;
        size_t alen, len;
        char name[40];
        int r = plan_read(ctx, f->path, &now, &len, NULL);

        if (r < 0)
                return r;
        if (!now) {
                snprintf(name, sizeof(name), "after/%zu.none", i);
                *ret = !f->existed || faccessat(tx_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
                return 0;
        }
        snprintf(name, sizeof(name), "after/%zu", i);
        r = read_at(tx_fd, name, &after, &alen);
        if (r < 0 && r != -ENOENT)
                return r;
        *ret = (f->existed && same_bytes(now, len, f->old, f->old_len)) ||
               (after && same_bytes(now, len, after, alen));
        return 0;
}

/*
 * Whether every output file holds its original bytes (prepare had not
 * regenerated it yet, or a rollback that a crash stopped had put it back),
 * or what prepare's commands left in it (after/N), or whatever a command of
 * prepare still running at the crash left (it was ours, and is killed).
 * Then rollback restores the outputs byte for byte and skips the commands
 * that would regenerate them: the menu is exactly the one before prepare,
 * hand edits and entries of its own included. Only when something else
 * rewrote a menu since (a kernel update) is it regenerated instead.
 */
static int outputs_ours(const struct prepare_ctx *ctx, int tx_fd, const struct plan *p, const struct journal *j,
                        bool *ret)
{
        bool any = false;

        *ret = false;
        for (size_t i = 0; i < p->n_files; i++) {
                bool ours;
                int r;

                if (p->files[i].kind != PLAN_OUTPUT)
                        continue;
                if ((r = output_ours(ctx, tx_fd, &p->files[i], i, &ours)) < 0)
                        return r;
                if (!ours && !j->in_flight)
                        return 0;
                any = true;
        }
        *ret = any;
        return 0;
}

static bool planned(const struct plan *p, const char *name)
{
        for (size_t i = 0; i < p->n_cmds; i++)
                if (streq(p->cmds[i].name, name))
                        return true;
        return false;
}

/*
 * Rollback's commands: one that regenerates the outputs only when they were
 * not put back byte for byte; the others only when prepare started their
 * counterpart (an initramfs prepare never rebuilt is left as it is). Each
 * runs even when one before failed; the first failure is returned.
 */
static int undo_cmds(const struct prepare_ctx *ctx, int tx_fd, const struct plan *p, const struct journal *j,
                     bool outputs_restored, struct textbuf *log)
{
        int first = 0;

        for (size_t i = 0; i < p->n_undo; i++) {
                const struct plan_cmd *c = &p->undo[i];
                int r, k;

                if (c->regen ? outputs_restored : planned(p, c->name) && !started_by_prepare(j, c->name))
                        continue;
                r = run_cmd(ctx, tx_fd, c, log);
                k = journal_append(tx_fd, "ran %s %s\n", c->name, r < 0 ? "failed" : "ok");
                if (k < 0)
                        return k;
                if (r < 0 && first == 0)
                        first = r;
        }
        return first;
}

static int undo(const struct prepare_ctx *ctx, int tx_fd, const struct plan *p, const struct journal *j,
                struct textbuf *log)
{
        bool outputs;
        int r;

        if ((r = journal_append(tx_fd, "rollback\n")) < 0)
                return r;
        if (unlinkat(tx_fd, "reserve", 0) < 0 && errno != ENOENT)
                return -errno;
        if ((r = outputs_ours(ctx, tx_fd, p, j, &outputs)) < 0 || (r = restore_files(ctx, tx_fd, p, false)) < 0)
                return r;
        remove_dirs(ctx, p, log);
        if (outputs && (r = restore_files(ctx, tx_fd, p, true)) < 0)
                return r;
        r = undo_cmds(ctx, tx_fd, p, j, outputs, log);
        if (r == -EIO || r == -ETIME) {
                /* Regenerating failed: put back what it had produced before prepare, byte for byte. */
                textbuf_puts(log, "regenerating failed: restoring the saved boot menu\n");
                int k = restore_files(ctx, tx_fd, p, true);
                return k < 0 ? k : r;
        }
        return r;
}

int tx_rollback(const struct prepare_ctx *ctx, bool force, struct textbuf *log)
{
        _cleanup_close_ int tx_fd = -1;
        struct plan *p = NULL;
        struct journal j;
        enum tx_state st;
        int r;

        if ((r = tx_clean(ctx)) < 0 || (r = tx_state(ctx, &st)) < 0)
                return r;
        if (st == TX_NONE)
                return -ENOENT;
        tx_fd = openat(ctx->state_fd, "tx", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tx_fd < 0)
                return -errno;
        if ((r = journal_load(tx_fd, &j)) < 0 || (r = stop_leftovers(&j, log)) < 0 ||
            (r = manifest_load(tx_fd, &p)) < 0)
                return r;
        if (!force && st != TX_ROLLING_BACK && (r = check_files(ctx, p, log)) < 0) {
                plan_free(p);
                return r;
        }
        r = undo(ctx, tx_fd, p, &j, log);
        plan_free(p);
        if (r < 0 && r != -EIO)
                return r;
        /* Files are back even when regenerating failed; the transaction is over either way. */
        int k = finish(ctx);
        return r < 0 ? r : k;
}
