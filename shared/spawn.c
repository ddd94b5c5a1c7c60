/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "spawn.h"
#include "textbuf.h"
#include "util.h"

/*
 * Every descriptor above stderr but err_fd, which is close-on-exec: it stays
 * open only if execve fails. close_range() came with Linux 5.9; before it
 * (or when a filter refuses it) one close() per possible descriptor.
 */
static void close_others(int err_fd)
{
        struct rlimit rl;
        int max = 65536;

#ifdef SYS_close_range
        if ((err_fd <= 3 || syscall(SYS_close_range, 3U, (unsigned)err_fd - 1, 0U) == 0) &&
            syscall(SYS_close_range, (unsigned)err_fd + 1, ~0U, 0U) == 0)
                return;
#endif
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < INT_MAX)
                max = (int)rl.rlim_cur;
        for (int fd = 3; fd < max; fd++)
                if (fd != err_fd)
                        close(fd);
}

/* The child's steps, named when one fails (spawn_result.exec_step). */
enum step {
        STEP_STDIO,
        STEP_CHROOT,
        STEP_MOUNTS,
        STEP_ROOT,
        STEP_SETUP,
        STEP_PIVOT,
        STEP_LIMITS,
        STEP_IDENTITY,
        STEP_NO_NEW_PRIVS,
        STEP_EXEC,
        _STEP_MAX,
};

static const char *const step_names[_STEP_MAX] = {
        [STEP_STDIO] = "stdio",
        [STEP_CHROOT] = "chroot",
        [STEP_MOUNTS] = "private mounts",
        [STEP_ROOT] = "private root",
        [STEP_SETUP] = "setup",
        [STEP_PIVOT] = "pivot_root",
        [STEP_LIMITS] = "limits",
        [STEP_IDENTITY] = "identity",
        [STEP_NO_NEW_PRIVS] = "no_new_privs",
        [STEP_EXEC] = "execve",
};

/*
 * The sandbox's steps run in the child, whose parent may have threads:
 * system calls and stack buffers only, no allocation, no stdio.
 */

/* dir "/" name into buf; false when it does not fit. */
static bool join(char *buf, size_t size, const char *dir, const char *name)
{
        size_t a = strlen(dir), b = strlen(name);

        if (a + 1 + b + 1 > size)
                return false;
        memcpy(buf, dir, a);
        buf[a] = '/';
        memcpy(buf + a + 1, name, b + 1);
        return true;
}

/* "size=N,mode=1777" without stdio. */
static void tmpfs_options(char *buf, uint64_t size)
{
        char digits[24];
        size_t n = 0;

        do
                digits[n++] = (char)('0' + size % 10);
        while ((size /= 10) > 0);
        memcpy(buf, "size=", 5);
        buf += 5;
        while (n > 0)
                *buf++ = digits[--n];
        memcpy(buf, ",mode=1777", sizeof(",mode=1777"));
}

static int bind_ro(const char *src, const char *dst)
{
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
                return -errno;
        if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return -errno;
        return 0;
}

/* A top-level directory of the system: the same link, or a read-only bind of it. */
static int add_system_dir(const char *root, const char *name)
{
        char host[64], dst[4096], target[256];
        struct stat st;
        ssize_t n;

        if (!join(host, sizeof(host), "", name) || !join(dst, sizeof(dst), root, name))
                return -ENAMETOOLONG;
        if (lstat(host, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISLNK(st.st_mode)) {
                n = readlink(host, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = 0;
                return symlink(target, dst) < 0 ? -errno : 0;
        }
        if (!S_ISDIR(st.st_mode))
                return 0;
        if (mkdir(dst, 0755) < 0)
                return -errno;
        return bind_ro(host, dst);
}

/* What the parent learns of a grant before the child starts (stat, a user namespace). */
struct grant_prep {
        mode_t type;               /* S_IFBLK, S_IFCHR, S_IFREG, S_IFDIR */
        dev_t rdev;
        int userns_fd;             /* owned regular files: the namespace mapping their owner to the uid */
};

/* mkdir -p of target's parent directories under root. */
static int make_parents(const char *root, const char *target)
{
        char path[4096];
        size_t rl = strlen(root), tl = strlen(target);

        if (rl + tl + 1 > sizeof(path) || target[0] != '/')
                return -EINVAL;
        memcpy(path, root, rl);
        memcpy(path + rl, target, tl + 1);
        for (char *p = path + rl + 1; (p = strchr(p, '/')); p++) {
                *p = 0;
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return 0;
}

static int touch(const char *path, bool dir)
{
        int fd;

        if (dir)
                return mkdir(path, 0755) < 0 ? -errno : 0;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

/* The file, bound read-only through an idmapped mount that shows its owner as the sandbox's uid. */
static int grant_mapped(const char *source, const char *dst, int userns_fd)
{
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                            MOUNT_ATTR_NOEXEC,
                .userns_fd = (uint64_t)userns_fd,
        };
        int fd = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        int r = 0;

        if (fd < 0)
                return -errno;
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
            (r = touch(dst, false)) < 0 ||
            syscall(SYS_move_mount, fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                r = r < 0 ? r : -errno;
        close(fd);
        return r;
}

static int add_grant(const struct spawn_sandbox *sb, const struct spawn_grant *g, const struct grant_prep *p)
{
        char dst[4096];
        int r = make_parents(sb->root_dir, g->target);

        if (r < 0)
                return r;
        if (!join(dst, sizeof(dst), sb->root_dir, g->target + 1))
                return -ENAMETOOLONG;
        if (g->owned && (p->type == S_IFBLK || p->type == S_IFCHR)) {
                if (mknod(dst, p->type | 0400, p->rdev) < 0 || chown(dst, sb->uid, sb->gid) < 0)
                        return -errno;
                return 0;
        }
        if (g->owned)
                return grant_mapped(g->source, dst, p->userns_fd);
        r = touch(dst, p->type == S_IFDIR);
        return r < 0 ? r : bind_ro(g->source, dst);
}

static int build_root(const struct spawn_sandbox *sb, const struct grant_prep *prep)
{
        static const char *const system_dirs[] = { "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
        char path[4096], opts[64];
        int r;

        if (mount("tmpfs", sb->root_dir, "tmpfs", MS_NOSUID, "size=4m,mode=0755") < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
                if ((r = add_system_dir(sb->root_dir, system_dirs[i])) < 0)
                        return r;
        if (!join(path, sizeof(path), sb->root_dir, "dev") || mkdir(path, 0755) < 0)
                return -errno;
        if (!join(path, sizeof(path), sb->root_dir, "dev/null") ||
            mknod(path, S_IFCHR | 0666, makedev(1, 3)) < 0 || chmod(path, 0666) < 0)
                return -errno;
        if (!join(path, sizeof(path), sb->root_dir, "tmp") || mkdir(path, 01777) < 0)
                return -errno;
        tmpfs_options(opts, sb->tmp_size);
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
                return -errno;
        for (size_t i = 0; i < sb->n_grants; i++)
                if ((r = add_grant(sb, &sb->grants[i], &prep[i])) < 0)
                        return r;
        if (sb->proc && (sb->namespaces & CLONE_NEWPID)) {
                if (!join(path, sizeof(path), sb->root_dir, "proc") || mkdir(path, 0555) < 0 ||
                    mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") < 0)
                        return -errno;
        }
        return 0;
}

static int enter_root(const char *dir)
{
        if (chdir(dir) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
            chdir("/") < 0)
                return -errno;
        if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL) < 0)
                return -errno;
        return 0;
}

static int set_limits(const struct spawn_sandbox *sb)
{
        for (size_t i = 0; i < sb->n_rlimits; i++) {
                struct rlimit rl = { .rlim_cur = sb->rlimits[i].soft, .rlim_max = sb->rlimits[i].hard };

                if (setrlimit(sb->rlimits[i].resource, &rl) < 0)
                        return -errno;
        }
        return 0;
}

static int drop_identity(const struct spawn_sandbox *sb)
{
        if (sb->uid == 0)
                return 0;
        if (setgroups(0, NULL) < 0 || setresgid(sb->gid, sb->gid, sb->gid) < 0 ||
            setresuid(sb->uid, sb->uid, sb->uid) < 0)
                return -errno;
        return 0;
}

/* Everything up to the identity; sets *step to the one that failed. */
static int sandbox_enter(const struct spawn_sandbox *sb, const struct grant_prep *prep, enum step *step)
{
        bool newns = sb->namespaces & CLONE_NEWNS;
        int r;

        *step = STEP_MOUNTS;
        if (newns && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        *step = STEP_ROOT;
        if (newns && sb->root_dir && (r = build_root(sb, prep)) < 0)
                return r;
        *step = STEP_SETUP;
        if (sb->setup && (r = sb->setup(newns && sb->root_dir ? sb->root_dir : "/", sb->userdata)) < 0)
                return r;
        *step = STEP_PIVOT;
        if (newns && sb->root_dir && (r = enter_root(sb->root_dir)) < 0)
                return r;
        *step = STEP_LIMITS;
        if ((r = set_limits(sb)) < 0)
                return r;
        *step = STEP_IDENTITY;
        if ((r = drop_identity(sb)) < 0)
                return r;
        *step = STEP_NO_NEW_PRIVS;
        if (sb->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

/* The child's ends of its pipes, and who its parent is. */
struct child_fds {
        int out, null, err;
        int go, go_w;              /* -1, or the pipe that says the program may run */
        /*
         * As the child sees it. In a new PID namespace the parent is outside and
         * getppid() is 0 whether it lives or not: there the sandbox's limits end
         * a child whose parent died before prctl.
         */
        pid_t parent;
};

/* The child: everything here must be async-signal-safe (we may be forked from a daemon). */
_noreturn_ static void child(const struct spawn_cmd *c, const struct grant_prep *prep, const struct child_fds *f)
{
        enum step step = STEP_STDIO;
        int err_fd = f->err;
        sigset_t all;
        int e[2], r;
        char go;

        /*
         * Every signal is blocked (start() forked us so). Until setpgid, a
         * signal for the caller's process group reaches us too: the caller's
         * answer to it, not ours. Out of that group first, then each such
         * signal still pending is dropped (SIG_IGN discards it) before the
         * defaults and the empty mask: a SIGHUP the caller ignores cannot kill
         * a command between fork and exec. The caller only ever SIGKILLs our
         * group, which no mask holds back.
         */
        if (setpgid(0, 0) < 0)
                goto fail;
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP) {
                        signal(s, SIG_IGN);
                        signal(s, SIG_DFL);
                }
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        /* The parent may have died before prctl: then nothing would ever send the signal. */
        if (c->die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != f->parent))
                _exit(127);
        if (dup2(f->null, 0) < 0 || dup2(f->out, 1) < 0 || dup2(f->out, 2) < 0)
                goto fail;
        step = STEP_CHROOT;
        if (c->root_fd >= 0 && (fchdir(c->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0))
                goto fail;
        /* Nothing runs before the parent has seen (and recorded) the group; EOF: it is gone. */
        if (f->go >= 0 && (close(f->go_w) < 0 || read(f->go, &go, 1) != 1))
                _exit(127);
        if (c->sandbox) {
                umask(022);
                r = sandbox_enter(c->sandbox, prep, &step);
                if (r < 0) {
                        errno = -r;
                        goto fail;
                }
        }
        step = STEP_EXEC;
        close_others(err_fd);
        execve(c->path, c->argv, c->envp);
fail:
        e[0] = errno;
        e[1] = (int)step;
        (void)!write(err_fd, e, sizeof(e));
        _exit(127);
}

/* The errno the child sent when it could not execute the program (else 0), and its step. */
static int exec_error(int err_fd, const char **ret_step)
{
        int e[2] = {};

        if (read(err_fd, e, sizeof(e)) != (ssize_t)sizeof(e))
                return 0;
        *ret_step = e[1] >= 0 && e[1] < _STEP_MAX ? step_names[e[1]] : "?";
        return e[0] > 0 ? e[0] : EIO;
}

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);

        if (fd >= 0)
                return fd;
#endif
        return -1;
}

static void kill_group(pid_t pid)
{
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
}

static int exit_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

/* Reads what is there; returns false at end of file. */
static bool drain(int fd, bool tail, struct textbuf *out)
{
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n > 0) {
                if (tail)
                        textbuf_append_tail(out, buf, (size_t)n);
                else
                        textbuf_append(out, buf, (size_t)n);
                return true;
        }
        return n < 0 && (errno == EINTR || errno == EAGAIN);
}

static int wait_deadline(uint64_t deadline)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (now >= deadline)
                return 0;
        return (int)((deadline - now + 999) / 1000 > 60000 ? 60000 : (deadline - now + 999) / 1000);
}

static bool running(const struct spawn_cmd *c, bool open, bool exited, int pidfd)
{
        if (c->keep_leftovers)
                return !exited;
        return open || (!exited && pidfd >= 0);
}

/* After the program's exit: the output already in the pipe, without waiting for more. */
static void drain_ready(int fd, bool tail, struct textbuf *out)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        while (poll(&p, 1, 0) > 0 && drain(fd, tail, out))
                ;
}

/*
 * Collects output until the child has exited and the pipe is closed (with
 * keep_leftovers: until the child has exited), or the deadline passes.
 * Without a pidfd (old kernels) the exit is seen by the pipe closing, or by
 * polling waitpid with keep_leftovers, and the status by a blocking waitpid.
 */
static void collect(const struct spawn_cmd *c, pid_t pid, int out_fd, int pidfd,
                    struct textbuf *out, struct spawn_result *r)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + c->timeout_usec;
        bool open = true, exited = false, tick = pidfd < 0 && c->keep_leftovers;
        int status = 0;

        while (running(c, open, exited, pidfd)) {
                struct pollfd p[2] = { { .fd = open ? out_fd : -1, .events = POLLIN },
                                       { .fd = exited ? -1 : pidfd, .events = POLLIN } };
                int t = wait_deadline(deadline), n;

                if (t == 0) {
                        r->timed_out = true;
                        break;
                }
                n = poll(p, 2, tick && t > 50 ? 50 : t);
                if (n < 0 && errno != EINTR)
                        break;
                if (n > 0 && p[0].revents)
                        open = drain(out_fd, c->keep_tail, out);
                if (((n > 0 && p[1].revents) || tick) && waitpid(pid, &status, WNOHANG) == pid)
                        exited = true;
                if (exited && open && !c->keep_leftovers) {
                        /* Stragglers holding the pipe: the job is over. */
                        kill(-pid, SIGKILL);
                }
        }
        if (exited && open)
                drain_ready(out_fd, c->keep_tail, out);
        if (!exited) {
                if (r->timed_out)
                        kill_group(pid);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        }
        if (r->timed_out || !c->keep_leftovers)
                kill(-pid, SIGKILL);
        r->status = r->timed_out ? 128 + SIGKILL : exit_code(status);
}

static void close_pair(int p[2])
{
        close(p[0]);
        close(p[1]);
}

/*
 * fork(), or with namespaces clone3() creating the child in them. The child
 * of a raw clone3 runs no fork handlers: it only makes system calls until
 * execve.
 */
static pid_t new_process(const struct spawn_cmd *c)
{
        struct clone_args args = { .exit_signal = SIGCHLD };

        if (!c->sandbox || !c->sandbox->namespaces)
                return fork();
        args.flags = c->sandbox->namespaces;
        return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* Tells the caller about the child, then lets it run the program, or kills it unrun. */
static int let_go(const struct spawn_cmd *c, pid_t pid, int go_fd)
{
        int r = c->started(pid, c->userdata);

        if (r >= 0 && write(go_fd, "", 1) != 1)
                r = -errno;
        close(go_fd);
        if (r < 0) {
                kill_group(pid);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        return r;
}

/* Forks the child; out[0] and err[0] are the parent's ends, the others are closed here. */
static pid_t start(const struct spawn_cmd *c, const struct grant_prep *prep, int null_fd, int out[2], int err[2])
{
        bool newpid = c->sandbox && (c->sandbox->namespaces & CLONE_NEWPID);
        struct child_fds f = {
                .out = out[1], .null = null_fd, .err = err[1], .go = -1, .parent = newpid ? 0 : getpid()
        };
        int go[2] = { -1, -1 }, r;
        sigset_t all, mask;
        pid_t pid;

        if (c->started && pipe2(go, O_CLOEXEC) < 0) {
                r = -errno;
                close(out[1]);
                close(err[1]);
                return r;
        }
        f.go = go[0];
        f.go_w = go[1];
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &mask);
        pid = new_process(c);
        if (pid == 0)
                child(c, prep, &f);
        r = -errno;
        sigprocmask(SIG_SETMASK, &mask, NULL);
        close(out[1]);
        close(err[1]);
        if (go[0] >= 0)
                close(go[0]);
        if (pid < 0) {
                if (go[1] >= 0)
                        close(go[1]);
                return r;
        }
        /* Also here, so that a kill of the group cannot race the child's own setpgid. */
        setpgid(pid, pid);
        if (c->started && (r = let_go(c, pid, go[1])) < 0)
                return r;
        return pid;
}

static int result_of(struct textbuf *out, struct spawn_result *r, struct spawn_result *ret)
{
        if (textbuf_error(out) < 0) {
                textbuf_done(out);
                return -ENOMEM;
        }
        r->output = out->data ? out->data : strdup("");
        r->output_len = out->len;
        r->omitted = out->omitted;
        if (!r->output)
                return -ENOMEM;
        *ret = *r;
        return 0;
}

/*
 * A user namespace mapping owner (uid and gid) to the sandbox's identity, for
 * an idmapped mount: made by a child that unshares and waits while its map is
 * written, then is killed; the namespace lives on in the returned fd.
 */
static int userns_for(uid_t owner_uid, gid_t owner_gid, uid_t uid, gid_t gid)
{
        char path[64], map[64];
        int sv[2], fd = -1, r = 0;
        pid_t pid;
        char c;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid = fork();
        if (pid == 0) {
                c = unshare(CLONE_NEWUSER) < 0 ? 'e' : 'u';
                (void)!write(sv[1], &c, 1);
                (void)!read(sv[1], &c, 1);
                _exit(0);
        }
        if (pid < 0 || read(sv[0], &c, 1) != 1 || c != 'u')
                r = pid < 0 ? -errno : -EPERM;
        for (int i = 0; r >= 0 && i < 2; i++) {
                _cleanup_close_ int m = -1;

                snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, i ? "gid_map" : "uid_map");
                snprintf(map, sizeof(map), "%u %u 1\n", i ? (unsigned)owner_gid : (unsigned)owner_uid,
                         i ? (unsigned)gid : (unsigned)uid);
                m = open(path, O_WRONLY | O_CLOEXEC);
                if (m < 0 || write(m, map, strlen(map)) != (ssize_t)strlen(map))
                        r = -errno;
        }
        if (r >= 0) {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                r = fd < 0 ? -errno : 0;
        }
        if (pid > 0) {
                kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        close(sv[0]);
        close(sv[1]);
        return r < 0 ? r : fd;
}

static void grants_done(struct grant_prep *prep, size_t n)
{
        for (size_t i = 0; prep && i < n; i++)
                if (prep[i].userns_fd >= 0)
                        close(prep[i].userns_fd);
        free(prep);
}

/* What the child needs of each grant, learnt before it starts. */
static int grants_prepare(const struct spawn_sandbox *sb, struct grant_prep **ret)
{
        struct grant_prep *prep = calloc(sb->n_grants ? sb->n_grants : 1, sizeof(*prep));
        int r = 0;

        if (!prep)
                return -ENOMEM;
        for (size_t i = 0; i < sb->n_grants; i++)
                prep[i].userns_fd = -1;
        for (size_t i = 0; i < sb->n_grants && r >= 0; i++) {
                const struct spawn_grant *g = &sb->grants[i];
                struct stat st;

                if (stat(g->source, &st) < 0) {
                        r = -errno;
                        break;
                }
                prep[i].type = st.st_mode & S_IFMT;
                prep[i].rdev = st.st_rdev;
                if (!g->owned)
                        r = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ? 0 : -EINVAL;
                else if (sb->uid == 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)))
                        r = -EINVAL;
                else if (S_ISREG(st.st_mode)) {
                        prep[i].userns_fd = userns_for(st.st_uid, st.st_gid, sb->uid, sb->gid);
                        r = prep[i].userns_fd < 0 ? prep[i].userns_fd : 0;
                }
        }
        if (r < 0) {
                grants_done(prep, sb->n_grants);
                return r;
        }
        *ret = prep;
        return 0;
}

int spawn_run(const struct spawn_cmd *c, struct spawn_result *ret)
{
        _cleanup_close_ int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC), pidfd = -1;
        struct grant_prep *prep = NULL;
        struct spawn_result r = {};
        struct textbuf out;
        int o[2], e[2], k;
        pid_t pid;

        if (null_fd < 0)
                return -errno;
        if (c->sandbox && (k = grants_prepare(c->sandbox, &prep)) < 0)
                return k;
        if (pipe2(o, O_CLOEXEC) < 0) {
                k = -errno;
                grants_done(prep, c->sandbox ? c->sandbox->n_grants : 0);
                return k;
        }
        if (pipe2(e, O_CLOEXEC | O_NONBLOCK) < 0) {
                k = -errno;
                close_pair(o);
                grants_done(prep, c->sandbox ? c->sandbox->n_grants : 0);
                return k;
        }
        pid = start(c, prep, null_fd, o, e);
        grants_done(prep, c->sandbox ? c->sandbox->n_grants : 0);
        if (pid < 0) {
                close(o[0]);
                close(e[0]);
                return (int)pid;
        }
        pidfd = pidfd_of(pid);
        textbuf_init(&out, c->output_max);
        collect(c, pid, o[0], pidfd, &out, &r);
        close(o[0]);
        /* The child is reaped: whatever it wrote to the error pipe is there. */
        r.exec_errno = exec_error(e[0], &r.exec_step);
        close(e[0]);
        return result_of(&out, &r, ret);
}

void spawn_result_done(struct spawn_result *r)
{
        free(r->output);
        *r = (struct spawn_result){};
}

/* ---- process groups left behind by a caller that died ---- */

/* From /proc/PID/stat: the state, the process group and the start time. */
static int proc_stat(const char *pid, char *ret_state, pid_t *ret_pgrp, uint64_t *ret_start)
{
        char path[64], buf[1024];
        _cleanup_close_ int fd = -1;
        const char *p;
        ssize_t n;
        int pgrp;

        snprintf(path, sizeof(path), "/proc/%s/stat", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? -errno : -ENODATA;
        buf[n] = '\0';
        /* The command name may hold spaces and parentheses: the fields start after the last ')'. */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1,
                         " %c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
                         "%*d %" SCNu64,
                         ret_state, &pgrp, ret_start) != 3)
                return -EBADMSG;
        *ret_pgrp = pgrp;
        return 0;
}

static int boot_id(char ret[static 37])
{
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, ret, 36);
        if (n != 36)
                return n < 0 ? -errno : -EBADMSG;
        ret[36] = '\0';
        return 0;
}

int spawn_group_of(pid_t pid, struct spawn_group *ret)
{
        struct spawn_group g = { .pgid = pid };
        char name[24], state;
        pid_t pgrp;
        int r;

        snprintf(name, sizeof(name), "%d", (int)pid);
        if ((r = proc_stat(name, &state, &pgrp, &g.start)) < 0 || (r = boot_id(g.boot_id)) < 0)
                return r;
        *ret = g;
        return 0;
}

uint64_t spawn_user_tasks(uid_t uid)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        uint64_t n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                char path[64], buf[4096], *u, *t;
                unsigned long ruid, threads;
                ssize_t len;
                int fd;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%.20s/status", de->d_name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                len = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (len <= 0)
                        continue;
                buf[len] = 0;
                u = strstr(buf, "\nUid:");
                t = strstr(buf, "\nThreads:");
                if (u && t && sscanf(u, "\nUid: %lu", &ruid) == 1 && sscanf(t, "\nThreads: %lu", &threads) == 1 &&
                    ruid == (unsigned long)uid)
                        n += threads;
        }
        closedir(d);
        return n;
}

/* The processes of the group that still run (zombies aside). */
static int group_members(pid_t pgid)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        int n = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                uint64_t start;
                char state;
                pid_t pgrp;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                if (proc_stat(de->d_name, &state, &pgrp, &start) >= 0 && pgrp == pgid &&
                    state != 'Z' && state != 'X')
                        n++;
        }
        closedir(d);
        return n;
}

/* Whether the group is the one recorded: the same boot, its leader's pid no one else's now. */
static bool group_is(const struct spawn_group *g)
{
        char boot[37], name[24], state;
        uint64_t start;
        pid_t pgrp;

        if (g->pgid <= 1 || boot_id(boot) < 0 || !streq(boot, g->boot_id))
                return false;
        snprintf(name, sizeof(name), "%d", (int)g->pgid);
        return proc_stat(name, &state, &pgrp, &start) < 0 || start == g->start;
}

int spawn_group_kill(const struct spawn_group *g, uint64_t timeout_usec)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        int n, found = 0;

        if (!group_is(g))
                return 0;
        while ((n = group_members(g->pgid)) > 0) {
                if (found == 0)
                        found = n;
                kill(-g->pgid, SIGKILL);
                if (now_usec(CLOCK_MONOTONIC) >= deadline)
                        return -ETIME;
                nanosleep(&pause, NULL);
        }
        return n < 0 ? n : found;
}

int spawn_start(const char *path, char *const argv[], int stdout_fd, pid_t *ret_pid)
{
        sigset_t none;
        pid_t pid;

        sigemptyset(&none);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (sigprocmask(SIG_SETMASK, &none, NULL) < 0 ||
                    (stdout_fd >= 0 && stdout_fd != STDOUT_FILENO && dup2(stdout_fd, STDOUT_FILENO) < 0))
                        _exit(127);
                close_others(STDERR_FILENO);
                execv(path, argv);
                _exit(127);
        }
        *ret_pid = pid;
        return 0;
}
