/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job.h"
#include "macro.h"

struct job {
        struct loop *loop;
        struct loop_source *src, *timer;
        bool timed_out;
        pid_t pid;
        int fd;
        char *buf;
        size_t len, max;
        job_done_fn done;
        void *userdata;
};

static int wait_child(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 255;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void job_finish(struct job *j)
{
        int status = wait_child(j->pid);

        j->pid = 0;
        loop_source_remove(j->src);
        loop_source_remove(j->timer);
        j->src = j->timer = NULL;
        if (j->timed_out)
                status = -ETIME;
        /* The callback may free the job: nothing touches it afterwards. */
        j->done(j->userdata, status, j->buf ? j->buf : "", j->len);
}

static int on_job_io(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct job *j = userdata;
        char tmp[4096];

        for (;;) {
                ssize_t n = read(fd, tmp, sizeof(tmp));

                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n <= 0) {
                        job_finish(j);
                        return 0;
                }
                /* Beyond max the rest is read and dropped, so the child never blocks. */
                if (j->len < j->max) {
                        size_t k = (size_t)n < j->max - j->len ? (size_t)n : j->max - j->len;

                        memcpy(j->buf + j->len, tmp, k);
                        j->len += k;
                }
        }
}

static _noreturn_ void run_child(job_fn fn, void *arg, int out_fd, pid_t parent)
{
        sigset_t all;

        /*
         * The work dies with the daemon, as the commands it runs die with it
         * (spawn's die_with_parent): what it left is undone by the next start's
         * recovery, never finished behind that recovery's back. getppid(): the
         * daemon may have died before prctl, and then no signal would come.
         */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
        /* The parent blocks its signals for signalfd; the child takes them as usual. */
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        _exit(fn(arg, out_fd));
}

int job_start(struct loop *l, job_fn fn, void *arg, size_t max, job_done_fn done, void *userdata,
              struct job **ret)
{
        struct job *j = calloc(1, sizeof(*j));
        pid_t parent = getpid();
        int p[2], r;

        if (!j)
                return -ENOMEM;
        j->buf = malloc(max + 1);
        if (!j->buf || pipe2(p, O_CLOEXEC) < 0) {
                r = j->buf ? -errno : -ENOMEM;
                free(j->buf);
                free(j);
                return r;
        }
        j->pid = fork();
        if (j->pid < 0) {
                r = -errno;
                close(p[0]);
                close(p[1]);
                free(j->buf);
                free(j);
                return r;
        }
        if (j->pid == 0) {
                close(p[0]);
                run_child(fn, arg, p[1], parent);
        }
        close(p[1]);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        *j = (struct job){ .loop = l, .pid = j->pid, .fd = p[0], .buf = j->buf, .max = max, .done = done,
                           .userdata = userdata };
        r = loop_add_io(l, j->fd, EPOLLIN, on_job_io, j, &j->src);
        if (r < 0) {
                job_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

static int on_timeout(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct job *j = userdata;

        /* The pipe closes when the child is gone: job_finish() follows from there. */
        j->timed_out = true;
        kill(j->pid, SIGKILL);
        return 0;
}

int job_set_timeout(struct job *j, uint64_t usec)
{
        int r = j->timer ? 0 : loop_add_timer(j->loop, on_timeout, j, &j->timer);

        return r < 0 ? r : loop_timer_set(j->timer, usec, 0);
}

struct job *job_free(struct job *j)
{
        if (!j)
                return NULL;
        /* SIGKILL, not SIGTERM: a stopped child would wait for SIGCONT, and we for it. */
        if (j->pid > 0) {
                kill(j->pid, SIGKILL);
                wait_child(j->pid);
        }
        loop_source_remove(j->timer);
        loop_source_remove(j->src);
        if (j->fd >= 0)
                close(j->fd);
        free(j->buf);
        free(j);
        return NULL;
}
