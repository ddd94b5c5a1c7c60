/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "macro.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

/* A directory's identity: ".." must still lead where the walk came from. */
struct dir_id {
        dev_t dev;
        ino_t ino;
};

/* A resolution one component at a time: where it is, and what is left of the path. */
struct walk {
        int root_fd;
        int dir_fd;             /* root_fd, or owned */
        struct dir_id cur;      /* of dir_fd */
        struct dir_id *up;      /* the directories above dir_fd, root_fd's first */
        size_t depth, cap;
        unsigned links;         /* symlinks followed */
        char *path;             /* a symlink's target goes in front: as the kernel, no bound but 40 links */
};

/* Where a walk ends: the last component in its directory, and what it is. */
struct walk_end {
        int dir_fd;             /* the walk's: valid until walk_done() */
        char name[NAME_MAX + 1];
        int fd;                 /* O_PATH|O_NOFOLLOW, owned; -1 when name does not exist */
        struct stat st;         /* of fd */
        bool want_dir;          /* the path ended with a slash */
};

static struct dir_id dir_id_of(const struct stat *st)
{
        return (struct dir_id){ .dev = st->st_dev, .ino = st->st_ino };
}

static void walk_set_dir(struct walk *w, int fd)
{
        if (w->dir_fd != w->root_fd)
                close(w->dir_fd);
        w->dir_fd = fd;
}

static int walk_init(struct walk *w, int root_fd, const char *path)
{
        size_t n = strlen(path);
        struct stat st;

        *w = (struct walk){ .root_fd = root_fd, .dir_fd = root_fd };
        if (n == 0)
                return -ENOENT;
        if (n >= PATH_MAX)
                return -ENAMETOOLONG;
        w->path = strdup(path);
        if (!w->path)
                return -ENOMEM;
        if (fstat(root_fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        w->cur = dir_id_of(&st);
        return 0;
}

static void walk_done(struct walk *w)
{
        walk_set_dir(w, w->root_fd);
        free(w->up);
        w->up = NULL;
        free(w->path);
        w->path = NULL;
}

static int walk_down(struct walk *w, int fd, const struct stat *st)
{
        if (w->depth == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 16;
                struct dir_id *up = realloc(w->up, cap * sizeof(*up));

                if (!up)
                        return -ENOMEM;
                w->up = up;
                w->cap = cap;
        }
        w->up[w->depth++] = w->cur;
        w->cur = dir_id_of(st);
        walk_set_dir(w, fd);
        return 0;
}

static void walk_to_root(struct walk *w)
{
        if (w->depth > 0)
                w->cur = w->up[0];
        w->depth = 0;
        walk_set_dir(w, w->root_fd);
}

/* "..": back to the directory the walk came from; at the root, the root. */
static int walk_up(struct walk *w)
{
        _cleanup_close_ int fd = -1;
        struct dir_id want;
        struct stat st;

        if (w->depth <= 1) {
                walk_to_root(w);
                return 0;
        }
        want = w->up[w->depth - 1];
        fd = openat(w->dir_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (st.st_dev != want.dev || st.st_ino != want.ino)
                return -EAGAIN;
        w->depth--;
        w->cur = want;
        walk_set_dir(w, TAKE_FD(fd));
        return 0;
}

/* The target of the symlink at fd takes its place in front of rest, the tail of w->path. */
static int walk_link(struct walk *w, int fd, const char *rest)
{
        char target[PATH_MAX], *path;
        size_t m = strlen(rest);
        ssize_t n;

        if (++w->links > ROOT_SYMLINKS_MAX)
                return -ELOOP;
        n = readlinkat(fd, "", target, sizeof(target));
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ENOENT;
        if ((size_t)n >= sizeof(target))
                return -ENAMETOOLONG;
        path = malloc((size_t)n + m + 1);
        if (!path)
                return -ENOMEM;
        memcpy(path, target, (size_t)n);
        memcpy(path + n, rest, m + 1);
        free(w->path);
        w->path = path;
        if (target[0] == '/')
                walk_to_root(w);
        return 0;
}

/* The next component of the path at *p (which moves past it); 0 at the end. */
static int next_name(const char **p, char name[static NAME_MAX + 1], bool *ret_last, bool *ret_slash)
{
        const char *s = *p + strspn(*p, "/"), *e;
        size_t n = strcspn(s, "/");

        if (n == 0)
                return 0;
        if (n > NAME_MAX)
                return -ENAMETOOLONG;
        memcpy(name, s, n);
        name[n] = '\0';
        e = s + n;
        *ret_slash = *e == '/';
        *ret_last = e[strspn(e, "/")] == '\0';
        *p = e;
        return 1;
}

static int end_at(struct walk_end *e, int dir_fd, const char *name, int fd, bool want_dir)
{
        *e = (struct walk_end){ .dir_fd = dir_fd, .fd = fd, .want_dir = want_dir };
        strcpy(e->name, name);
        if (fd >= 0 && fstat(fd, &e->st) < 0) {
                int r = -errno;

                close(fd);
                e->fd = -1;
                return r;
        }
        return 1;
}

/* The walk ends in the directory it is in ("/", "." or ".." last): that directory, as ".". */
static int end_here(struct walk *w, struct walk_end *e)
{
        int fd = openat(w->dir_fd, ".", O_PATH | O_CLOEXEC);

        return fd < 0 ? -errno : end_at(e, w->dir_fd, ".", fd, false);
}

/*
 * One component: 1 when the walk ends there (*e set), 0 to go on (into a
 * directory, or along a symlink: *p then starts again at its target).
 */
static int walk_step(struct walk *w, const char **p, const char *name, bool last, bool slash, bool follow,
                     struct walk_end *e)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (streq(name, ".") || streq(name, "..")) {
                r = streq(name, "..") ? walk_up(w) : 0;
                return r < 0 ? r : last ? end_here(w, e) : 0;
        }
        fd = openat(w->dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT && last ? end_at(e, w->dir_fd, name, -1, slash) : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode) && (!last || follow || slash)) {
                r = walk_link(w, fd, *p);
                *p = w->path;
                return r;
        }
        if (last)
                return end_at(e, w->dir_fd, name, TAKE_FD(fd), slash);
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        r = walk_down(w, fd, &st);
        if (r >= 0)
                fd = -1;
        return r;
}

/* Resolves w->path; a final symlink is followed when follow, or when the path ends with "/". */
static int walk_run(struct walk *w, bool follow, struct walk_end *e)
{
        const char *p = w->path;
        int r;

        e->fd = -1;
        do {
                char name[NAME_MAX + 1];
                bool last = false, slash = false;

                r = next_name(&p, name, &last, &slash);
                if (r == 0)
                        r = end_here(w, e);
                else if (r > 0)
                        r = walk_step(w, &p, name, last, slash, follow, e);
        } while (r == 0);
        return r < 0 ? r : 0;
}

/* An open for the file's bytes: the only kind that could open a FIFO, a device or a socket. */
static bool opens_content(int flags)
{
        return !(flags & (O_PATH | O_DIRECTORY));
}

/* 0 for a regular file; what open(2) of anything else should say instead of opening it. */
static int regular_or_why(const struct stat *st)
{
        if (S_ISREG(st->st_mode))
                return 0;
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        if (S_ISLNK(st->st_mode))
                return -ELOOP;
        return -ENXIO;
}

/*
 * fd (or -errno), opened O_NONBLOCK for the regular file st: still that
 * file (-EAGAIN when it was replaced in between), and blocking again unless
 * flags asked otherwise.
 */
static int content_fd(int fd, int flags, const struct stat *st)
{
        _cleanup_close_ int f = fd;
        struct stat now;
        int r;

        if (f < 0)
                return f;
        if (fstat(f, &now) < 0)
                return -errno;
        r = regular_or_why(&now);
        if (r < 0)
                return r;
        if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
                return -EAGAIN;
        /* F_SETFL takes the status flags of flags and leaves the access mode: no F_GETFL needed. */
        if (!(flags & O_NONBLOCK) && fcntl(f, F_SETFL, flags) < 0)
                return -errno;
        return TAKE_FD(f);
}

static int openat_errno(int dir_fd, const char *path, int flags)
{
        int fd = openat(dir_fd, path, flags | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

#define CONTENT_FLAGS (O_NONBLOCK | O_NOCTTY)

/* What the walk found, opened with flags; O_PATH is the fd it holds already. */
static int walk_open_end(struct walk_end *e, int flags)
{
        bool dir = e->want_dir || (flags & O_DIRECTORY);
        int r;

        if (e->fd < 0)
                return -ENOENT;
        if (dir && !S_ISDIR(e->st.st_mode))
                return -ENOTDIR;
        if (S_ISLNK(e->st.st_mode) && !(flags & O_PATH))
                return -ELOOP;
        if (flags & O_PATH)
                return TAKE_FD(e->fd);
        if (!opens_content(flags))
                return openat_errno(e->dir_fd, e->name, flags | O_NOFOLLOW);
        r = regular_or_why(&e->st);
        if (r < 0)
                return r;
        return content_fd(openat_errno(e->dir_fd, e->name, flags | O_NOFOLLOW | CONTENT_FLAGS), flags, &e->st);
}

static int root_open_walk(int root_fd, const char *path, int flags)
{
        struct walk w;
        struct walk_end e = { .fd = -1 };
        int r;

        r = walk_init(&w, root_fd, path);
        if (r >= 0)
                r = walk_run(&w, !(flags & O_NOFOLLOW), &e);
        if (r >= 0)
                r = walk_open_end(&e, flags);
        if (e.fd >= 0)
                close(e.fd);
        walk_done(&w);
        return r;
}

#ifdef SYS_openat2
/* -ENOSYS or -EPERM when the kernel has no openat2 or a filter forbids it. */
static int root_openat2(int root_fd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        if (!*path)
                return -ENOENT;
        fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

/* Looked at through O_PATH first: a FIFO or a device is never opened. */
static int root_openat2_content(int root_fd, const char *path, int flags)
{
        _cleanup_close_ int fd = root_openat2(root_fd, path, O_PATH | (flags & O_NOFOLLOW));
        struct stat st;
        int r;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = regular_or_why(&st);
        if (r < 0)
                return r;
        return content_fd(root_openat2(root_fd, path, flags | CONTENT_FLAGS), flags, &st);
}
#endif

int root_open(int root_fd, const char *path, int flags)
{
        int fd = -ENOSYS;

        if (flags & O_CREAT)
                return -EINVAL;
#ifdef SYS_openat2
        fd = opens_content(flags) ? root_openat2_content(root_fd, path, flags) : root_openat2(root_fd, path, flags);
#endif
        return fd == -ENOSYS || fd == -EPERM ? root_open_walk(root_fd, path, flags) : fd;
}

int root_open_regular_at(int dir_fd, const char *path, int flags)
{
        struct stat st;
        int r;

        if (fstatat(dir_fd, path, &st, (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0) < 0)
                return -errno;
        r = regular_or_why(&st);
        if (r < 0)
                return r;
        return content_fd(openat_errno(dir_fd, path, flags | CONTENT_FLAGS), flags, &st);
}

const char *root_strerror(int err)
{
        return err == -ENXIO ? "not a regular file" : strerror(-err);
}

int root_unreadable_add(struct root_unreadable *u, const char *path, int err)
{
        _cleanup_free_ char *s = NULL;

        if (err >= 0 || err == -ENOENT || err == -ENOTDIR || err == -ENOMEM || !u)
                return 0;
        s = strdup_printf("%s: %s", path, root_strerror(err));
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < u->n; i++)
                if (streq(u->v[i], s))
                        return 0;
        return strv_push_dup(&u->v, &u->n, s);
}

void root_unreadable_done(struct root_unreadable *u)
{
        strv_free(u->v);
        *u = (struct root_unreadable){};
}

int root_read_file(int root_fd, const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = root_open(root_fd, path, O_RDONLY);

        if (fd < 0)
                return fd;
        return read_full_fd(fd, ret, max, ret_len);
}

int root_stat(int root_fd, const char *path, struct stat *ret)
{
        _cleanup_close_ int fd = root_open(root_fd, path, O_PATH);

        if (fd < 0)
                return fd;
        if (fstat(fd, ret) < 0)
                return -errno;
        return 0;
}

bool root_is_reg(int root_fd, const char *path)
{
        struct stat st;

        return root_stat(root_fd, path, &st) >= 0 && S_ISREG(st.st_mode);
}

bool root_is_dir(int root_fd, const char *path)
{
        struct stat st;

        return root_stat(root_fd, path, &st) >= 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in a directory, sorted, without dot files; at most 4096. */
int root_list_dir(int root_fd, const char *path, char ***ret, size_t *ret_n)
{
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;
        int fd = root_open(root_fd, path, O_RDONLY | O_DIRECTORY);

        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                int r;

                if (de->d_name[0] == '.')
                        continue;
                if (n >= 4096)
                        break;
                r = strv_push_dup(&v, &n, de->d_name);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        if (n > 0)
                qsort(v, n, sizeof(char *), cmp_str);
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

int root_map(int root_fd, const char *path, struct mapped *ret)
{
        _cleanup_close_ int fd = root_open(root_fd, path, O_RDONLY);
        struct stat st;
        void *p;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX / 2)
                return -EFBIG;
        if (st.st_size == 0) {
                *ret = (struct mapped){ .data = (const uint8_t *)"", .len = 0, .st = st };
                return 0;
        }
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *ret = (struct mapped){ .data = p, .len = (size_t)st.st_size, .st = st };
        return 0;
}

void mapped_done(struct mapped *m)
{
        if (m->len > 0 && m->data)
                munmap((void *)m->data, m->len);
        m->data = NULL;
        m->len = 0;
}

bool root_is_host(int root_fd)
{
        struct stat a, b;

        return fstat(root_fd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}
