/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "macro.h"

enum source_kind { SOURCE_IO, SOURCE_TIMER, SOURCE_SIGNAL };

struct loop_source {
        struct loop *loop;
        struct loop_source *next;
        enum source_kind kind;
        loop_io_fn fn;
        loop_signal_fn signal_fn;
        void *userdata;
        int fd;
        bool dead;
};

struct loop {
        int epfd;
        bool quit;
        int code;
        struct loop_source *sources;
        loop_prepare_fn prepare;
        void *prepare_userdata;
};

int loop_new(struct loop **ret)
{
        struct loop *l = calloc(1, sizeof(*l));

        if (!l)
                return -ENOMEM;
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epfd < 0) {
                int r = -errno;

                free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static void source_free(struct loop_source *s)
{
        if (s->kind != SOURCE_IO && s->fd >= 0)
                close(s->fd);
        free(s);
}

/* Frees sources removed during dispatch, once no callback can hold them. */
static void loop_collect(struct loop *l)
{
        struct loop_source **p = &l->sources;

        while (*p) {
                struct loop_source *s = *p;

                if (s->dead) {
                        *p = s->next;
                        source_free(s);
                } else
                        p = &s->next;
        }
}

struct loop *loop_free(struct loop *l)
{
        if (!l)
                return NULL;
        while (l->sources) {
                struct loop_source *s = l->sources;

                l->sources = s->next;
                source_free(s);
        }
        close(l->epfd);
        free(l);
        return NULL;
}

static int loop_add(struct loop *l, int fd, enum source_kind kind, uint32_t events, loop_io_fn fn,
                    void *userdata, struct loop_source **ret)
{
        struct loop_source *s = calloc(1, sizeof(*s));
        struct epoll_event ev = { .events = events };

        if (!s)
                return -ENOMEM;
        *s = (struct loop_source){ .loop = l, .kind = kind, .fn = fn, .userdata = userdata, .fd = fd };
        ev.data.ptr = s;
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;

                free(s);
                return r;
        }
        s->next = l->sources;
        l->sources = s;
        if (ret)
                *ret = s;
        return 0;
}

int loop_add_io(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *userdata,
                struct loop_source **ret)
{
        return loop_add(l, fd, SOURCE_IO, events, fn, userdata, ret);
}

int loop_add_timer(struct loop *l, loop_io_fn fn, void *userdata, struct loop_source **ret)
{
        int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        int r;

        if (fd < 0)
                return -errno;
        r = loop_add(l, fd, SOURCE_TIMER, EPOLLIN, fn, userdata, ret);
        if (r < 0)
                close(fd);
        return r;
}

int loop_add_signals(struct loop *l, const sigset_t *mask, loop_signal_fn fn, void *userdata,
                     struct loop_source **ret)
{
        struct loop_source *s;
        int fd, r;

        if (sigprocmask(SIG_BLOCK, mask, NULL) < 0)
                return -errno;
        fd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = loop_add(l, fd, SOURCE_SIGNAL, EPOLLIN, NULL, userdata, &s);
        if (r < 0) {
                close(fd);
                return r;
        }
        s->signal_fn = fn;
        if (ret)
                *ret = s;
        return 0;
}

void loop_set_prepare(struct loop *l, loop_prepare_fn fn, void *userdata)
{
        l->prepare = fn;
        l->prepare_userdata = userdata;
}

int loop_timer_set(struct loop_source *src, uint64_t first_usec, uint64_t interval_usec)
{
        struct itimerspec its = {
                .it_value = { .tv_sec = first_usec / 1000000, .tv_nsec = (first_usec % 1000000) * 1000 },
                .it_interval = { .tv_sec = interval_usec / 1000000,
                                 .tv_nsec = (interval_usec % 1000000) * 1000 },
        };

        /* A zero it_value disarms: a timer due "now" fires after 1 ns instead. */
        if (first_usec == 0)
                its.it_value.tv_nsec = 1;
        if (timerfd_settime(src->fd, 0, &its, NULL) < 0)
                return -errno;
        return 0;
}

int loop_timer_disarm(struct loop_source *src)
{
        struct itimerspec its = { 0 };

        if (timerfd_settime(src->fd, 0, &its, NULL) < 0)
                return -errno;
        return 0;
}

void loop_source_remove(struct loop_source *src)
{
        if (!src || src->dead)
                return;
        epoll_ctl(src->loop->epfd, EPOLL_CTL_DEL, src->fd, NULL);
        src->dead = true;
}

void loop_quit(struct loop *l, int code)
{
        l->quit = true;
        l->code = code;
}

/* Every pending signal, one call each; stops when the source is removed. */
static int dispatch_signals(struct loop_source *s)
{
        struct signalfd_siginfo si;
        int r = 0;

        while (!s->dead && read(s->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                r = s->signal_fn(s, (int)si.ssi_signo, s->userdata);
        return r;
}

static void dispatch(struct loop_source *s, uint32_t events)
{
        uint64_t expirations;
        int r;

        if (s->dead)
                return;
        /* Timers: consume the expiration count before the callback. */
        if (s->kind == SOURCE_TIMER && read(s->fd, &expirations, sizeof(expirations)) < 0 &&
            errno == EAGAIN)
                return;
        r = s->kind == SOURCE_SIGNAL ? dispatch_signals(s) : s->fn(s, s->fd, events, s->userdata);
        if (r < 0)
                log_debug_errno(r, "Event handler failed: %m");
}

static bool prepare(struct loop *l)
{
        int r;

        if (!l->prepare || l->quit)
                return !l->quit;
        r = l->prepare(l, l->prepare_userdata);
        if (r < 0)
                loop_quit(l, r);
        return !l->quit;
}

int loop_run(struct loop *l)
{
        struct epoll_event evs[16];

        while (prepare(l)) {
                int n = epoll_wait(l->epfd, evs, (int)ELEMENTSOF(evs), -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < n; i++)
                        dispatch(evs[i].data.ptr, evs[i].events);
                loop_collect(l);
        }
        return l->code;
}
