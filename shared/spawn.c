/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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

/* The child's ends of its pipes, and who its parent is. */
struct child_fds {
        int out, null, err;
        int go, go_w;              /* -1, or the pipe that says the program may run */
        pid_t parent;
};

/* The child: everything here must be async-signal-safe (we may be forked from a daemon). */
_noreturn_ static void child(const struct spawn_cmd *c, const struct child_fds *f)
{
        int err_fd = f->err;
        sigset_t all;
        char go;
        int e;

        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        /* The parent may have died before prctl: then nothing would ever send the signal. */
        if (c->die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != f->parent))
                _exit(127);
        if (setpgid(0, 0) < 0 || dup2(f->null, 0) < 0 || dup2(f->out, 1) < 0 || dup2(f->out, 2) < 0)
                goto fail;
        if (c->root_fd >= 0 && (fchdir(c->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0))
                goto fail;
        /* Nothing runs before the parent has seen (and recorded) the group; EOF: it is gone. */
        if (f->go >= 0 && (close(f->go_w) < 0 || read(f->go, &go, 1) != 1))
                _exit(127);
        close_others(err_fd);
        execve(c->path, c->argv, c->envp);
fail:
        e = errno;
        (void)!write(err_fd, &e, sizeof(e));
        _exit(127);
}

/* The errno the child sent when it could not execute the program, else 0. */
static int exec_error(int err_fd)
{
        int e = 0;

        if (read(err_fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
                return 0;
        return e > 0 ? e : EIO;
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
static pid_t start(const struct spawn_cmd *c, int null_fd, int out[2], int err[2])
{
        struct child_fds f = {
                .out = out[1], .null = null_fd, .err = err[1], .go = -1, .parent = getpid()
        };
        int go[2] = { -1, -1 }, r;
        pid_t pid;

        if (c->started && pipe2(go, O_CLOEXEC) < 0) {
                r = -errno;
                close(out[1]);
                close(err[1]);
                return r;
        }
        f.go = go[0];
        f.go_w = go[1];
        pid = fork();
        if (pid == 0)
                child(c, &f);
        r = -errno;
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

int spawn_run(const struct spawn_cmd *c, struct spawn_result *ret)
{
        _cleanup_close_ int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC), pidfd = -1;
        struct spawn_result r = {};
        struct textbuf out;
        int o[2], e[2];
        pid_t pid;

        if (null_fd < 0)
                return -errno;
        if (pipe2(o, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(e, O_CLOEXEC | O_NONBLOCK) < 0) {
                int k = -errno;

                close_pair(o);
                return k;
        }
        pid = start(c, null_fd, o, e);
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
        r.exec_errno = exec_error(e[0]);
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
