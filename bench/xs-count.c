/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xs-count: how many xenstore requests a command sends.
 *
 *   xs-count COUNTFILE LISTEN CMD [ARGS...]
 *
 * Listens on the unix socket LISTEN, runs CMD with XENSTORED_PATH=LISTEN,
 * relays each of its connections to the xenstored socket that XENSTORED_PATH
 * names, counts the messages the command sends (each begins with a struct
 * xsd_sockmsg header giving its length), and writes the count to COUNTFILE.
 * Exits with CMD's status.
 *
 * xenstored's trace (-T) counts the same requests, but it also logs a
 * write-rate line per domain at every turn of its main loop: with a thousand
 * domains that is gigabytes per run, and it slows xenstored down far more
 * than the relay does.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util.h"

#define PAIRS_MAX 16
#define HDR_LEN 16 /* struct xsd_sockmsg: type, req_id, tx_id, len */

struct pair {
        int client, server;
        unsigned char hdr[HDR_LEN];
        size_t hdr_have;
        size_t body_left;
};

static struct pair pairs[PAIRS_MAX];
static unsigned n_pairs;
static unsigned long requests;

static int unix_socket(const char *path, bool listening)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
                return -1;
        strcpy(sa.sun_path, path);
        if (listening ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0
                      : connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Counts the message headers in what the client sent. */
static void parse(struct pair *p, const unsigned char *buf, size_t len)
{
        while (len > 0) {
                size_t n;

                if (p->body_left > 0) {
                        n = len < p->body_left ? len : p->body_left;
                        p->body_left -= n;
                } else {
                        uint32_t body;

                        n = HDR_LEN - p->hdr_have < len ? HDR_LEN - p->hdr_have : len;
                        memcpy(p->hdr + p->hdr_have, buf, n);
                        p->hdr_have += n;
                        if (p->hdr_have == HDR_LEN) {
                                memcpy(&body, p->hdr + 12, sizeof(body));
                                p->body_left = body;
                                p->hdr_have = 0;
                                requests++;
                        }
                }
                buf += n;
                len -= n;
        }
}

static void pair_close(unsigned i)
{
        close(pairs[i].client);
        close(pairs[i].server);
        pairs[i] = pairs[--n_pairs];
}

/* Relays what is readable on one side; false when that side is done. */
static bool relay(struct pair *p, bool from_client)
{
        unsigned char buf[65536];
        ssize_t n = read(from_client ? p->client : p->server, buf, sizeof(buf));

        if (n <= 0)
                return false;
        if (from_client)
                parse(p, buf, (size_t)n);
        return write_all(from_client ? p->server : p->client, buf, (size_t)n) >= 0;
}

static void accept_one(int lfd, const char *upstream)
{
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), s;

        if (c < 0)
                return;
        s = unix_socket(upstream, false);
        if (s < 0 || n_pairs == PAIRS_MAX) {
                fprintf(stderr, "xs-count: cannot relay to %s: %m\n", upstream);
                close(c);
                if (s >= 0)
                        close(s);
                return;
        }
        pairs[n_pairs++] = (struct pair){ .client = c, .server = s };
}

static int run(int lfd, const char *upstream, pid_t child)
{
        int status = 0;
        bool running = true;

        while (running || n_pairs > 0) {
                struct pollfd p[1 + 2 * PAIRS_MAX] = { { .fd = lfd, .events = POLLIN } };

                for (unsigned i = 0; i < n_pairs; i++) {
                        p[1 + 2 * i] = (struct pollfd){ .fd = pairs[i].client, .events = POLLIN };
                        p[2 + 2 * i] = (struct pollfd){ .fd = pairs[i].server, .events = POLLIN };
                }
                if (poll(p, 1 + 2 * n_pairs, 50) < 0 && errno != EINTR)
                        return -errno;
                for (unsigned i = n_pairs; i-- > 0;)
                        if (((p[1 + 2 * i].revents && !relay(&pairs[i], true)) ||
                             (p[2 + 2 * i].revents && !relay(&pairs[i], false))))
                                pair_close(i);
                if (p[0].revents & POLLIN)
                        accept_one(lfd, upstream);
                if (running && waitpid(child, &status, WNOHANG) == child)
                        running = false;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
        const char *upstream;
        FILE *out;
        pid_t child;
        int lfd, rc;

        if (argc < 4) {
                fprintf(stderr, "usage: xs-count COUNTFILE LISTEN CMD [ARGS...]\n");
                return 2;
        }
        upstream = getenv("XENSTORED_PATH");
        if (!upstream)
                upstream = "/var/run/xenstored/socket"; /* libxenstore's default */
        signal(SIGPIPE, SIG_IGN);
        unlink(argv[2]);
        lfd = unix_socket(argv[2], true);
        if (lfd < 0) {
                fprintf(stderr, "xs-count: cannot listen on %s: %m\n", argv[2]);
                return 1;
        }
        child = fork();
        if (child == 0) {
                setenv("XENSTORED_PATH", argv[2], 1);
                execvp(argv[3], argv + 3);
                fprintf(stderr, "xs-count: cannot run %s: %m\n", argv[3]);
                _exit(127);
        }
        rc = child < 0 ? 1 : run(lfd, upstream, child);
        unlink(argv[2]);
        out = fopen(argv[1], "we");
        if (!out || fprintf(out, "%lu\n", requests) < 0 || fclose(out) != 0) {
                fprintf(stderr, "xs-count: cannot write %s: %m\n", argv[1]);
                return 1;
        }
        return rc < 0 ? 1 : rc;
}
