/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileedit.h"
#include "macro.h"
#include "prepare-internal.h"
#include "strv.h"
#include "udiff.h"
#include "util.h"

int plan_new(struct plan **ret)
{
        struct plan *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int plan_read(const struct prepare_ctx *ctx, const char *path, char **ret, size_t *ret_len, struct file_meta *ret_meta)
{
        _cleanup_close_ int dir_fd = -1;
        const char *base;
        int r;

        *ret = NULL;
        *ret_len = 0;
        dir_fd = fileedit_open_parent(ctx->root_fd, path, &base);
        if (dir_fd == -ENOENT)
                return 0;
        if (dir_fd < 0)
                return dir_fd;
        r = fileedit_read(dir_fd, base, PREPARE_FILE_MAX, ret, ret_len, ret_meta);
        return r == -ENOENT ? 0 : r;
}

static int add_file(struct plan *p, struct plan_file *f)
{
        struct plan_file *nv = realloc(p->files, (p->n_files + 1) * sizeof(*nv));

        if (!nv)
                return -ENOMEM;
        p->files = nv;
        p->files[p->n_files++] = *f;
        return 0;
}

static void file_done(struct plan_file *f)
{
        free(f->path);
        free(f->old);
        free(f->new);
}

/* Files are kept at most once: the second mention of a path is an error in the planner. */
static bool has_file(const struct plan *p, const char *path)
{
        for (size_t i = 0; i < p->n_files; i++)
                if (streq(p->files[i].path, path))
                        return true;
        return false;
}

static int file_init(const struct prepare_ctx *ctx, const struct plan *p, const char *path, enum plan_file_kind kind,
                     struct plan_file *f)
{
        int r;

        if (has_file(p, path))
                return -EEXIST;
        *f = (struct plan_file){ .kind = kind, .meta = { .mode = 0644 } };
        r = plan_read(ctx, path, &f->old, &f->old_len, &f->meta);
        if (r < 0)
                return r;
        f->existed = f->old != NULL;
        f->path = strdup(path);
        return f->path ? 0 : -ENOMEM;
}

int plan_edit(const struct prepare_ctx *ctx, struct plan *p, const char *path, const char *new_text)
{
        struct plan_file f;
        int r = file_init(ctx, p, path, PLAN_EDIT, &f);

        if (r < 0) {
                if (r != -EEXIST)
                        file_done(&f);
                return r;
        }
        if (new_text) {
                f.new = strdup(new_text);
                f.new_len = strlen(new_text);
                if (!f.new) {
                        file_done(&f);
                        return -ENOMEM;
                }
        }
        /* Nothing to do: leave it out, so that an unchanged system gives an empty plan. */
        if ((!f.existed && !f.new) ||
            (f.existed && f.new && f.old_len == f.new_len && memcmp(f.old, f.new, f.new_len) == 0)) {
                file_done(&f);
                return 0;
        }
        if (!f.existed)
                f.meta = (struct file_meta){ .mode = 0644 };
        r = add_file(p, &f);
        if (r < 0)
                file_done(&f);
        return r;
}

int plan_save(const struct prepare_ctx *ctx, struct plan *p, const char *path, enum plan_file_kind kind)
{
        struct plan_file f;
        int r = file_init(ctx, p, path, kind, &f);

        if (r == -EEXIST)
                return 0;
        if (r >= 0)
                r = add_file(p, &f);
        if (r < 0)
                file_done(&f);
        return r;
}

int plan_readlink(const struct prepare_ctx *ctx, const char *path, char **ret)
{
        _cleanup_close_ int dir_fd = -1;
        const char *base;

        dir_fd = fileedit_open_parent(ctx->root_fd, path, &base);
        if (dir_fd < 0)
                return dir_fd == -ENOTDIR ? -ENOENT : dir_fd;
        return fileedit_readlink(dir_fd, base, ret);
}

int plan_link(const struct prepare_ctx *ctx, struct plan *p, const char *path, const char *target)
{
        _cleanup_free_ char *now = NULL;
        struct plan_file f = { .kind = PLAN_LINK, .meta = { .mode = 0777 } };
        int r = plan_readlink(ctx, path, &now);

        if (r >= 0)
                return streq(now, target) ? 0 : -EEXIST;
        if (r == -EINVAL)
                return -EEXIST;
        if (r != -ENOENT)
                return r;
        if (has_file(p, path))
                return -EEXIST;
        f.path = strdup(path);
        f.new = strdup(target);
        f.new_len = strlen(target);
        if (f.path && f.new && (r = add_file(p, &f)) >= 0)
                return 0;
        file_done(&f);
        return -ENOMEM;
}

int plan_mkdir(struct plan *p, const char *path)
{
        return strv_push_dup(&p->mkdirs, &p->n_mkdirs, path);
}

int plan_cmd(struct plan *p, bool undo, const char *name, const char *path, ...)
{
        struct plan_cmd c = { .name = strdup(name) }, **v = undo ? &p->undo : &p->cmds, *nv;
        size_t *n = undo ? &p->n_undo : &p->n_cmds, argc = 0;
        const char *a;
        va_list ap;
        int r = c.name ? strv_push_dup(&c.argv, &argc, path) : -ENOMEM;

        va_start(ap, path);
        while (r >= 0 && (a = va_arg(ap, const char *)))
                r = strv_push_dup(&c.argv, &argc, a);
        va_end(ap);
        if (r >= 0 && !(nv = realloc(*v, (*n + 1) * sizeof(**v))))
                r = -ENOMEM;
        if (r < 0) {
                free(c.name);
                strv_free(c.argv);
                return r;
        }
        *v = nv;
        (*v)[(*n)++] = c;
        return 0;
}

int plan_set_unsupported(struct plan *p, const char *summary, const char *manual)
{
        p->unsupported = true;
        if (free_and_strdup(&p->summary, summary) < 0 || free_and_strdup(&p->manual, manual) < 0)
                return -ENOMEM;
        return 0;
}

bool plan_is_empty(const struct plan *p)
{
        for (size_t i = 0; i < p->n_files; i++)
                if (p->files[i].kind == PLAN_EDIT || p->files[i].kind == PLAN_LINK)
                        return false;
        return p->n_cmds == 0;
}

int plan_render(const struct plan *p, struct textbuf *out)
{
        if (p->unsupported) {
                textbuf_printf(out, "%s\n", p->manual ? p->manual : "");
                return textbuf_error(out);
        }
        for (size_t i = 0; i < p->n_mkdirs; i++)
                textbuf_printf(out, "mkdir: %s\n", p->mkdirs[i]);
        for (size_t i = 0; i < p->n_files; i++) {
                const struct plan_file *f = &p->files[i];
                int r;

                if (f->kind == PLAN_LINK)
                        textbuf_printf(out, "link: %s -> %s\n", f->path, f->new);
                if (f->kind != PLAN_EDIT)
                        continue;
                r = udiff(out, f->path, f->existed ? f->old : NULL, f->old_len, f->new, f->new_len);
                if (r == -E2BIG)
                        textbuf_printf(out, "%s: too long to show a diff\n", f->path);
                else if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_cmds; i++) {
                textbuf_puts(out, "run: ");
                plan_cmd_render(&p->cmds[i], out);
        }
        return textbuf_error(out);
}

static void cmds_free(struct plan_cmd *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(c[i].name);
                strv_free(c[i].argv);
        }
        free(c);
}

void plan_free(struct plan *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n_files; i++)
                file_done(&p->files[i]);
        free(p->files);
        strv_free(p->mkdirs);
        cmds_free(p->cmds, p->n_cmds);
        cmds_free(p->undo, p->n_undo);
        free(p->manual);
        free(p->summary);
        free(p);
}
