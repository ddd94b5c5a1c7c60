/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xs-client: a small libxenstore client for the simulator's tests. It talks
 * to whatever XENSTORED_PATH names, so it is dom0 or a guest by environment.
 * Errors go to stderr as "xs-client: OP PATH: ENAME (text)", exit status 1.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "macro.h"
#include "util.h"

#define WAIT_MS 30000 /* a bound against hanging, never a measurement */

static const char *errno_name(int e)
{
        static const struct {
                int e;
                const char *name;
        } names[] = {
                { EACCES, "EACCES" }, { EAGAIN, "EAGAIN" }, { EEXIST, "EEXIST" },
                { EINVAL, "EINVAL" }, { ENOENT, "ENOENT" }, { ENOSPC, "ENOSPC" },
                { E2BIG, "E2BIG" },   { EPERM, "EPERM" },   { EIO, "EIO" },
                { EBUSY, "EBUSY" },   { ENOMEM, "ENOMEM" }, { ESRCH, "ESRCH" },
                { EBADF, "EBADF" },   { EPIPE, "EPIPE" },   { ECONNRESET, "ECONNRESET" },
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i].e == e)
                        return names[i].name;
        return "E?";
}

static int fail(const char *op, const char *path)
{
        int e = errno;

        fprintf(stderr, "xs-client: %s %s: %s (%s)\n", op, path, errno_name(e), strerror(e));
        return 1;
}

static struct xs_handle *connect_or_die(void)
{
        struct xs_handle *xs = xs_open(XS_OPEN_SOCKETONLY);

        if (!xs) {
                fail("connect", getenv("XENSTORED_PATH") ?: "(default)");
                exit(1);
        }
        return xs;
}

static int op_read(struct xs_handle *xs, const char *path)
{
        _cleanup_free_ char *v = NULL;
        unsigned len;

        v = xs_read(xs, XBT_NULL, path, &len);
        if (!v)
                return fail("read", path);
        printf("%s\n", v);
        return 0;
}

static int op_write(struct xs_handle *xs, const char *path, const char *val)
{
        if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
                return fail("write", path);
        return 0;
}

static int op_rm(struct xs_handle *xs, const char *path)
{
        if (!xs_rm(xs, XBT_NULL, path))
                return fail("rm", path);
        return 0;
}

/* Writes, reads back, compares: one guest's round trip. */
static int op_rw(struct xs_handle *xs, const char *path, const char *val)
{
        _cleanup_free_ char *v = NULL;
        unsigned len;

        if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
                return fail("write", path);
        v = xs_read(xs, XBT_NULL, path, &len);
        if (!v)
                return fail("read", path);
        if (!streq(v, val)) {
                fprintf(stderr, "xs-client: %s reads '%s', wrote '%s'\n", path, v, val);
                return 1;
        }
        return 0;
}

static int next_event(struct xs_handle *xs, char ***ret)
{
        struct pollfd p = { .fd = xs_fileno(xs), .events = POLLIN };

        for (;;) {
                char **ev = xs_check_watch(xs);

                if (ev) {
                        *ret = ev;
                        return 0;
                }
                if (errno != EAGAIN)
                        return errno ? -errno : -EIO;
                if (poll(&p, 1, WAIT_MS) == 0)
                        return -ETIMEDOUT;
        }
}

/*
 * Prints "ready" once the watch is set (after its first, automatic event),
 * then "PATH TOKEN" for the next COUNT events.
 */
static int op_watch(struct xs_handle *xs, const char *path, const char *count)
{
        unsigned n;
        char **ev;

        if (safe_atou(count, &n) < 0)
                return 2;
        if (xs_fileno(xs) < 0 || !xs_watch(xs, path, "tok"))
                return fail("watch", path);
        if (next_event(xs, &ev) < 0)
                return fail("watch", path);
        free(ev);
        printf("ready\n");
        fflush(stdout);
        for (unsigned i = 0; i < n; i++) {
                int r = next_event(xs, &ev);

                if (r < 0) {
                        errno = -r;
                        return fail("watch", path);
                }
                printf("%s %s\n", ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
                fflush(stdout);
                free(ev);
        }
        return 0;
}

static int op_tx_commit(struct xs_handle *xs, const char *path, const char *val)
{
        xs_transaction_t t = xs_transaction_start(xs);

        if (t == XBT_NULL)
                return fail("transaction_start", path);
        if (!xs_write(xs, t, path, val, strlen(val))) {
                fail("write", path);
                (void)xs_transaction_end(xs, t, true);
                return 1;
        }
        if (!xs_transaction_end(xs, t, false))
                return fail("commit", path);
        printf("committed\n");
        return 0;
}

/* A second connection changes PATH under an open transaction: the commit must fail. */
static int op_tx_conflict(struct xs_handle *xs, const char *path)
{
        struct xs_handle *other = connect_or_die();
        _cleanup_free_ char *v = NULL;
        xs_transaction_t t;
        unsigned len;
        int r = 0;

        t = xs_transaction_start(xs);
        if (t == XBT_NULL)
                return fail("transaction_start", path);
        v = xs_read(xs, t, path, &len);
        if (!xs_write(xs, t, path, "mine", 4) || !xs_write(other, XBT_NULL, path, "theirs", 6))
                r = fail("write", path);
        else if (xs_transaction_end(xs, t, false))
                fprintf(stderr, "xs-client: conflicting commit succeeded\n"), r = 1;
        else
                r = fail("commit", path);
        xs_close(other);
        return r;
}

/*
 * Sets two watches and opens a transaction, says "holding", then waits to be
 * killed: whatever it holds must be cleaned up by the other side.
 */
static int op_hold(struct xs_handle *xs, const char *path)
{
        if (!xs_watch(xs, path, "hold1") || !xs_watch(xs, path, "hold2"))
                return fail("watch", path);
        if (xs_transaction_start(xs) == XBT_NULL)
                return fail("transaction_start", path);
        printf("holding\n");
        fflush(stdout);
        for (;;)
                pause();
}

/*
 * A connection that outlives something (a xenstored restart): with "watch"
 * it holds a watch on PATH (libxenstore then reads in a thread), with
 * "plain" it only reads PATH once. Says "ready", waits for a line on stdin,
 * then reads PATH again and prints what it got, or fails.
 */
static int op_stale(struct xs_handle *xs, const char *path, const char *mode)
{
        _cleanup_free_ char *v = NULL;
        char line[64];
        unsigned len;
        char **ev;

        if (streq(mode, "watch")) {
                if (xs_fileno(xs) < 0 || !xs_watch(xs, path, "tok") || next_event(xs, &ev) < 0)
                        return fail("watch", path);
                free(ev);
        } else if (streq(mode, "plain")) {
                v = xs_read(xs, XBT_NULL, path, &len);
                if (!v)
                        return fail("read", path);
                free(TAKE_PTR(v));
        } else {
                return 2;
        }
        printf("ready\n");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                return 2;
        v = xs_read(xs, XBT_NULL, path, &len);
        if (!v)
                return fail("read", path);
        printf("%s\n", v);
        return 0;
}

/* XS_IS_DOMAIN_INTRODUCED: "yes" or "no". */
static int op_introduced(struct xs_handle *xs, const char *id)
{
        unsigned domid;

        if (safe_atou(id, &domid) < 0)
                return 2;
        errno = 0;
        if (xs_is_domain_introduced(xs, domid))
                printf("yes\n");
        else if (errno == 0)
                printf("no\n");
        else
                return fail("is_domain_introduced", id);
        return 0;
}

/* XS_CONTROL: the command, then its argument as a separate string. */
static int op_control(struct xs_handle *xs, const char *cmd, const char *arg)
{
        _cleanup_free_ char *out = NULL;

        out = xs_control_command(xs, cmd, (void *)(arg ?: ""), arg ? (unsigned)strlen(arg) + 1 : 0);
        if (!out)
                return fail("control", cmd);
        fputs(out, stdout);
        return 0;
}

static int usage(void)
{
        fputs("Usage: xs-client read PATH | write PATH VALUE | rm PATH | rw PATH VALUE\n"
              "       | watch PATH COUNT | tx-commit PATH VALUE | tx-conflict PATH\n"
              "       | hold PATH | control CMD [ARG] | stale PATH watch|plain\n"
              "       | introduced DOMID\n",
              stderr);
        return 2;
}

static int dispatch(struct xs_handle *xs, int argc, char **argv)
{
        const char *op = argv[1];

        if (argc == 3 && streq(op, "read"))
                return op_read(xs, argv[2]);
        if (argc == 4 && streq(op, "write"))
                return op_write(xs, argv[2], argv[3]);
        if (argc == 3 && streq(op, "rm"))
                return op_rm(xs, argv[2]);
        if (argc == 4 && streq(op, "rw"))
                return op_rw(xs, argv[2], argv[3]);
        if (argc == 4 && streq(op, "watch"))
                return op_watch(xs, argv[2], argv[3]);
        if (argc == 4 && streq(op, "tx-commit"))
                return op_tx_commit(xs, argv[2], argv[3]);
        if (argc == 3 && streq(op, "tx-conflict"))
                return op_tx_conflict(xs, argv[2]);
        if (argc == 3 && streq(op, "hold"))
                return op_hold(xs, argv[2]);
        if (argc == 4 && streq(op, "stale"))
                return op_stale(xs, argv[2], argv[3]);
        if (argc == 3 && streq(op, "introduced"))
                return op_introduced(xs, argv[2]);
        if ((argc == 3 || argc == 4) && streq(op, "control"))
                return op_control(xs, argv[2], argv[3]);
        return usage();
}

int main(int argc, char **argv)
{
        struct xs_handle *xs;
        int r;

        if (argc < 3)
                return usage();
        xs = connect_or_die();
        r = dispatch(xs, argc, argv);
        fflush(stdout);
        xs_close(xs);
        return r;
}
