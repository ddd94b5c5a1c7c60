/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "render.h"
#include "util.h"

#define OUTPUT_KEEP 400 /* bytes of a command's output kept for the failure reason */

extern char **environ;

static _noreturn_ void child(char *const argv[], int out)
{
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Its own process group, so that a timeout kills whatever it started too. */
        setpgid(0, 0);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(out, STDERR_FILENO) < 0)
                _exit(127);
        execve(argv[0], argv, environ);
        dprintf(STDERR_FILENO, "cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}

/* Waits for pid until deadline: its status, or -ETIMEDOUT. */
static int wait_child(pid_t pid, uint64_t deadline)
{
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status;

        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                uint64_t now = now_usec(CLOCK_MONOTONIC);

                if (w == pid) {
                        if (pidfd >= 0)
                                close(pidfd);
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                }
                if (w < 0 && errno != EINTR) {
                        if (pidfd >= 0)
                                close(pidfd);
                        return -errno;
                }
                if (now >= deadline) {
                        if (pidfd >= 0)
                                close(pidfd);
                        return -ETIMEDOUT;
                }
                if (pidfd >= 0) {
                        struct pollfd p = { .fd = pidfd, .events = POLLIN };
                        uint64_t ms = (deadline - now + 999) / 1000;

                        poll(&p, 1, ms > 1000 ? 1000 : (int)ms);
                } else
                        usleep(20000);
        }
}

/* The tail of the output, on one line, escaped. */
static char *output_tail(int fd)
{
        char buf[OUTPUT_KEEP];
        off_t end = lseek(fd, 0, SEEK_END), from = end > OUTPUT_KEEP ? end - OUTPUT_KEEP : 0;
        ssize_t n = pread(fd, buf, sizeof(buf), from);

        if (n < 0)
                n = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] == '\n')
                        buf[i] = ' ';
        return render_escape(buf, (size_t)n);
}

int mexec(char *const argv[], unsigned timeout_s, char **ret_output)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t)timeout_s * 1000000;
        _cleanup_close_ int out = memfd_create("pvh-monitor-command", MFD_CLOEXEC);
        pid_t pid;
        int r;

        if (out < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child(argv, out);
        setpgid(pid, pid);
        r = wait_child(pid, deadline);
        if (r == -ETIMEDOUT) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (ret_output)
                *ret_output = output_tail(out);
        return r;
}
