/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "spawn.h"
#include "textbuf.h"
#include "util.h"

/* The child: everything here must be async-signal-safe (we may be forked from a daemon). */
_noreturn_ static void child(const struct spawn_cmd *c, int out_fd, int null_fd)
{
        sigset_t all;

        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        if (setpgid(0, 0) < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
                _exit(127);
        if (c->root_fd >= 0 && (fchdir(c->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0))
                _exit(127);
#ifdef SYS_close_range
        syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
        execve(c->path, c->argv, c->envp);
        _exit(127);
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
static bool drain(int fd, struct textbuf *out)
{
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n > 0) {
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

/*
 * Collects output until the child has exited and the pipe is closed, or the
 * deadline passes. Without a pidfd (old kernels) the exit is seen by the
 * pipe closing, and the status by a blocking waitpid afterwards.
 */
static void collect(pid_t pid, int out_fd, int pidfd, uint64_t deadline, struct textbuf *out,
                    struct spawn_result *r)
{
        bool open = true, exited = false;
        int status = 0;

        while (open || (!exited && pidfd >= 0)) {
                struct pollfd p[2] = { { .fd = open ? out_fd : -1, .events = POLLIN },
                                       { .fd = exited ? -1 : pidfd, .events = POLLIN } };
                int t = wait_deadline(deadline), n;

                if (t == 0) {
                        r->timed_out = true;
                        break;
                }
                n = poll(p, 2, t);
                if (n < 0 && errno != EINTR)
                        break;
                if (n > 0 && p[0].revents)
                        open = drain(out_fd, out);
                if (n > 0 && p[1].revents && waitpid(pid, &status, WNOHANG) == pid)
                        exited = true;
                if (exited && open) {
                        /* Stragglers holding the pipe: the job is over. */
                        kill(-pid, SIGKILL);
                }
        }
        if (!exited) {
                if (r->timed_out)
                        kill_group(pid);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        }
        kill(-pid, SIGKILL);
        r->status = r->timed_out ? 128 + SIGKILL : exit_code(status);
}

int spawn_run(const struct spawn_cmd *c, struct spawn_result *ret)
{
        _cleanup_close_ int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC), pidfd = -1;
        struct spawn_result r = {};
        struct textbuf out;
        int p[2];
        pid_t pid;

        if (null_fd < 0)
                return -errno;
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int e = -errno;
                close(p[0]);
                close(p[1]);
                return e;
        }
        if (pid == 0)
                child(c, p[1], null_fd);
        close(p[1]);
        /* Also here, so that a kill of the group cannot race the child's own setpgid. */
        setpgid(pid, pid);
        pidfd = pidfd_of(pid);
        textbuf_init(&out, c->output_max);
        collect(pid, p[0], pidfd, now_usec(CLOCK_MONOTONIC) + c->timeout_usec, &out, &r);
        close(p[0]);
        if (textbuf_error(&out) < 0) {
                textbuf_done(&out);
                return -ENOMEM;
        }
        r.output = out.data ? out.data : strdup("");
        r.output_len = out.len;
        r.omitted = out.omitted;
        if (!r.output)
                return -ENOMEM;
        *ret = r;
        return 0;
}

void spawn_result_done(struct spawn_result *r)
{
        free(r->output);
        *r = (struct spawn_result){};
}
