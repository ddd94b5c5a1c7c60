/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xenstore's wire protocol, for the agent alone. Not libxenstore: the static
 * agent needs one, and the archive Debian ships (libxenstore.a) is built
 * without its reader thread, so a watch event that arrives before a reply
 * fails the request and closes the connection. The protocol is small: a
 * header (type, request id, transaction id, payload length) and at most
 * XENSTORE_PAYLOAD_MAX bytes, in both directions, in order, with watch
 * events in between.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
/* xs_wire.h needs the fixed-size integers and the errno names before it. */
#include <xen/io/xs_wire.h>

#include "macro.h"
#include "util.h"
#include "xenbus.h"

/* xenstored answers at once; this long without a reply, the connection is taken as lost. */
#define XENBUS_REPLY_TIMEOUT_MS 30000
/*
 * Events queued while requests wait. Handlers re-read what they watch, so
 * one event per watch and path is enough: duplicates are dropped, and so are
 * events beyond this many.
 */
#define XENBUS_EVENTS_MAX 64

struct xenbus {
        int fd;
        int event_fd;
        int lost;                 /* -errno once the connection is unusable */
        uint32_t req_id;
        size_t in_len;
        char in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
        size_t n_events;
        char **events[XENBUS_EVENTS_MAX];
};

static int connect_socket(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

static int connect_path(const char *path)
{
        struct stat st;
        int fd;

        if (stat(path, &st) < 0)
                return -errno;
        if (S_ISSOCK(st.st_mode))
                return connect_socket(path);
        fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

static int connect_default(void)
{
        static const char *const paths[] = { "/run/xenstored/socket", "/var/run/xenstored/socket",
                                             "/dev/xen/xenbus", "/proc/xen/xenbus" };
        const char *env = getenv("XENSTORED_PATH");
        int fd = -ENOENT;

        if (env && *env)
                return connect_path(env);
        for (size_t i = 0; i < ELEMENTSOF(paths) && fd < 0; i++)
                fd = connect_path(paths[i]);
        return fd;
}

int xenbus_open(struct xenbus **ret)
{
        struct xenbus *x = calloc(1, sizeof(*x));

        if (!x)
                return -ENOMEM;
        x->fd = connect_default();
        if (x->fd < 0) {
                int r = x->fd;

                free(x);
                return r;
        }
        x->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (x->event_fd < 0) {
                int r = -errno;

                close(x->fd);
                free(x);
                return r;
        }
        *ret = x;
        return 0;
}

struct xenbus *xenbus_close(struct xenbus *x)
{
        if (!x)
                return NULL;
        for (size_t i = 0; i < x->n_events; i++)
                free(x->events[i]);
        close(x->fd);
        close(x->event_fd);
        free(x);
        return NULL;
}

int xenbus_fd(const struct xenbus *x)
{
        return x->fd;
}

int xenbus_event_fd(const struct xenbus *x)
{
        return x->event_fd;
}

static int lose(struct xenbus *x, int r)
{
        if (!x->lost)
                x->lost = r;
        return r;
}

/* Waits (bounded) until fd is ready for events; -ETIMEDOUT after the bound. */
static int wait_fd(int fd, short events)
{
        struct pollfd p = { .fd = fd, .events = events };
        int n;

        do
                n = poll(&p, 1, XENBUS_REPLY_TIMEOUT_MS);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == 0 ? -ETIMEDOUT : 0;
}

static int send_all(struct xenbus *x, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(x->fd, buf, len);

                if (n < 0 && errno == EAGAIN) {
                        int r = wait_fd(x->fd, POLLOUT);

                        if (r < 0)
                                return lose(x, r);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return lose(x, -EPIPE);
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Reads what is there into the input buffer: > 0 bytes read, 0 nothing yet, -EPIPE at the end. */
static int fill(struct xenbus *x)
{
        ssize_t n;

        do
                n = read(x->fd, x->in + x->in_len, sizeof(x->in) - x->in_len);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN)
                return 0;
        if (n <= 0)
                return lose(x, -EPIPE);
        x->in_len += (size_t)n;
        return 1;
}

/*
 * The next complete message from the input buffer: 1 with its header and
 * its payload (NUL-terminated, malloc'd), 0 when it is not all there yet.
 */
static int take(struct xenbus *x, struct xsd_sockmsg *ret_hdr, char **ret_body)
{
        struct xsd_sockmsg h;
        size_t total;
        char *body;

        if (x->in_len < sizeof(h))
                return 0;
        memcpy(&h, x->in, sizeof(h));
        if (h.len > XENSTORE_PAYLOAD_MAX)
                return lose(x, -EPROTO);
        total = sizeof(h) + h.len;
        if (x->in_len < total)
                return 0;
        body = malloc(h.len + 1);
        if (!body)
                return -ENOMEM;
        memcpy(body, x->in + sizeof(h), h.len);
        body[h.len] = '\0';
        x->in_len -= total;
        memmove(x->in, x->in + total, x->in_len);
        *ret_hdr = h;
        *ret_body = body;
        return 1;
}

static void signal_events(struct xenbus *x, bool pending)
{
        uint64_t v = 1;

        if (pending)
                (void)!write(x->event_fd, &v, sizeof(v));
        else
                (void)!read(x->event_fd, &v, sizeof(v));
}

/* "path\0token\0" as { path, token } in one allocation; takes body. */
static int queue_event(struct xenbus *x, char *body, uint32_t len)
{
        _cleanup_free_ char *b = body;
        const char *path = b, *token;
        size_t lp, lt;
        char **ev;

        lp = strnlen(path, len);
        if (lp >= len)
                return lose(x, -EPROTO);
        token = path + lp + 1;
        lt = strnlen(token, len - lp - 1);
        for (size_t i = 0; i < x->n_events; i++)
                if (streq(x->events[i][0], path) && streq(x->events[i][1], token))
                        return 0;
        if (x->n_events == XENBUS_EVENTS_MAX)
                return 0;
        ev = malloc(2 * sizeof(char *) + lp + 1 + lt + 1);
        if (!ev)
                return -ENOMEM;
        ev[0] = (char *)(ev + 2);
        memcpy(ev[0], path, lp + 1);
        ev[1] = ev[0] + lp + 1;
        memcpy(ev[1], token, lt);
        ev[1][lt] = '\0';
        x->events[x->n_events++] = ev;
        if (x->n_events == 1)
                signal_events(x, true);
        return 0;
}

/* An error reply's name ("ENOENT") as -errno; an unknown one is -EINVAL, as libxenstore has it. */
static int error_reply(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(xsd_errors); i++)
                if (streq(name, xsd_errors[i].errstring))
                        return -xsd_errors[i].errnum;
        return -EINVAL;
}

/* Messages until the reply to request id: events are queued on the way. */
static int await_reply(struct xenbus *x, uint32_t type, uint32_t id, char **ret, unsigned *ret_len)
{
        for (;;) {
                struct xsd_sockmsg h;
                char *body;
                int r = take(x, &h, &body);

                if (r == 0) {
                        r = wait_fd(x->fd, POLLIN);
                        if (r < 0)
                                return lose(x, r);
                        r = fill(x);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (r < 0)
                        return r;
                if (h.type == XS_WATCH_EVENT) {
                        r = queue_event(x, body, h.len);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (h.req_id != id || (h.type != type && h.type != XS_ERROR)) {
                        free(body);
                        return lose(x, -EPROTO);
                }
                if (h.type == XS_ERROR) {
                        r = error_reply(body);
                        free(body);
                        return r;
                }
                if (ret_len)
                        *ret_len = h.len;
                if (ret)
                        *ret = body;
                else
                        free(body);
                return 0;
        }
}

int xenbus_request(struct xenbus *x, uint32_t type, uint32_t tx, const struct iovec *parts,
                   size_t n_parts, char **ret, unsigned *ret_len)
{
        char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
        struct xsd_sockmsg h = { .type = type, .req_id = ++x->req_id, .tx_id = tx };
        size_t len = 0;
        int r;

        if (x->lost)
                return -EPIPE;
        for (size_t i = 0; i < n_parts; i++) {
                if (parts[i].iov_len > XENSTORE_PAYLOAD_MAX - len)
                        return -E2BIG;
                memcpy(msg + sizeof(h) + len, parts[i].iov_base, parts[i].iov_len);
                len += parts[i].iov_len;
        }
        h.len = (uint32_t)len;
        memcpy(msg, &h, sizeof(h));
        /* One write per message: the xenbus device takes a message as written. */
        r = send_all(x, msg, sizeof(h) + len);
        if (r < 0)
                return r;
        return await_reply(x, type, h.req_id, ret, ret_len);
}

/* Every complete message that arrived, queued: 0 when no more is there, -errno when lost. */
static int read_events(struct xenbus *x)
{
        struct xsd_sockmsg h;
        char *body;
        int r;

        while (!x->lost) {
                r = take(x, &h, &body);
                if (r < 0)
                        return r;
                if (r == 0) {
                        r = fill(x);
                        if (r <= 0)
                                return r;
                        continue;
                }
                /* Between requests only events come: anything else is out of turn. */
                if (h.type != XS_WATCH_EVENT) {
                        free(body);
                        return lose(x, -EPROTO);
                }
                r = queue_event(x, body, h.len);
                if (r < 0)
                        return r;
        }
        return x->lost;
}

int xenbus_next_event(struct xenbus *x, char ***ret_event)
{
        int r = read_events(x);

        /* What was queued before a loss is still delivered; the loss comes after it. */
        if (x->n_events == 0)
                return r;
        *ret_event = x->events[0];
        memmove(x->events, x->events + 1, --x->n_events * sizeof(x->events[0]));
        if (x->n_events == 0)
                signal_events(x, false);
        return 1;
}
