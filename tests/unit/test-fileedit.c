/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What fileedit makes and removes under a root stays inside it, with openat2
 * and (in a child under a seccomp filter) without: directories made through
 * symlinks out of the root (absolute, ../) land inside it, the parent of a
 * last component is found inside the root, the last component is never
 * followed. The directory beside the root must stay empty.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fileedit.h"
#include "macro.h"
#include "no-openat2.h"
#include "util.h"

static char top[] = "/tmp/test-fileedit.XXXXXX";

/* A fresh root holding the links and a directory "outside" of its own, and an empty "outside" beside it. */
static int fresh(const char *name, int *ret_root_fd)
{
        char path[PATH_MAX], target[PATH_MAX];
        int fd;

        snprintf(path, sizeof(path), "rm -rf '%s/root' '%s/outside' && mkdir -p '%s/root/var' '%s/root/outside' '%s/outside'",
                 top, top, top, top, top);
        if (system(path) != 0)
                return -1;
        snprintf(path, sizeof(path), "%s/root", top);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        snprintf(target, sizeof(target), "%s/outside", top);
        if (symlinkat(target, fd, "abs") < 0 || symlinkat("../../outside", fd, "var/rel") < 0 ||
            symlinkat("/var/rel", fd, "chain") < 0) {
                close(fd);
                return -1;
        }
        printf("# %s\n", name);
        *ret_root_fd = fd;
        return 0;
}

static bool outside_empty(void)
{
        char path[PATH_MAX];
        struct dirent *de;
        bool empty = true;
        DIR *d;

        snprintf(path, sizeof(path), "%s/outside", top);
        d = opendir(path);
        if (!d)
                return false;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        empty = false;
        closedir(d);
        return empty;
}

static bool is_dir_in_root(int root_fd, const char *rel)
{
        struct stat st;

        return fstatat(root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static void check_mkdir(const char *how)
{
        char inside[PATH_MAX];
        int root_fd = -1, r;
        const char *base = NULL;

        /* Through an absolute link to the outside: made in the root, under its own copy of that path. */
        if (fresh("mkdir through an absolute symlink", &root_fd) < 0)
                return;
        r = fileedit_mkdir_p(root_fd, "/abs/state/pvh", 0700);
        snprintf(inside, sizeof(inside), "%s/outside/state/pvh", top + 1);
        CHECK(r == -ENOENT, "%s: mkdir_p /abs/state/pvh: %d", how, r);
        CHECK(outside_empty(), "%s: mkdir_p wrote outside the root", how);
        CHECK(fileedit_mkdir_p(root_fd, inside, 0755) == 0);
        CHECK(fileedit_mkdir_p(root_fd, "/abs/state/pvh", 0700) == 0, "%s: once the target exists inside", how);
        CHECK(is_dir_in_root(root_fd, inside), "%s: not made inside the root", how);
        CHECK(outside_empty(), "%s: mkdir_p wrote outside the root", how);
        close(root_fd);

        /* Through ../ links, directly and by a chain. */
        if (fresh("mkdir through ../ symlinks", &root_fd) < 0)
                return;
        CHECK(fileedit_mkdir_p(root_fd, "/var/rel/lib/pvh-agent", 0700) == 0, "%s", how);
        CHECK(is_dir_in_root(root_fd, "outside/lib/pvh-agent"), "%s: not made at /outside in the root", how);
        CHECK(fileedit_mkdir_p(root_fd, "/chain/x", 0700) == 0, "%s", how);
        CHECK(is_dir_in_root(root_fd, "outside/x"), "%s", how);
        CHECK(outside_empty(), "%s: mkdir_p wrote outside the root", how);

        /* The parent is found inside the root; the last component is the link itself. */
        r = fileedit_open_parent(root_fd, "/var/rel/newfile", &base);
        CHECK(r >= 0 && streq(base, "newfile"), "%s: open_parent: %d", how, r);
        if (r >= 0) {
                CHECK(fileedit_replace(r, base, "x\n", 2, NULL) == 0);
                close(r);
        }
        CHECK(faccessat(root_fd, "outside/newfile", F_OK, AT_SYMLINK_NOFOLLOW) == 0, "%s", how);
        r = fileedit_open_parent(root_fd, "/var/rel", &base);
        CHECK(r >= 0 && streq(base, "rel"), "%s", how);
        if (r >= 0) {
                CHECK(fileedit_replace(r, base, "y\n", 2, NULL) == 0, "%s: replacing a link", how);
                close(r);
        }
        CHECK(outside_empty(), "%s: a write through a link reached outside the root", how);
        CHECK(fileedit_open_parent(root_fd, "/var/..", &base) == -EINVAL);
        CHECK(fileedit_mkdir_p(root_fd, "/var/../x", 0700) == -EINVAL);
        CHECK(fileedit_rmdir(root_fd, "outside") == -ENOTEMPTY);
        close(root_fd);
}

int main(void)
{
        char cmd[PATH_MAX];
        int status = 0, r;
        pid_t pid;

        if (!mkdtemp(top)) {
                fprintf(stderr, "test-fileedit: mkdtemp: %m\n");
                return 99;
        }
        check_mkdir("with openat2 where the kernel has it");
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                r = no_openat2(ENOSYS);
                if (r < 0) {
                        fprintf(stderr, "SKIP: without openat2: %s\n", strerror(-r));
                        _exit(77);
                }
                check_mkdir("without openat2");
                fflush(NULL);
                _exit(check_failures ? 1 : 0);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77));
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        if (system(cmd) != 0)
                fprintf(stderr, "test-fileedit: could not remove %s\n", top);
        return check_exit("test-fileedit");
}
