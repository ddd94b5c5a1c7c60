/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "guestd.h"
#include "log.h"
#include "macro.h"
#include "proxy.h"
#include "simcore.h"
#include "toolstack.h"
#include "util.h"

#define START_TRIES 3000 /* x 10 ms for xenstored to answer */

extern char **environ;

struct guestd {
        const struct guestd_config *cfg;
        struct simcore_host *host;
        int epfd;
        struct proxy_watcher sig;
        struct proxy_watcher ctl;
        struct xs_handle *xs;
        sigset_t oldmask; /* for xenstored: the mask we started with */
        pid_t xenstored;
        int xenstored_status;
        bool stopping;
        struct proxy_dom **doms;
};

struct ctl_conn {
        struct proxy_watcher w;
        struct guestd *g;
        char buf[256];
        size_t len;
};

static int guestd_watch(struct guestd *g, struct proxy_watcher *w)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

        if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
                return -errno;
        return 0;
}

/* xenstored's environment: ours, minus what would confuse it, plus the simulation. */
static char **xenstored_env(const struct guestd_config *cfg)
{
        size_t n = 0, k = 0;
        char **env;

        while (environ[n])
                n++;
        env = calloc(n + 4, sizeof(char *));
        if (!env)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!startswith(environ[i], "XENSTORED_PATH=") &&
                    !startswith(environ[i], "XENSTORED_RUNDIR=") &&
                    !startswith(environ[i], "LD_PRELOAD=") &&
                    !startswith(environ[i], "XENSIM_DIR="))
                        env[k++] = environ[i];
        if (asprintf(&env[k++], "XENSTORED_RUNDIR=%s/run", cfg->dir) < 0 ||
            asprintf(&env[k++], "LD_PRELOAD=%s", cfg->preload) < 0 ||
            asprintf(&env[k++], "XENSIM_DIR=%s", cfg->dir) < 0)
                return NULL;
        return env;
}

static _noreturn_ void xenstored_exec(const struct guestd_config *cfg, const sigset_t *old)
{
        char *argv[64] = { (char *)cfg->xenstored, (char *)"-N" };
        size_t n = 2;
        char **env;

        /* It must not outlive us, whatever happens to us. */
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        (void)sigprocmask(SIG_SETMASK, old, NULL);
        for (char **a = cfg->xenstored_args; a && *a && n < ELEMENTSOF(argv) - 1; a++)
                argv[n++] = *a;
        argv[n] = NULL;
        env = xenstored_env(cfg);
        if (env)
                execve(cfg->xenstored, argv, env);
        fprintf(stderr, "xensim: cannot run %s: %m\n", cfg->xenstored);
        _exit(127);
}

static int write_pidfile(struct guestd *g, const char *name, pid_t pid)
{
        char path[4096], buf[32];
        _cleanup_close_ int fd = -1;
        int r;

        r = simcore_path(g->host, path, sizeof(path), "%s", name);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        snprintf(buf, sizeof(buf), "%d\n", (int)pid);
        return write_all(fd, buf, strlen(buf));
}

static int xenstored_spawn(struct guestd *g, const sigset_t *old)
{
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0)
                xenstored_exec(g->cfg, old);
        g->xenstored = pid;
        return write_pidfile(g, "xenstored.pid", pid);
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Waits until xenstored answers on its socket, or dies. */
static int xenstored_wait(struct guestd *g)
{
        char path[4096];
        int status, r;

        r = simcore_path(g->host, path, sizeof(path), "run/socket");
        if (r < 0)
                return r;
        if (setenv("XENSTORED_PATH", path, 1) < 0)
                return -errno;
        for (int i = 0; i < START_TRIES; i++) {
                if (waitpid(g->xenstored, &status, WNOHANG) == g->xenstored) {
                        g->xenstored = 0;
                        return log_error_errno(-ECHILD, "xenstored exited at start-up (status %d), "
                                               "see %s/xenstored.log", status, g->cfg->dir);
                }
                if (access(path, F_OK) == 0) {
                        g->xs = xs_open(XS_OPEN_SOCKETONLY);
                        if (g->xs)
                                return 0;
                }
                sleep_ms(10);
        }
        return log_error_errno(-ETIMEDOUT, "xenstored did not answer on %s", path);
}

/* ---- domains ---- */

static int guestd_add(struct guestd *g, unsigned domid)
{
        struct proxy_dom *d;
        int r;

        if (domid == 0 || domid >= SIMCORE_DOMID_MAX)
                return -EINVAL;
        if (g->doms[domid])
                return -EEXIST;
        r = proxy_dom_new(g->host, g->epfd, domid, &d);
        if (r < 0)
                return log_error_errno(r, "dom%u: cannot set up ring and event channel: %m", domid);
        if (!xs_introduce_domain(g->xs, domid, 0, SIMCORE_GUEST_PORT)) {
                r = -errno;
                proxy_dom_free(d);
                return log_error_errno(r, "dom%u: XS_INTRODUCE failed: %m", domid);
        }
        r = proxy_dom_start(d);
        if (r < 0) {
                proxy_dom_free(d);
                return log_error_errno(r, "dom%u: cannot serve its socket: %m", domid);
        }
        g->doms[domid] = d;
        log_debug("dom%u: introduced", domid);
        return 0;
}

static int guestd_del(struct guestd *g, unsigned domid)
{
        if (domid >= SIMCORE_DOMID_MAX || !g->doms[domid])
                return -ENOENT;
        proxy_dom_free(g->doms[domid]);
        g->doms[domid] = NULL;
        log_debug("dom%u: gone", domid);
        return 0;
}

/* ---- restarting xenstored ---- */

/* As a toolstack restores a domain on a fresh xenstored: its keys, then XS_INTRODUCE. */
static int guestd_restore(struct guestd *g, unsigned domid)
{
        struct toolstack_record rec;
        int r;

        r = toolstack_record_load(g->host, domid, &rec);
        if (r < 0)
                return log_error_errno(r, "dom%u: no toolstack record: %m", domid);
        r = toolstack_write_domain(g->xs, domid, rec.name, rec.uuid);
        if (r < 0)
                return log_error_errno(r, "dom%u: cannot write its keys again: %m", domid);
        if (!xs_introduce_domain(g->xs, domid, 0, SIMCORE_GUEST_PORT))
                return log_error_errno(-errno, "dom%u: XS_INTRODUCE failed: %m", domid);
        r = proxy_dom_resume(g->doms[domid]);
        if (r < 0)
                return log_error_errno(r, "dom%u: cannot serve its socket again: %m", domid);
        log_debug("dom%u: introduced again", domid);
        return 0;
}

/* Kills xenstored (SIGKILL, as a crash would), waits for it, and forgets its connections. */
static void guestd_kill_xenstored(struct guestd *g)
{
        char path[4096];

        if (g->xenstored > 0) {
                (void)kill(g->xenstored, SIGKILL);
                (void)waitpid(g->xenstored, &g->xenstored_status, 0);
                g->xenstored = 0;
        }
        if (g->xs) {
                xs_close(g->xs);
                g->xs = NULL;
        }
        for (unsigned d = 1; d < SIMCORE_DOMID_MAX; d++)
                if (g->doms[d])
                        proxy_dom_reset(g->doms[d]);
        /* dom0's page (xsd_kva) starts fresh too, and the new instance binds the socket anew. */
        (void)simcore_ring_create(g->host, 0);
        if (simcore_path(g->host, path, sizeof(path), "run/socket") >= 0)
                (void)unlink(path);
}

static int guestd_restart(struct guestd *g)
{
        bool exc = false;
        int r;

        log_info("restarting xenstored (pid %d)", (int)g->xenstored);
        guestd_kill_xenstored(g);
        r = xenstored_spawn(g, &g->oldmask);
        if (r >= 0)
                r = xenstored_wait(g);
        if (r < 0)
                return log_error_errno(r, "xenstored did not come back: %m");
        for (unsigned d = 1; d < SIMCORE_DOMID_MAX; d++) {
                enum simcore_state s = simcore_dom_state(g->host, d);

                /* A domain being destroyed is left to its destroyer. */
                if (!g->doms[d] || s == SIMCORE_NONE || s == SIMCORE_DYING)
                        continue;
                r = guestd_restore(g, d);
                if (r < 0)
                        return r;
                exc = exc || s != SIMCORE_RUNNING;
        }
        /* The new xenstored learns of shut down domains as the old one did: from the VIRQ. */
        if (exc)
                (void)toolstack_raise_dom_exc(g->host);
        log_info("xenstored restarted, pid %d", (int)g->xenstored);
        return 0;
}

static void guestd_stop(struct guestd *g)
{
        if (g->stopping)
                return;
        g->stopping = true;
        for (unsigned d = 0; d < SIMCORE_DOMID_MAX; d++)
                (void)guestd_del(g, d);
        if (g->xs) {
                xs_close(g->xs);
                g->xs = NULL;
        }
        if (g->xenstored > 0)
                (void)kill(g->xenstored, SIGTERM);
}

/* ---- control socket ---- */

static int ctl_command(struct guestd *g, char *line)
{
        unsigned domid;

        if (streq(line, "stop")) {
                guestd_stop(g);
                return 0;
        }
        if (streq(line, "ping"))
                return 0;
        if (g->stopping)
                return -ESHUTDOWN;
        if (streq(line, "restart")) {
                int r = guestd_restart(g);

                /* Half a host is worse than none: what cannot be restored stops. */
                if (r < 0)
                        guestd_stop(g);
                return r;
        }
        if (startswith(line, "add ") && safe_atou(line + 4, &domid) >= 0)
                return guestd_add(g, domid);
        if (startswith(line, "del ") && safe_atou(line + 4, &domid) >= 0)
                return guestd_del(g, domid);
        return -EINVAL;
}

static void ctl_conn_free(struct ctl_conn *c)
{
        close(c->w.fd);
        free(c);
}

static void ctl_conn_handler(struct proxy_watcher *w, uint32_t events)
{
        struct ctl_conn *c = (struct ctl_conn *)((char *)w - offsetof(struct ctl_conn, w));
        ssize_t n;
        char *nl;

        n = recv(w->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0)
                return ctl_conn_free(c);
        c->len += (size_t)n;
        c->buf[c->len] = 0;
        while ((nl = strchr(c->buf, '\n'))) {
                char reply[32];
                int r;

                *nl = 0;
                r = ctl_command(c->g, c->buf);
                snprintf(reply, sizeof(reply), r < 0 ? "error %d\n" : "ok\n", -r);
                (void)write_all(w->fd, reply, strlen(reply));
                c->len -= (size_t)(nl + 1 - c->buf);
                memmove(c->buf, nl + 1, c->len + 1);
        }
        if (c->len == sizeof(c->buf) - 1)
                ctl_conn_free(c);
}

static void ctl_handler(struct proxy_watcher *w, uint32_t events)
{
        struct guestd *g = (struct guestd *)((char *)w - offsetof(struct guestd, ctl));
        struct ctl_conn *c;
        int fd;

        fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return;
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return;
        }
        c->g = g;
        c->w = (struct proxy_watcher){ .fd = fd, .handler = ctl_conn_handler };
        if (guestd_watch(g, &c->w) < 0)
                ctl_conn_free(c);
}

static int ctl_listen(struct guestd *g)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int r;

        r = simcore_path(g->host, sun.sun_path, sizeof(sun.sun_path), "guestd.sock");
        if (r < 0)
                return r;
        g->ctl.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (g->ctl.fd < 0)
                return -errno;
        g->ctl.handler = ctl_handler;
        (void)unlink(sun.sun_path);
        if (bind(g->ctl.fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(g->ctl.fd, 16) < 0)
                return -errno;
        return guestd_watch(g, &g->ctl);
}

/* ---- signals ---- */

static void sig_handler(struct proxy_watcher *w, uint32_t events)
{
        struct guestd *g = (struct guestd *)((char *)w - offsetof(struct guestd, sig));
        struct signalfd_siginfo si;
        int status;

        if (read(w->fd, &si, sizeof(si)) != sizeof(si))
                return;
        if (si.ssi_signo != SIGCHLD) {
                guestd_stop(g);
                return;
        }
        if (g->xenstored > 0 && waitpid(g->xenstored, &status, WNOHANG) == g->xenstored) {
                g->xenstored = 0;
                g->xenstored_status = status;
                if (!g->stopping)
                        log_error("xenstored exited unexpectedly (status %d)", status);
                guestd_stop(g);
        }
}

static int guestd_setup(struct guestd *g)
{
        sigset_t mask;
        int r;

        r = simcore_host_open(g->cfg->dir, false, &g->host);
        if (r < 0)
                return log_error_errno(r, "cannot open host directory %s: %m", g->cfg->dir);
        g->doms = calloc(SIMCORE_DOMID_MAX, sizeof(*g->doms));
        g->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (!g->doms || g->epfd < 0)
                return -ENOMEM;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, &g->oldmask) < 0)
                return -errno;
        g->sig = (struct proxy_watcher){ .fd = signalfd(-1, &mask, SFD_CLOEXEC), .handler = sig_handler };
        if (g->sig.fd < 0 || guestd_watch(g, &g->sig) < 0)
                return -errno;
        r = write_pidfile(g, "guestd.pid", getpid());
        if (r >= 0)
                r = xenstored_spawn(g, &g->oldmask);
        if (r >= 0)
                r = xenstored_wait(g);
        if (r >= 0)
                r = ctl_listen(g);
        return r;
}

static int guestd_loop(struct guestd *g)
{
        struct epoll_event evs[64];

        while (!g->stopping || g->xenstored > 0) {
                int n = epoll_wait(g->epfd, evs, ELEMENTSOF(evs), -1);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                for (int i = 0; i < n; i++) {
                        struct proxy_watcher *w = evs[i].data.ptr;

                        w->handler(w, evs[i].events);
                }
        }
        return 0;
}

static void guestd_ready(const struct guestd_config *cfg, int r)
{
        char buf[32];

        if (cfg->ready_fd < 0)
                return;
        snprintf(buf, sizeof(buf), r < 0 ? "error %d\n" : "ok\n", -r);
        (void)write_all(cfg->ready_fd, buf, strlen(buf));
        close(cfg->ready_fd);
}

static void guestd_cleanup(struct guestd *g)
{
        char path[4096];

        guestd_stop(g);
        if (g->xenstored > 0)
                (void)waitpid(g->xenstored, NULL, 0);
        if (g->host) {
                static const char *const names[] = { "guestd.sock", "xenstored.pid", "guestd.pid" };

                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (simcore_path(g->host, path, sizeof(path), "%s", names[i]) >= 0)
                                (void)unlink(path);
        }
        if (g->ctl.fd > 0)
                close(g->ctl.fd);
        if (g->sig.fd > 0)
                close(g->sig.fd);
        if (g->epfd > 0)
                close(g->epfd);
        free(g->doms);
        simcore_host_close(g->host);
}

int guestd_run(const struct guestd_config *cfg)
{
        struct guestd g = { .cfg = cfg, .epfd = -1, .ctl.fd = -1, .sig.fd = -1 };
        int r;

        r = guestd_setup(&g);
        guestd_ready(cfg, r);
        if (r >= 0) {
                log_debug("host %s is up, xenstored pid %d", cfg->dir, (int)g.xenstored);
                r = guestd_loop(&g);
        }
        guestd_cleanup(&g);
        return r;
}
