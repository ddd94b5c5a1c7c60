/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * root_open() on a tree built for it, with openat2 and, in child processes
 * under a seccomp filter, without (ENOSYS, then EPERM): every path in the
 * table must open the file it names inside the root, or fail as it says;
 * opened for its bytes, only a regular file, and no FIFO or device at all.
 * Next to the tree lies a directory "outside" that no path may reach; the
 * tree holds decoys where an escape, confined, lands instead. Where the
 * kernel has openat2 the table is also checked against the kernel's own
 * RESOLVE_IN_ROOT, so that the expectations are the kernel's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "macro.h"
#include "no-openat2.h"
#include "rootfs.h"

static char top[] = "/tmp/test-rootfs.XXXXXX";
static char outside_abs[PATH_MAX];      /* top/outside/secret, absolute */
static int root_fd = -1;
static bool have_dev;

/*
 * The tree: d directory, f file, l symlink (a target starting with '@' has
 * the absolute path of the top directory put in its place), p FIFO, c the
 * null device, s a socket.
 */
static const struct node {
        char type;
        const char *path;
        const char *arg;
} tree[] = {
        { 'd', "etc", NULL },
        { 'f', "etc/os-release", "ID=inside\n" },
        { 'd', "etc/dir", NULL },
        { 'f', "etc/dir/file", "file\n" },
        { 'l', "etc/dir/up", "../../../.." },
        { 'l', "etc/dir/uplink", "../os-release" },
        { 'l', "etc/dir/rootlink", "/" },
        { 'd', "outside", NULL },
        { 'f', "outside/secret", "decoy inside the root\n" },
        { 'l', "abs", "/etc/os-release" },
        { 'l', "abs_escape", "@/outside/secret" },
        { 'l', "rel_escape", "../../../../../../../../outside/secret" },
        { 'l', "chain1", "chain2" },
        { 'l', "chain2", "./chain3" },
        { 'l', "chain3", "/etc/os-release" },
        { 'l', "loop1", "loop2" },
        { 'l', "loop2", "/loop1" },
        { 'l', "self", "self" },
        { 'l', "dangling", "/nonexistent" },
        { 'l', "etcdir", "/etc" },
        { 'l', "dirlink", "etc/dir" },
        { 'l', "escdir", "@" },
        { 'p', "fifo", NULL },
        { 'l', "fifolink", "fifo" },
        { 'c', "null", NULL },
        { 's', "sock", NULL },
};

/* The outcome of one path: want (a path in the tree, "" the root itself), or err. */
static const struct row {
        const char *path;
        int flags;
        const char *want;
        int err;
        bool ours;              /* root_open's own rule, not the kernel's */
} rows[] = {
        { "/etc/os-release", O_RDONLY, "etc/os-release" },
        { "etc/os-release", O_RDONLY, "etc/os-release" },
        { "//etc///dir//file", O_RDONLY, "etc/dir/file" },
        { "/", O_RDONLY | O_DIRECTORY, "" },
        { "/..", O_PATH, "" },
        { "../../..", O_PATH, "" },
        { "/etc/../../../etc/./os-release", O_RDONLY, "etc/os-release" },
        { "", O_RDONLY, NULL, -ENOENT },
        { "/missing", O_RDONLY, NULL, -ENOENT },
        { "/missing/file", O_RDONLY, NULL, -ENOENT },
        /* Absolute symlinks start again at the root. */
        { "/abs", O_RDONLY, "etc/os-release" },
        { "/abs_escape", O_RDONLY, "@/outside/secret" },
        { "/escdir/outside/secret", O_RDONLY, "@/outside/secret" },
        { "/etc/dir/rootlink/etc/os-release", O_RDONLY, "etc/os-release" },
        { "/etc/dir/rootlink/..", O_PATH, "" },
        /* ".." never climbs above the root. */
        { "/rel_escape", O_RDONLY, "outside/secret" },
        { "/etc/dir/up/outside/secret", O_RDONLY, "outside/secret" },
        { "/etc/dir/up/../../../etc/os-release", O_RDONLY, "etc/os-release" },
        { "/etc/dir/uplink", O_RDONLY, "etc/os-release" },
        /* ".." after a symlinked directory: the target's parent, as the kernel. */
        { "/dirlink/../os-release", O_RDONLY, "etc/os-release" },
        { "/dirlink/file", O_RDONLY, "etc/dir/file" },
        { "/etcdir/dir/file", O_RDONLY, "etc/dir/file" },
        /* Chains, loops, dangling links. */
        { "/chain1", O_RDONLY, "etc/os-release" },
        { "/loop1", O_RDONLY, NULL, -ELOOP },
        { "/self", O_PATH, NULL, -ELOOP },
        { "/loop1/x", O_PATH, NULL, -ELOOP },
        { "/dangling", O_RDONLY, NULL, -ENOENT },
        { "/dangling", O_PATH | O_NOFOLLOW, "dangling" },
        { "/dangling/x", O_RDONLY, NULL, -ENOENT },
        /* O_NOFOLLOW: the last component only. */
        { "/abs", O_RDONLY | O_NOFOLLOW, NULL, -ELOOP },
        { "/abs", O_PATH | O_NOFOLLOW, "abs" },
        { "/etcdir/os-release", O_RDONLY | O_NOFOLLOW, "etc/os-release" },
        { "/etcdir", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, NULL, -ENOTDIR },
        /* A trailing slash wants a directory, and follows a last symlink. */
        { "/etc/", O_RDONLY | O_DIRECTORY, "etc" },
        { "/etcdir/", O_PATH | O_NOFOLLOW, "etc" },
        { "/etc/os-release/", O_RDONLY, NULL, -ENOTDIR },
        { "/abs/", O_PATH, NULL, -ENOTDIR },
        { "/dangling/", O_PATH, NULL, -ENOENT },
        { "/etc/os-release", O_RDONLY | O_DIRECTORY, NULL, -ENOTDIR },
        /* Special files are found (O_PATH), and are no directories. */
        { "/fifo", O_PATH, "fifo" },
        { "/fifolink", O_PATH, "fifo" },
        { "/fifo/x", O_PATH, NULL, -ENOTDIR },
        { "/null", O_PATH, "null" },
        { "/null/x", O_RDONLY, NULL, -ENOTDIR },
        { "/sock", O_PATH, "sock" },
        { "/etc/os-release/x", O_RDONLY, NULL, -ENOTDIR },
        /* root_open creates nothing. */
        { "/etc/new", O_WRONLY | O_CREAT, NULL, -EINVAL, true },
        /* Opened for its bytes, only a regular file; anything else is not even opened. */
        { "/fifo", O_RDONLY, NULL, -ENXIO, true },
        { "/fifo", O_RDONLY | O_NONBLOCK, NULL, -ENXIO, true },
        { "/fifolink", O_RDONLY, NULL, -ENXIO, true },
        { "/fifo", O_WRONLY, NULL, -ENXIO, true },
        { "/null", O_RDONLY, NULL, -ENXIO, true },
        { "/null", O_RDWR, NULL, -ENXIO, true },
        { "/sock", O_RDONLY, NULL, -ENXIO, true },
        { "/etc", O_RDONLY, NULL, -EISDIR, true },
        { "/etc/", O_RDONLY, NULL, -EISDIR, true },
        { "/fifo", O_RDONLY | O_DIRECTORY, NULL, -ENOTDIR },
};

static char *at_top(const char *s)
{
        static char buf[PATH_MAX];

        if (s[0] != '@')
                return (char *)s;
        snprintf(buf, sizeof(buf), "%s%s", top, s + 1);
        return buf;
}

static int make_node(int dir_fd, const struct node *n)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        switch (n->type) {
        case 'd':
                return mkdirat(dir_fd, n->path, 0755);
        case 'f':
                fd = openat(dir_fd, n->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                return fd < 0 || write(fd, n->arg, strlen(n->arg)) < 0 ? -1 : 0;
        case 'l':
                return symlinkat(at_top(n->arg), dir_fd, n->path);
        case 'p':
                return mkfifoat(dir_fd, n->path, 0644);
        case 'c':
                /* Only root may make a device node: the rows about it are left out otherwise. */
                have_dev = mknodat(dir_fd, n->path, S_IFCHR | 0644, makedev(1, 3)) == 0;
                return 0;
        case 's':
                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/root/%s", top, n->path);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                return fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        }
        return -1;
}

/* A chain of n symlinks (lN -> lN-1 ... l1 -> /etc/os-release), for the bound on links followed. */
static int make_chain(int dir_fd, unsigned n)
{
        for (unsigned i = 1; i <= n; i++) {
                char name[16], target[16];

                snprintf(name, sizeof(name), "l%u", i);
                snprintf(target, sizeof(target), "l%u", i - 1);
                if (symlinkat(i == 1 ? "/etc/os-release" : target, dir_fd, name) < 0)
                        return -1;
        }
        return 0;
}

/* deep/d/d/.../d, 24 levels: more than the walk keeps before it grows its stack. */
static int make_deep(int dir_fd)
{
        char path[256] = "deep";

        if (mkdirat(dir_fd, path, 0755) < 0)
                return -1;
        for (int i = 0; i < 24; i++) {
                strcat(path, "/d");
                if (mkdirat(dir_fd, path, 0755) < 0)
                        return -1;
        }
        return 0;
}

static int setup(void)
{
        char path[PATH_MAX];
        _cleanup_close_ int out_fd = -1;

        if (!mkdtemp(top))
                return -1;
        snprintf(outside_abs, sizeof(outside_abs), "%s/outside", top);
        snprintf(path, sizeof(path), "%s/root", top);
        if (mkdir(outside_abs, 0755) < 0 || mkdir(path, 0755) < 0)
                return -1;
        out_fd = open(outside_abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (out_fd < 0 || root_fd < 0 || make_node(out_fd, &(struct node){ 'f', "secret", "outside\n" }) < 0)
                return -1;
        /* The decoy an absolute escape lands on inside the root: root/<top>/outside/secret. */
        snprintf(path, sizeof(path), "mkdir -p '%s/root%s/outside' && echo decoy >'%s/root%s/outside/secret'", top,
                 top, top, top);
        if (system(path) != 0)
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(tree); i++)
                if (make_node(root_fd, &tree[i]) < 0) {
                        fprintf(stderr, "cannot make %s: %m\n", tree[i].path);
                        return -1;
                }
        return make_chain(root_fd, ROOT_SYMLINKS_MAX + 1) < 0 || make_deep(root_fd) < 0 ? -1 : 0;
}

static bool skipped(const struct row *r)
{
        return !have_dev && strstr(r->path, "null");
}

/* Whether fd is the file want names in the tree. */
static bool is_file(int fd, const char *want)
{
        struct stat a, b;
        const char *w = at_top(want);

        if (fstat(fd, &a) < 0)
                return false;
        if (!*w)
                return fstat(root_fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        return fstatat(root_fd, w + (w[0] == '/'), &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

static void check_outcome(const char *how, const char *path, int flags, int fd, const char *want, int err)
{
        if (want) {
                CHECK(fd >= 0 && is_file(fd, want), "%s: '%.60s' (flags %#x): got %d (%s), want %s", how, path,
                      flags, fd, fd < 0 ? strerror(-fd) : "another file", at_top(want));
        } else
                CHECK(fd == err, "%s: '%.60s' (flags %#x): got %d, want %d (%s)", how, path, flags, fd, err,
                      strerror(-err));
        if (fd >= 0)
                close(fd);
}

/* The paths that a table cannot hold literally: long ones, a long chain, deep trees. */
static void check_built(const char *how, int (*open_fn)(int, const char *, int))
{
        char path[PATH_MAX + 16], target[PATH_MAX];
        size_t n = 0;

        /* A path of PATH_MAX bytes (PATH_MAX counts the NUL), a name of NAME_MAX + 1. */
        while (n + 2 < PATH_MAX)
                n += (size_t)snprintf(path + n, sizeof(path) - n, "./");
        n += (size_t)snprintf(path + n, sizeof(path) - n, "etc");
        check_outcome(how, "PATH_MAX - 1 bytes", 0, open_fn(root_fd, path + 2, O_PATH), "etc", 0);
        check_outcome(how, "PATH_MAX bytes", 0, open_fn(root_fd, path + 1, O_PATH), NULL, -ENAMETOOLONG);
        memset(path, 'n', NAME_MAX + 1);
        path[NAME_MAX + 1] = '\0';
        check_outcome(how, "a name of NAME_MAX + 1 bytes", 0, open_fn(root_fd, path, O_PATH), NULL, -ENAMETOOLONG);

        /* ROOT_SYMLINKS_MAX links followed, then one more. */
        snprintf(path, sizeof(path), "/l%u", ROOT_SYMLINKS_MAX);
        check_outcome(how, path, 0, open_fn(root_fd, path, O_RDONLY), "etc/os-release", 0);
        snprintf(path, sizeof(path), "/l%u", ROOT_SYMLINKS_MAX + 1);
        check_outcome(how, path, 0, open_fn(root_fd, path, O_RDONLY), NULL, -ELOOP);

        /* 24 levels down, 30 up (clamped at the root), then a file. */
        n = (size_t)snprintf(path, sizeof(path), "deep");
        for (int i = 0; i < 24; i++)
                n += (size_t)snprintf(path + n, sizeof(path) - n, "/d");
        for (int i = 0; i < 30; i++)
                n += (size_t)snprintf(path + n, sizeof(path) - n, "/..");
        snprintf(path + n, sizeof(path) - n, "/etc/os-release");
        check_outcome(how, "deep/d.../..../etc/os-release", 0, open_fn(root_fd, path, O_RDONLY), "etc/os-release",
                      0);

        /* A target near PATH_MAX in front of a rest: longer than PATH_MAX together, as the kernel allows. */
        n = 0;
        while (n + 8 < PATH_MAX - 1)
                n += (size_t)snprintf(target + n, sizeof(target) - n, "./");
        snprintf(target + n, sizeof(target) - n, "etc");
        unlinkat(root_fd, "longlink", 0);
        CHECK(symlinkat(target, root_fd, "longlink") == 0);
        n = (size_t)snprintf(path, sizeof(path), "longlink");
        for (int i = 0; i < 100; i++)
                n += (size_t)snprintf(path + n, sizeof(path) - n, "/.");
        snprintf(path + n, sizeof(path) - n, "/dir/file");
        check_outcome(how, "longlink/./.../dir/file", 0, open_fn(root_fd, path, O_RDONLY), "etc/dir/file", 0);
}

/* A regular file is opened O_NONBLOCK to find out what it is, then blocking again unless asked. */
static void check_nonblock(const char *how)
{
        int fd = root_open(root_fd, "/abs", O_RDONLY), fl;

        fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
        CHECK(fd >= 0 && fl >= 0 && !(fl & O_NONBLOCK), "%s: O_RDONLY: %d, flags %#x", how, fd, fl);
        if (fd >= 0)
                close(fd);
        fd = root_open(root_fd, "/abs", O_RDONLY | O_NONBLOCK);
        fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
        CHECK(fd >= 0 && fl >= 0 && (fl & O_NONBLOCK), "%s: O_RDONLY|O_NONBLOCK: %d, flags %#x", how, fd, fl);
        if (fd >= 0)
                close(fd);
}

static void check_table(const char *how, int (*open_fn)(int, const char *, int), bool kernel)
{
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const struct row *r = &rows[i];

                if (skipped(r) || (kernel && r->ours))
                        continue;
                check_outcome(how, r->path, r->flags, open_fn(root_fd, r->path, r->flags), r->want, r->err);
        }
        check_built(how, open_fn);
}

static int kernel_openat2(int dir_fd, const char *path, int flags)
{
        struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        long fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));

        return fd < 0 ? -errno : (int)fd;
}

/* The table in a child where openat2 fails with err: root_open's own walk. */
static void check_without_openat2(int err)
{
        const char *how = err == ENOSYS ? "without openat2 (ENOSYS)" : "without openat2 (EPERM)";
        int status = 0, r;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                r = no_openat2(err);
                if (r < 0) {
                        fprintf(stderr, "SKIP: %s: cannot install the seccomp filter: %s\n", how, strerror(-r));
                        _exit(77);
                }
                check_table(how, root_open, false);
                check_nonblock(how);
                fflush(NULL);
                _exit(check_failures ? 1 : 0);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                return;
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the child failed", how);
}

int main(void)
{
        char cmd[PATH_MAX];
        bool kernel_has_openat2;

        if (setup() < 0) {
                fprintf(stderr, "test-rootfs: cannot build the tree in %s: %m\n", top);
                return 99;
        }
        if (!have_dev)
                printf("test-rootfs: not root: the rows about a device node are left out\n");
        kernel_has_openat2 = kernel_openat2(root_fd, "/", O_PATH) != -ENOSYS;
        if (kernel_has_openat2)
                check_table("the kernel's openat2", kernel_openat2, true);
        else
                printf("test-rootfs: this kernel has no openat2: the table is not checked against it\n");
        check_table("root_open", root_open, false);
        check_nonblock("root_open");
        check_without_openat2(ENOSYS);
        check_without_openat2(EPERM);

        close(root_fd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        if (system(cmd) != 0)
                fprintf(stderr, "test-rootfs: could not remove %s\n", top);
        return check_exit("test-rootfs");
}
