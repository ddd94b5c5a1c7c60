/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

/* The child: everything here must be async-signal-safe (we may be forked from a daemon). */
_noreturn_ static void child(const struct spawn_cmd *c, int out_fd, int null_fd, int err_fd)
{
        sigset_t all;
        int e;

        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        if (setpgid(0, 0) < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
                goto fail;
        if (c->root_fd >= 0 && (fchdir(c->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0))
                goto fail;
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

/* Forks the child; out[0] and err[0] are the parent's ends, the others are closed here. */
static pid_t start(const struct spawn_cmd *c, int null_fd, int out[2], int err[2])
{
        pid_t pid = fork();

        if (pid == 0)
                child(c, out[1], null_fd, err[1]);
        close(out[1]);
        close(err[1]);
        if (pid < 0)
                return -errno;
        /* Also here, so that a kill of the group cannot race the child's own setpgid. */
        setpgid(pid, pid);
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
