/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "strv.h"
#include "tree.h"
#include "util.h"

#define ROOT_NAME "root"
#define INCOMING_NAME "incoming"

int tree_open(const char *parent, uint64_t bytes_max, struct tree *ret)
{
        struct tree t = { .root_fd = -1, .dir_fd = -1, .bytes_max = bytes_max };
        int r;

        t.dir = strdup_printf("%s/pvh-inspect.XXXXXX", parent);
        if (!t.dir)
                return -ENOMEM;
        if (!mkdtemp(t.dir)) {
                r = -errno;
                free(t.dir);
                return r;
        }
        t.incoming = strdup_printf("%s/" INCOMING_NAME, t.dir);
        t.dir_fd = open(t.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (!t.incoming || t.dir_fd < 0 || mkdirat(t.dir_fd, ROOT_NAME, 0700) < 0) {
                r = t.incoming ? -errno : -ENOMEM;
                tree_close(&t);
                return r;
        }
        t.root_fd = openat(t.dir_fd, ROOT_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (t.root_fd < 0) {
                r = -errno;
                tree_close(&t);
                return r;
        }
        *ret = t;
        return 0;
}

/* Everything under dir_fd/name, which this program made: directories and regular files only. */
static void remove_all(int dir_fd, const char *name, unsigned depth)
{
        int fd = depth > TREE_DEPTH_MAX + 2 ? -1 : openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                unlinkat(dir_fd, name, 0);
                return;
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        remove_all(dirfd(d), de->d_name, depth + 1);
        closedir(d);
        unlinkat(dir_fd, name, AT_REMOVEDIR);
}

void tree_close(struct tree *t)
{
        if (t->dir_fd >= 0) {
                remove_all(t->dir_fd, ROOT_NAME, 0);
                unlinkat(t->dir_fd, INCOMING_NAME, 0);
                close(t->dir_fd);
                rmdir(t->dir);
        }
        if (t->root_fd >= 0)
                close(t->root_fd);
        free(t->dir);
        free(t->incoming);
        *t = (struct tree){ .root_fd = -1, .dir_fd = -1 };
}

char *tree_normalize(const char *path)
{
        _cleanup_strv_ char **parts = NULL;
        size_t n = 0, len = 0;
        char *out, *o;

        if (strlen(path) > TREE_PATH_MAX) {
                errno = ENAMETOOLONG;
                return NULL;
        }
        for (const char *p = path; *p;) {
                size_t l = strcspn(p, "/");

                if (l == 0 || (l == 1 && p[0] == '.')) {
                        /* nothing */
                } else if (l == 2 && p[0] == '.' && p[1] == '.') {
                        /* GRUB stops at the root too; a path that tries to climb out is refused. */
                        if (n == 0) {
                                errno = EXDEV;
                                return NULL;
                        }
                        free(parts[--n]);
                        parts[n] = NULL;
                } else if (strv_push(&parts, &n, strndup(p, l)) < 0) {
                        errno = ENOMEM;
                        return NULL;
                }
                p += l + (p[l] == '/');
        }
        if (n > TREE_DEPTH_MAX) {
                errno = ELOOP;
                return NULL;
        }
        for (size_t i = 0; i < n; i++)
                len += strlen(parts[i]) + 1;
        out = o = malloc(len + 2);
        if (!out)
                return NULL;
        *o = '/';
        o[1] = 0;
        for (size_t i = 0; i < n; i++)
                o += sprintf(o, "/%s", parts[i]);
        return out;
}

/* Opens, creating where missing, the directories of path but its last component. */
static int open_parent(const struct tree *t, const char *path, const char **ret_last)
{
        int fd = fcntl(t->root_fd, F_DUPFD_CLOEXEC, 3);
        const char *p = path + 1;

        if (fd < 0)
                return -errno;
        for (;;) {
                size_t l = strcspn(p, "/");
                char name[256];
                int next;

                if (!p[l]) {
                        *ret_last = p;
                        return l == 0 ? (close(fd), -EINVAL) : fd;
                }
                if (l == 0 || l >= sizeof(name)) {
                        close(fd);
                        return -ENAMETOOLONG;
                }
                memcpy(name, p, l);
                name[l] = 0;
                if (mkdirat(fd, name, 0700) < 0 && errno != EEXIST) {
                        close(fd);
                        return -errno;
                }
                next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                close(fd);
                if (next < 0)
                        return -errno;
                fd = next;
                p += l + 1;
        }
}

int tree_take(struct tree *t, const char *path)
{
        _cleanup_close_ int fd = -1;
        const char *last;
        struct stat st;

        if (fstatat(t->dir_fd, INCOMING_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if (t->files >= TREE_FILES_MAX || t->bytes + (uint64_t)st.st_size > t->bytes_max)
                return -E2BIG;
        fd = open_parent(t, path, &last);
        if (fd < 0)
                return fd;
        if (strlen(last) > 255)
                return -ENAMETOOLONG;
        if (renameat2(t->dir_fd, INCOMING_NAME, fd, last, RENAME_NOREPLACE) < 0)
                return -errno;
        t->bytes += (uint64_t)st.st_size;
        t->files++;
        return 0;
}

int tree_write(struct tree *t, const char *path, const char *content)
{
        _cleanup_close_ int dfd = -1, fd = -1;
        const char *last;

        dfd = open_parent(t, path, &last);
        if (dfd < 0)
                return dfd;
        fd = openat(dfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        return write_all(fd, content, strlen(content));
}

bool tree_has(const struct tree *t, const char *path)
{
        struct stat st;

        return fstatat(t->root_fd, path[1] ? path + 1 : ".", &st, AT_SYMLINK_NOFOLLOW) == 0;
}
