/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xenbus-check: agent/xenbus.c against the real xenstored, as a guest
 * ($XENSTORED_PATH is its socket on the simulated host; run by
 * tests/agent-xenbus.sh). Two connections: a watch event that is already
 * on its way when a request is sent arrives before the reply and is queued
 * (the case libxenstore's static archive fails on); errors come back as
 * -errno; a conflicting transaction ends with -EAGAIN; an oversized request
 * is refused before it is sent.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#include "check.h"
#include "macro.h"
#include "util.h"
#include "xenbus.h"

static int req(struct xenbus *x, uint32_t type, uint32_t tx, const char *a, const char *b,
               size_t b_len, char **ret)
{
        struct iovec parts[] = { { (void *)a, strlen(a) + 1 }, { (void *)b, b_len } };

        return xenbus_request(x, type, tx, parts, b ? 2 : 1, ret, NULL);
}

static bool readable(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, 0) == 1;
}

/* Waits until the connection has something to read (bounded). */
static void await_input(struct xenbus *x)
{
        struct pollfd p = { .fd = xenbus_fd(x), .events = POLLIN };

        CHECK(poll(&p, 1, 10000) == 1, "nothing arrived");
}

/* The next event is PATH with TOKEN. */
static void expect_event(struct xenbus *x, const char *path, const char *token)
{
        char **ev = NULL;
        int r = xenbus_next_event(x, &ev);

        CHECK(r == 1, "no event for %s: %d", path, r);
        if (r != 1)
                return;
        CHECK(streq(ev[0], path) && streq(ev[1], token), "event %s %s, expected %s %s", ev[0], ev[1],
              path, token);
        free(ev);
}

static void test_event_before_reply(struct xenbus *a, struct xenbus *b)
{
        _cleanup_free_ char *v = NULL;
        char **ev;

        CHECK(req(a, XS_WATCH, 0, "data/xb", "t1", 3, NULL) == 0);
        /* xenstored fires a new watch once at once, after its reply: it is queued here. */
        CHECK(req(a, XS_READ, 0, "data/xb/none", NULL, 0, NULL) == -ENOENT);
        CHECK(readable(xenbus_event_fd(a)), "a queued event does not make event_fd readable");
        expect_event(a, "data/xb", "t1");
        CHECK(!readable(xenbus_event_fd(a)), "event_fd readable with nothing queued");
        CHECK(xenbus_next_event(a, &ev) == 0);

        CHECK(req(b, XS_WRITE, 0, "data/xb/k", "v1", 2, NULL) == 0);
        await_input(a);
        /* The event is on the connection before this request is: the reply comes after it. */
        CHECK(req(a, XS_READ, 0, "data/xb/k", NULL, 0, &v) == 0);
        CHECK(v && streq(v, "v1"));
        expect_event(a, "data/xb/k", "t1");
        CHECK(xenbus_next_event(a, &ev) == 0);
}

static void test_errors(struct xenbus *a)
{
        char big[XENSTORE_PAYLOAD_MAX + 1];

        CHECK(req(a, XS_WRITE, 0, "/local/domain/0/xb", "x", 1, NULL) == -EACCES);
        CHECK(req(a, XS_DIRECTORY, 0, "data/xb/none", NULL, 0, NULL) == -ENOENT);
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        CHECK(req(a, XS_WRITE, 0, "data/xb/big", big, strlen(big), NULL) == -E2BIG);
        /* Refused before sending: the connection still works. */
        CHECK(req(a, XS_WRITE, 0, "data/xb/k2", "v2", 2, NULL) == 0);
}

static void test_conflict(struct xenbus *a, struct xenbus *b)
{
        _cleanup_free_ char *id = NULL, *v = NULL;
        unsigned tx = 0;

        CHECK(req(a, XS_TRANSACTION_START, 0, "", NULL, 0, &id) == 0);
        CHECK(id && safe_atou(id, &tx) == 0 && tx != 0, "transaction id '%s'", id ? id : "");
        CHECK(req(a, XS_READ, tx, "data/xb/k", NULL, 0, &v) == 0);
        CHECK(req(b, XS_WRITE, 0, "data/xb/k", "v3", 2, NULL) == 0);
        CHECK(req(a, XS_WRITE, tx, "data/xb/k", "mine", 4, NULL) == 0);
        CHECK(req(a, XS_TRANSACTION_END, tx, "T", NULL, 0, NULL) == -EAGAIN);
}

int main(void)
{
        struct xenbus *a = NULL, *b = NULL;
        int r;

        if (!getenv("XENSTORED_PATH")) {
                fprintf(stderr, "xenbus-check: XENSTORED_PATH is not set\n");
                return 2;
        }
        r = xenbus_open(&a);
        if (r >= 0)
                r = xenbus_open(&b);
        if (r < 0) {
                fprintf(stderr, "xenbus-check: cannot connect: %s\n", strerror(-r));
                return 1;
        }
        test_event_before_reply(a, b);
        test_errors(a);
        test_conflict(a, b);
        xenbus_close(a);
        xenbus_close(b);
        return check_exit("xenbus-check");
}
