/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static const char *skip_slashes(const char *path)
{
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

int root_open(int root_fd, const char *path, int flags)
{
        const char *rel = skip_slashes(path);
        int fd;

#ifdef SYS_openat2
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };

        fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
        if (fd >= 0)
                return fd;
        if (errno != ENOSYS && errno != EPERM)
                return -errno;
#endif
        fd = openat(root_fd, rel, flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int root_read_file(int root_fd, const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = root_open(root_fd, path, O_RDONLY | O_NOCTTY);

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
        _cleanup_close_ int fd = root_open(root_fd, path, O_RDONLY | O_NOCTTY);
        struct stat st;
        void *p;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
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
