/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashpoint.h"
#include "fileedit.h"
#include "macro.h"
#include "rootfs.h"
#include "util.h"

int fileedit_open_parent(int root_fd, const char *path, const char **ret_base)
{
        const char *slash = strrchr(path, '/');
        char dir[PATH_MAX];
        int fd;

        if (path[0] != '/' || !slash || !slash[1] || streq(slash, "/.") || streq(slash, "/..") ||
            (size_t)(slash - path) >= sizeof(dir))
                return -EINVAL;
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
        fd = root_open(root_fd, dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        *ret_base = slash + 1;
        return fd;
}

static void meta_of(const struct stat *st, struct file_meta *m)
{
        *m = (struct file_meta){ .mode = st->st_mode & 07777, .uid = st->st_uid, .gid = st->st_gid,
                                 .atime = st->st_atim, .mtime = st->st_mtim, .has_times = true };
}

int fileedit_read(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len,
                  struct file_meta *ret_meta)
{
        _cleanup_close_ int fd = root_open_regular_at(dir_fd, name, O_RDONLY | O_NOFOLLOW);
        struct stat st;
        int r;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = read_full_fd(fd, ret, max, ret_len);
        if (r < 0)
                return r;
        if (ret_meta)
                meta_of(&st, ret_meta);
        return 0;
}

int fileedit_fsync_dir(int dir_fd)
{
        return fsync(dir_fd) < 0 ? -errno : 0;
}

static int tmp_name(const char *name, char *buf, size_t size)
{
        int n = snprintf(buf, size, ".pvh-agent.%s.tmp", name);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int fileedit_clean(int dir_fd, const char *name)
{
        char tmp[NAME_MAX + 1];
        int r = tmp_name(name, tmp, sizeof(tmp));

        if (r < 0)
                return r;
        if (unlinkat(dir_fd, tmp, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        return fileedit_fsync_dir(dir_fd);
}

static int write_meta(int fd, const struct file_meta *meta)
{
        if (!meta)
                return fchmod(fd, 0644) < 0 ? -errno : 0;
        /* Owner first: fchown clears set-id bits that fchmod then puts back. */
        if (fchown(fd, meta->uid, meta->gid) < 0 && (errno != EPERM || geteuid() == 0))
                return -errno;
        if (fchmod(fd, meta->mode) < 0)
                return -errno;
        if (meta->has_times) {
                struct timespec ts[2] = { meta->atime, meta->mtime };
                if (futimens(fd, ts) < 0)
                        return -errno;
        }
        return 0;
}

static int write_tmp(int dir_fd, const char *tmp, const void *data, size_t len, const struct file_meta *meta)
{
        _cleanup_close_ int fd = -1;
        int r;

        if (unlinkat(dir_fd, tmp, 0) < 0 && errno != ENOENT)
                return -errno;
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if ((r = write_all(fd, data, len)) < 0 || (r = write_meta(fd, meta)) < 0)
                return r;
        if (fsync(fd) < 0)
                return -errno;
        if (close(TAKE_FD(fd)) < 0)
                return -errno;
        return 0;
}

/* The temporary file takes the name's place, durably; on failure it goes. */
static int commit(int dir_fd, const char *tmp, const char *name)
{
        int r;

        crashpoint();
        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                r = -errno;
                unlinkat(dir_fd, tmp, 0);
                return r;
        }
        r = fileedit_fsync_dir(dir_fd);
        crashpoint();
        return r;
}

int fileedit_replace(int dir_fd, const char *name, const void *data, size_t len, const struct file_meta *meta)
{
        char tmp[NAME_MAX + 1];
        int r = tmp_name(name, tmp, sizeof(tmp));

        if (r < 0)
                return r;
        r = write_tmp(dir_fd, tmp, data, len, meta);
        if (r < 0) {
                unlinkat(dir_fd, tmp, 0);
                return r;
        }
        return commit(dir_fd, tmp, name);
}

int fileedit_replace_at(int at_fd, const char *path, const void *data, size_t len, const struct file_meta *meta)
{
        _cleanup_free_ char *dir = strdup(path);
        const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
        _cleanup_close_ int dir_fd = -1;

        if (!dir)
                return -ENOMEM;
        if (!*base)
                return -EISDIR;
        dir_fd = openat(at_fd, dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        return fileedit_replace(dir_fd, base, data, len, meta);
}

int fileedit_replace_path(const char *path, const void *data, size_t len, const struct file_meta *meta)
{
        return fileedit_replace_at(AT_FDCWD, path, data, len, meta);
}

int fileedit_symlink(int dir_fd, const char *name, const char *target)
{
        char tmp[NAME_MAX + 1];
        int r = tmp_name(name, tmp, sizeof(tmp));

        if (r < 0)
                return r;
        if ((unlinkat(dir_fd, tmp, 0) < 0 && errno != ENOENT) || symlinkat(target, dir_fd, tmp) < 0)
                return -errno;
        return commit(dir_fd, tmp, name);
}

int fileedit_readlink(int dir_fd, const char *name, char **ret)
{
        char buf[PATH_MAX];
        ssize_t n = readlinkat(dir_fd, name, buf, sizeof(buf));

        if (n < 0)
                return -errno;
        if ((size_t)n >= sizeof(buf))
                return -ENAMETOOLONG;
        *ret = strndup(buf, (size_t)n);
        return *ret ? 0 : -ENOMEM;
}

int fileedit_remove(int dir_fd, const char *name)
{
        int r;

        if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        r = fileedit_fsync_dir(dir_fd);
        crashpoint();
        return r;
}

int fileedit_rmdir(int dir_fd, const char *name)
{
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return fileedit_fsync_dir(dir_fd);
}

/* Makes the last directory of path (there already is fine), in its parent found inside the root, durably. */
static int mkdir_in_root(int root_fd, const char *path, mode_t mode)
{
        _cleanup_close_ int dir_fd = -1;
        const char *base;

        dir_fd = fileedit_open_parent(root_fd, path, &base);
        if (dir_fd < 0)
                return dir_fd;
        if (mkdirat(dir_fd, base, mode) < 0)
                return errno == EEXIST ? 0 : -errno;
        return fileedit_fsync_dir(dir_fd);
}

int fileedit_mkdir_p(int root_fd, const char *path, mode_t mode)
{
        char buf[PATH_MAX];
        size_t n = 0;

        path += strspn(path, "/");
        if (!*path || strlen(path) + 1 >= sizeof(buf))
                return -EINVAL;
        buf[n++] = '/';
        while (*path) {
                size_t k = strcspn(path, "/");
                int r;

                if ((k == 1 && path[0] == '.') || (k == 2 && path[0] == '.' && path[1] == '.'))
                        return -EINVAL;
                memcpy(buf + n, path, k);
                n += k;
                buf[n] = '\0';
                path += k;
                path += strspn(path, "/");
                r = mkdir_in_root(root_fd, buf, *path ? 0755 : mode);
                if (r < 0)
                        return r;
                buf[n++] = '/';
        }
        return 0;
}

int fileedit_rm_rf(int dir_fd, const char *name)
{
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (fd < 0) {
                if (errno == ENOTDIR || errno == ELOOP)
                        return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0;
                return errno == ENOENT ? 0 : -errno;
        }
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && r >= 0)
                        r = fileedit_rm_rf(dirfd(d), de->d_name);
        closedir(d);
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return fileedit_fsync_dir(dir_fd);
}
