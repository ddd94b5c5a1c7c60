/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * http-client: the HTTP clients of serve's tests, where curl cannot be one:
 *
 *   http-client hold ADDR:PORT N SRC...
 *           opens N connections to ADDR:PORT, from the source addresses SRC
 *           in turn (e.g. 127.0.0.2 127.0.0.3: loopback answers on all of
 *           127/8), sends the first line of a request on each, prints
 *           "opened N" and holds them until killed; a connection the server
 *           has not accepted yet waits in its backlog. Killed, it resets them
 *           (SO_LINGER 0): clients that abort in the middle of a request.
 *   http-client pipeline ADDR:PORT PATH N
 *           sends N GET requests for PATH in one write (HTTP/1.1 pipelining,
 *           the last with "Connection: close"), reads until the server closes
 *           or 10 s pass without a byte, and prints how many status lines of
 *           200 it read.
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"

#define READ_IDLE_MS 10000
#define REQUEST_LINE "GET /metrics HTTP/1.1\r\n"

static _noreturn_ void die(const char *what)
{
        fprintf(stderr, "http-client: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void parse_addr(const char *s, struct sockaddr_in *ret)
{
        char host[64];
        const char *colon = strrchr(s, ':');
        unsigned port;

        if (!colon || (size_t)(colon - s) >= sizeof(host) || safe_atou(colon + 1, &port) < 0) {
                errno = EINVAL;
                die(s);
        }
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = 0;
        *ret = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        if (inet_pton(AF_INET, host, &ret->sin_addr) != 1) {
                errno = EINVAL;
                die(s);
        }
}

static int connect_from(const struct sockaddr_in *to, const char *src)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                die("socket");
        if (src) {
                struct sockaddr_in from = { .sin_family = AF_INET };

                if (inet_pton(AF_INET, src, &from.sin_addr) != 1) {
                        errno = EINVAL;
                        die(src);
                }
                if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0)
                        die("bind");
        }
        if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
                die("connect");
        return fd;
}

static _noreturn_ void cmd_hold(const char *addr, unsigned n, char **src, unsigned n_src)
{
        static const struct linger abort_on_close = { .l_onoff = 1, .l_linger = 0 };
        struct sockaddr_in to;

        parse_addr(addr, &to);
        for (unsigned i = 0; i < n; i++) {
                int fd = connect_from(&to, src[i % n_src]);

                if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close,
                               sizeof(abort_on_close)) < 0)
                        die("SO_LINGER");
                if (write_all(fd, REQUEST_LINE, STRLEN(REQUEST_LINE)) < 0)
                        die("write");
        }
        printf("opened %u\n", n);
        fflush(stdout);
        for (;;)
                pause();
}

static unsigned count_ok(const char *buf)
{
        unsigned n = 0;

        for (const char *p = buf; (p = strstr(p, "HTTP/1.1 200 ")); p++)
                n++;
        return n;
}

static int cmd_pipeline(const char *addr, const char *path, unsigned n)
{
        struct sockaddr_in to;
        char *req = NULL, *buf = NULL;
        size_t req_len = 0, len = 0, cap = 0;
        FILE *m = open_memstream(&req, &req_len);
        struct pollfd p = { .events = POLLIN };

        if (!m)
                die("open_memstream");
        for (unsigned i = 0; i < n; i++)
                fprintf(m, "GET %s HTTP/1.1\r\nHost: test\r\n%s\r\n", path,
                        i + 1 == n ? "Connection: close\r\n" : "");
        if (fclose(m) != 0)
                die("fclose");
        parse_addr(addr, &to);
        p.fd = connect_from(&to, NULL);
        if (write_all(p.fd, req, req_len) < 0)
                die("write");
        for (;;) {
                ssize_t k;

                if (len + 4096 + 1 > cap) {
                        cap = (len + 4096 + 1) * 2;
                        buf = realloc(buf, cap);
                        if (!buf)
                                die("realloc");
                }
                if (poll(&p, 1, READ_IDLE_MS) <= 0)
                        break;
                k = read(p.fd, buf + len, cap - len - 1);
                if (k <= 0)
                        break;
                len += (size_t)k;
        }
        if (!buf)
                buf = calloc(1, 1);
        buf[len] = 0;
        printf("%u\n", count_ok(buf));
        free(buf);
        free(req);
        close(p.fd);
        return 0;
}

int main(int argc, char **argv)
{
        unsigned n = 0;

        if (argc >= 5 && streq(argv[1], "hold") && safe_atou(argv[3], &n) >= 0)
                cmd_hold(argv[2], n, argv + 4, (unsigned)argc - 4);
        if (argc == 5 && streq(argv[1], "pipeline") && safe_atou(argv[4], &n) >= 0 && n > 0)
                return cmd_pipeline(argv[2], argv[3], n);
        fprintf(stderr, "usage: http-client hold ADDR:PORT N SRC... | pipeline ADDR:PORT PATH N\n");
        return 1;
}
