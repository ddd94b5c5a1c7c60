/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xensim: a simulated Xen host around the real xenstored. See README.md.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guestd.h"
#include "log.h"
#include "macro.h"
#include "simcore.h"
#include "toolstack.h"
#include "trace.h"
#include "util.h"

#define USAGE_ERROR INT_MIN
#define STOP_WAIT_STEPS 3000 /* x 10 ms: a bound against hanging */

static const char *arg_preload;
static bool arg_verbose;

static int usage(FILE *f)
{
        fputs("Usage: xensim [--preload=SO] [-v] COMMAND DIR [ARGS]\n"
              "  start DIR [-- XENSTORED-ARGS]  start xenstored and the guest side in DIR\n"
              "  create DIR DOMID|FIRST-LAST [NAME [UUID]]  create and introduce domains\n"
              "  shutdown DIR DOMID              mark a domain shut down (VIRQ_DOM_EXC)\n"
              "  crash DIR DOMID                 mark a domain crashed (VIRQ_DOM_EXC)\n"
              "  destroy DIR DOMID|FIRST-LAST    destroy domains, as xl destroy\n"
              "  list DIR                        DOMID STATE NAME, one per line\n"
              "  env DIR [DOMID]                 XENSTORED_PATH=... for dom0 or a guest\n"
              "  restart-xenstored DIR           kill xenstored, start a new one, restore domains\n"
              "  trace-mark DIR                  the trace's current size, for --since\n"
              "  trace-count DIR DOMID [--since MARK]  requests DOMID sent, per the trace\n"
              "  stop DIR                        stop everything, wait for it to exit\n",
              f);
        return f == stdout ? 0 : 2;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int parse_range(const char *s, unsigned *first, unsigned *last)
{
        char buf[32], *dash;

        if (strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        dash = strchr(buf, '-');
        if (dash)
                *dash = 0;
        if (safe_atou(buf, first) < 0 || (dash && safe_atou(dash + 1, last) < 0))
                return -EINVAL;
        if (!dash)
                *last = *first;
        if (*first == 0 || *first > *last || *last >= SIMCORE_DOMID_MAX)
                return -ERANGE;
        return 0;
}

/* ---- the supervisor: pid file, liveness, control socket ---- */

static pid_t read_pid(const struct simcore_host *h, const char *name)
{
        char path[4096], buf[32] = "";
        _cleanup_close_ int fd = -1;
        unsigned pid;
        ssize_t n;

        if (simcore_path(h, path, sizeof(path), "%s", name) < 0)
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[strcspn(buf, "\n")] = 0;
        return safe_atou(buf, &pid) < 0 ? 0 : (pid_t)pid;
}

/* Alive and not a zombie (our callers are rarely its parent). */
static bool pid_alive(pid_t pid)
{
        char path[64], buf[512], *rp;
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (pid <= 0)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = 0;
        rp = strrchr(buf, ')');
        return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

static int ctl_connect(const struct simcore_host *h)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int fd, r;

        r = simcore_path(h, sun.sun_path, sizeof(sun.sun_path), "guestd.sock");
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                r = -errno;
                close(fd);
                return r == -ENOENT || r == -ECONNREFUSED ? -ENOTCONN : r;
        }
        return fd;
}

/* One command, one answer line: "ok" or "error ERRNO". */
_printf_(2, 3) static int ctl_call(int fd, const char *fmt, ...)
{
        char line[64];
        size_t len = 0;
        va_list ap;
        int e;

        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (write_all(fd, line, strlen(line)) < 0)
                return -EPIPE;
        while (len < sizeof(line) - 1) {
                ssize_t n = read(fd, line + len, 1);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -EPIPE;
                if (line[len++] == '\n')
                        break;
        }
        line[len] = 0;
        if (startswith(line, "ok"))
                return 0;
        if (sscanf(line, "error %d", &e) == 1 && e > 0)
                return -e;
        return -EPROTO;
}

static int host_open_running(const char *dir, struct simcore_host **ret)
{
        int r = simcore_host_open(dir, false, ret);

        if (r < 0)
                return log_error_errno(r, "%s is not a simulated host: %m", dir);
        if (!pid_alive(read_pid(*ret, "guestd.pid"))) {
                simcore_host_close(*ret);
                return log_error_errno(-ENOTCONN, "no host is running in %s", dir);
        }
        return 0;
}

/* ---- start ---- */

static int find_preload(char *buf, size_t size)
{
        char exe[PATH_MAX], *dir;
        ssize_t n;

        if (!arg_preload)
                arg_preload = getenv("XENSIM_PRELOAD");
        if (arg_preload) {
                if (!realpath(arg_preload, buf))
                        return log_error_errno(-errno, "preload library %s: %m", arg_preload);
                return 0;
        }
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n < 0)
                return -errno;
        exe[n] = 0;
        dir = dirname(exe);
        /* In the build tree, libtool keeps the module under .libs/ next to us. */
        snprintf(buf, size, "%s/.libs/libxensim-hv.so", dir);
        if (access(buf, R_OK) == 0)
                return 0;
        snprintf(buf, size, "%s/libxensim-hv.so", dir);
        if (access(buf, R_OK) == 0)
                return 0;
        return log_error_errno(-ENOENT, "cannot find libxensim-hv.so next to xensim; "
                               "use --preload or XENSIM_PRELOAD");
}

/* The daemon: no controlling terminal, stdio to DIR/host.log, only the ready pipe kept. */
static _noreturn_ void daemon_main(struct guestd_config *cfg)
{
        char log[PATH_MAX];
        int fd;

        (void)setsid();
        snprintf(log, sizeof(log), "%s/host.log", cfg->dir);
        fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                _exit(1);
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
                _exit(1);
        if (dup2(cfg->ready_fd, 3) < 0)
                _exit(1);
        cfg->ready_fd = 3;
        (void)close_range(4, ~0U, 0);
        (void)fcntl(3, F_SETFD, FD_CLOEXEC);
        log_setup("xensim", cfg->verbose);
        _exit(guestd_run(cfg) < 0 ? 1 : 0);
}

static int start_daemon(struct guestd_config *cfg)
{
        int p[2], status;
        char buf[32] = "";
        ssize_t n;
        pid_t pid;
        int e;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(p[0]);
                cfg->ready_fd = p[1];
                if (fork() == 0)
                        daemon_main(cfg);
                _exit(0);
        }
        close(p[1]);
        (void)waitpid(pid, &status, 0);
        do
                n = read(p[0], buf, sizeof(buf) - 1);
        while (n < 0 && errno == EINTR);
        close(p[0]);
        if (n > 0 && startswith(buf, "ok"))
                return 0;
        if (n > 0 && sscanf(buf, "error %d", &e) == 1 && e > 0)
                return -e;
        return -ECHILD;
}

static int cmd_start(const char *dir, char **extra)
{
        struct guestd_config cfg = { .xenstored_args = extra, .verbose = arg_verbose };
        struct simcore_host *h;
        char preload[PATH_MAX];
        int r;

        cfg.xenstored = getenv("XENSTORED") ?: XENSTORED_BIN;
        if (access(cfg.xenstored, X_OK) < 0)
                return log_error_errno(-errno, "xenstored %s: %m", cfg.xenstored);
        r = find_preload(preload, sizeof(preload));
        if (r < 0)
                return r;
        cfg.preload = preload;
        r = simcore_host_open(dir, true, &h);
        if (r < 0)
                return log_error_errno(r, "cannot set up host directory %s: %m", dir);
        if (pid_alive(read_pid(h, "guestd.pid"))) {
                simcore_host_close(h);
                return log_error_errno(-EBUSY, "a host is already running in %s", dir);
        }
        memset(h->domtab, 0, SIMCORE_DOMID_MAX);
        simcore_dom_set_state(h, 0, SIMCORE_RUNNING);
        cfg.dir = h->dir;
        r = start_daemon(&cfg);
        simcore_host_close(h);
        if (r < 0)
                return log_error_errno(r, "host in %s failed to start: %m (see %s/host.log)", dir, dir);
        return 0;
}

/* ---- stop ---- */

static int wait_gone(pid_t pid)
{
        for (int i = 0; i < STOP_WAIT_STEPS && pid_alive(pid); i++)
                sleep_ms(10);
        return pid_alive(pid) ? -ETIMEDOUT : 0;
}

static int cmd_stop(const char *dir)
{
        struct simcore_host *h;
        pid_t guestd, xenstored;
        int fd, r;

        if (simcore_host_open(dir, false, &h) < 0)
                return 0; /* nothing was ever started here */
        guestd = read_pid(h, "guestd.pid");
        xenstored = read_pid(h, "xenstored.pid");
        fd = ctl_connect(h);
        if (fd >= 0) {
                (void)ctl_call(fd, "stop\n");
                close(fd);
        } else if (pid_alive(guestd)) {
                (void)kill(guestd, SIGTERM);
        }
        r = wait_gone(guestd);
        if (r >= 0)
                r = wait_gone(xenstored);
        if (r < 0 && pid_alive(xenstored))
                (void)kill(xenstored, SIGKILL);
        simcore_host_close(h);
        if (r < 0)
                return log_error_errno(r, "host in %s did not stop", dir);
        return 0;
}

/* ---- domains ---- */

static int create_one(struct simcore_host *h, struct xs_handle *xs, int ctl, unsigned domid,
                      const char *name, const char *uuid)
{
        struct toolstack_record rec;
        int r;

        if (simcore_dom_state(h, domid) != SIMCORE_NONE)
                return log_error_errno(-EEXIST, "domain %u exists", domid);
        r = toolstack_record_new(h, domid, name, uuid, &rec);
        if (r < 0)
                return log_error_errno(r, "domain %u: cannot record it: %m", domid);
        /* The domain exists for the hypervisor first: only then can nodes belong to it. */
        simcore_dom_set_state(h, domid, SIMCORE_RUNNING);
        r = toolstack_write_domain(xs, domid, rec.name, rec.uuid);
        if (r < 0) {
                log_error_errno(r, "domain %u: cannot write its xenstore keys: %m", domid);
                goto fail;
        }
        r = ctl_call(ctl, "add %u\n", domid);
        if (r < 0) {
                log_error_errno(r, "domain %u: guest side failed: %m (see host.log)", domid);
                goto fail;
        }
        return 0;
fail:
        (void)toolstack_remove_domain(xs, domid);
        (void)toolstack_record_remove(h, domid);
        simcore_dom_set_state(h, domid, SIMCORE_NONE);
        return r;
}

static int cmd_create(const char *dir, const char *range, const char *name, const char *uuid)
{
        struct simcore_host *h;
        struct xs_handle *xs = NULL;
        unsigned first, last;
        int ctl = -1, r;

        if (parse_range(range, &first, &last) < 0)
                return log_error_errno(-EINVAL, "bad domain id or range '%s' (1-%u)", range,
                                       SIMCORE_DOMID_MAX - 1);
        if (uuid && first != last)
                return log_error_errno(-EINVAL, "a UUID names one domain, not a range");
        r = host_open_running(dir, &h);
        if (r < 0)
                return r;
        r = toolstack_open(h, &xs);
        if (r >= 0)
                r = ctl = ctl_connect(h);
        for (unsigned d = first; r >= 0 && d <= last; d++) {
                char buf[128];

                if (name && first == last)
                        snprintf(buf, sizeof(buf), "%s", name);
                else
                        snprintf(buf, sizeof(buf), "%s%u", name ?: "guest", d);
                r = create_one(h, xs, ctl, d, buf, uuid);
        }
        if (ctl >= 0)
                close(ctl);
        if (xs)
                xs_close(xs);
        simcore_host_close(h);
        return r;
}

static int destroy_one(struct simcore_host *h, struct xs_handle *xs, int ctl, unsigned domid)
{
        int r;

        if (simcore_dom_state(h, domid) == SIMCORE_NONE)
                return log_error_errno(-ENOENT, "no domain %u", domid);
        r = toolstack_remove_domain(xs, domid);
        if (r < 0)
                log_warning_errno(r, "domain %u: cannot remove its keys: %m", domid);
        simcore_dom_set_state(h, domid, SIMCORE_DYING);
        r = toolstack_wait_release(xs, h, domid, true);
        if (r < 0)
                log_error_errno(r, "domain %u: xenstored did not release it: %m", domid);
        (void)ctl_call(ctl, "del %u\n", domid);
        (void)toolstack_record_remove(h, domid);
        simcore_dom_set_state(h, domid, SIMCORE_NONE);
        return r;
}

static int cmd_destroy(const char *dir, const char *range)
{
        struct simcore_host *h;
        struct xs_handle *xs = NULL;
        unsigned first, last;
        int ctl = -1, r;

        if (parse_range(range, &first, &last) < 0)
                return log_error_errno(-EINVAL, "bad domain id or range '%s'", range);
        r = host_open_running(dir, &h);
        if (r < 0)
                return r;
        r = toolstack_open(h, &xs);
        if (r >= 0)
                r = ctl = ctl_connect(h);
        for (unsigned d = first; r >= 0 && d <= last; d++)
                r = destroy_one(h, xs, ctl, d);
        if (ctl >= 0)
                close(ctl);
        if (xs)
                xs_close(xs);
        simcore_host_close(h);
        return r;
}

static int cmd_exception(const char *dir, const char *id, enum simcore_state state)
{
        struct simcore_host *h;
        struct xs_handle *xs = NULL;
        unsigned domid;
        int r;

        if (safe_atou(id, &domid) < 0 || domid == 0 || domid >= SIMCORE_DOMID_MAX)
                return log_error_errno(-EINVAL, "bad domain id '%s'", id);
        r = host_open_running(dir, &h);
        if (r < 0)
                return r;
        if (simcore_dom_state(h, domid) == SIMCORE_NONE)
                r = log_error_errno(-ENOENT, "no domain %u", domid);
        if (r >= 0)
                r = toolstack_open(h, &xs);
        if (r >= 0) {
                enum simcore_state old = simcore_dom_state(h, domid);

                simcore_dom_set_state(h, domid, state);
                /* xenstored fires @releaseDomain only for the first shutdown. */
                if (old == SIMCORE_RUNNING)
                        r = toolstack_wait_release(xs, h, domid, false);
                else
                        r = toolstack_raise_dom_exc(h);
                if (r < 0)
                        log_error_errno(r, "xenstored did not notice: %m");
        }
        if (xs)
                xs_close(xs);
        simcore_host_close(h);
        return r;
}

static int cmd_list(const char *dir)
{
        struct simcore_host *h;
        struct xs_handle *xs = NULL;
        int r;

        r = host_open_running(dir, &h);
        if (r < 0)
                return r;
        (void)toolstack_open(h, &xs);
        for (unsigned d = 0; d < SIMCORE_DOMID_MAX; d++) {
                enum simcore_state s = simcore_dom_state(h, d);
                _cleanup_free_ char *name = NULL;
                char path[64];
                unsigned len;

                if (s == SIMCORE_NONE)
                        continue;
                snprintf(path, sizeof(path), "/local/domain/%u/name", d);
                if (xs && d)
                        name = xs_read(xs, XBT_NULL, path, &len);
                printf("%u %s %s\n", d, simcore_state_to_string(s), d ? name ?: "-" : "Domain-0");
        }
        if (xs)
                xs_close(xs);
        simcore_host_close(h);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

static int cmd_env(const char *dir, const char *id)
{
        struct simcore_host *h;
        char path[4096];
        unsigned domid = 0;
        int r;

        if (id && (safe_atou(id, &domid) < 0 || domid >= SIMCORE_DOMID_MAX))
                return log_error_errno(-EINVAL, "bad domain id '%s'", id);
        r = host_open_running(dir, &h);
        if (r < 0)
                return r;
        if (domid && simcore_dom_state(h, domid) == SIMCORE_NONE)
                r = log_error_errno(-ENOENT, "no domain %u", domid);
        else if (domid)
                r = simcore_path(h, path, sizeof(path), "guest/%u.sock", domid);
        else
                r = simcore_path(h, path, sizeof(path), "run/socket");
        if (r >= 0)
                printf("XENSTORED_PATH=%s\n", path);
        simcore_host_close(h);
        return r;
}

/* ---- restart ---- */

static int cmd_restart(const char *dir)
{
        struct simcore_host *h;
        int fd, r;

        r = host_open_running(dir, &h);
        if (r < 0)
                return r;
        r = fd = ctl_connect(h);
        if (fd >= 0) {
                r = ctl_call(fd, "restart\n");
                close(fd);
        }
        simcore_host_close(h);
        if (r < 0)
                return log_error_errno(r, "restarting xenstored in %s failed: %m (see %s/host.log)",
                                       dir, dir);
        return 0;
}

/* ---- the trace ---- */

/*
 * xenstored's trace file, from its command line (-T FILE, -TFILE,
 * --trace-file FILE, --trace-file=FILE), relative to its working directory.
 */
static int find_trace(const struct simcore_host *h, char *buf, size_t size)
{
        _cleanup_free_ char *args = NULL;
        char path[64], cwd[PATH_MAX];
        _cleanup_close_ int fd = -1;
        const char *file = NULL;
        pid_t pid;
        size_t len;
        ssize_t n;
        int r;

        pid = read_pid(h, "xenstored.pid");
        if (!pid_alive(pid))
                return log_error_errno(-ESRCH, "xenstored is not running in %s", h->dir);
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "%s: %m", path);
        r = read_full_fd(fd, &args, 65536, &len);
        if (r < 0)
                return log_error_errno(r, "%s: %m", path);
        for (size_t i = 0; i < len; i += strlen(args + i) + 1) {
                const char *a = args + i, *next = i + strlen(a) + 1 < len ? a + strlen(a) + 1 : NULL;

                if ((streq(a, "-T") || streq(a, "--trace-file")) && next)
                        file = next;
                else if (startswith(a, "--trace-file="))
                        file = a + strlen("--trace-file=");
                else if (startswith(a, "-T") && a[2])
                        file = a + 2;
        }
        if (!file)
                return log_error_errno(-ENOENT, "xenstored in %s runs without a trace "
                                       "(start it with: xensim start DIR -- -T DIR/trace)", h->dir);
        snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
        n = readlink(path, cwd, sizeof(cwd) - 1);
        if (file[0] != '/' && n < 0)
                return log_error_errno(-errno, "%s: %m", path);
        cwd[n < 0 ? 0 : n] = 0;
        if ((size_t)snprintf(buf, size, "%s%s%s", file[0] == '/' ? "" : cwd,
                             file[0] == '/' ? "" : "/", file) >= size)
                return -ENAMETOOLONG;
        return 0;
}

static int cmd_trace_mark(const char *dir)
{
        struct simcore_host *h;
        char path[PATH_MAX];
        struct stat st;
        int r;

        r = host_open_running(dir, &h);
        if (r < 0)
                return r;
        r = find_trace(h, path, sizeof(path));
        simcore_host_close(h);
        if (r < 0)
                return r;
        if (stat(path, &st) < 0)
                return log_error_errno(-errno, "%s: %m", path);
        printf("%llu\n", (unsigned long long)st.st_size);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

static int cmd_trace_count(const char *dir, const char *id, const char *since_arg)
{
        struct simcore_host *h;
        char path[PATH_MAX];
        uint64_t since = 0, count;
        unsigned domid;
        FILE *f;
        int r;

        if (safe_atou(id, &domid) < 0 || domid >= SIMCORE_DOMID_MAX)
                return log_error_errno(-EINVAL, "bad domain id '%s'", id);
        if (since_arg && safe_atou64(since_arg, &since) < 0)
                return log_error_errno(-EINVAL, "bad mark '%s'", since_arg);
        r = host_open_running(dir, &h);
        if (r < 0)
                return r;
        r = find_trace(h, path, sizeof(path));
        simcore_host_close(h);
        if (r < 0)
                return r;
        f = fopen(path, "re");
        if (!f)
                return log_error_errno(-errno, "%s: %m", path);
        r = trace_count(f, domid, since, &count);
        fclose(f);
        if (r < 0)
                return log_error_errno(r, "%s: %m", path);
        printf("%llu\n", (unsigned long long)count);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

static int dispatch(int argc, char **argv)
{
        const char *cmd = argv[0], *dir = argv[1];

        if (streq(cmd, "start") && argc == 2)
                return cmd_start(dir, NULL);
        if (streq(cmd, "start") && streq(argv[2], "--"))
                return cmd_start(dir, argv + 3);
        if (streq(cmd, "stop") && argc == 2)
                return cmd_stop(dir);
        if (streq(cmd, "create") && argc >= 3 && argc <= 5)
                return cmd_create(dir, argv[2], argv[3], argc == 5 ? argv[4] : NULL);
        if (streq(cmd, "destroy") && argc == 3)
                return cmd_destroy(dir, argv[2]);
        if (streq(cmd, "shutdown") && argc == 3)
                return cmd_exception(dir, argv[2], SIMCORE_SHUTDOWN);
        if (streq(cmd, "crash") && argc == 3)
                return cmd_exception(dir, argv[2], SIMCORE_CRASHED);
        if (streq(cmd, "list") && argc == 2)
                return cmd_list(dir);
        if (streq(cmd, "env") && (argc == 2 || argc == 3))
                return cmd_env(dir, argv[2]);
        if (streq(cmd, "restart-xenstored") && argc == 2)
                return cmd_restart(dir);
        if (streq(cmd, "trace-mark") && argc == 2)
                return cmd_trace_mark(dir);
        if (streq(cmd, "trace-count") && argc == 3)
                return cmd_trace_count(dir, argv[2], NULL);
        if (streq(cmd, "trace-count") && argc == 5 && streq(argv[3], "--since"))
                return cmd_trace_count(dir, argv[2], argv[4]);
        return USAGE_ERROR;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "preload", required_argument, NULL, 'p' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c, r;

        log_setup("xensim", false);
        while ((c = getopt_long(argc, argv, "+p:vh", opts, NULL)) >= 0) {
                if (c == 'p')
                        arg_preload = optarg;
                else if (c == 'v')
                        arg_verbose = true;
                else if (c == 'h')
                        return usage(stdout);
                else
                        return usage(stderr);
        }
        log_setup("xensim", arg_verbose);
        if (argc - optind < 2)
                return usage(stderr);
        (void)signal(SIGPIPE, SIG_IGN);
        r = dispatch(argc - optind, argv + optind);
        if (r == USAGE_ERROR)
                return usage(stderr);
        return r < 0 ? 1 : 0;
}
