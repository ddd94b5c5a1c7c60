/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * serve's HTTP path: the input is what a client sends on one connection.
 * The server is monitor/httpd.c in this process, on a loopback port, run as
 * serve runs it (its descriptor polled, httpd_run() when ready or due);
 * libmicrohttpd parses the request line and headers, our handler answers.
 * libmicrohttpd is not instrumented: the coverage is of our code, and the
 * inputs reach it only through libmicrohttpd's parser, as a client's would.
 *
 * Promises checked: the server's rounds end (it does not keep itself busy);
 * an answer starts with a status line "HTTP/1.x NNN "; a 200 answers GET or
 * HEAD and carries exactly what the render callback wrote, or nothing;
 * once the client resets the connection, the server holds none.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "httpd.h"
#include "macro.h"
#include "util.h"

#define ROUNDS_MAX 1000
#define ANSWER_MAX (64 * 1024)

static const char body[] = "# HELP fuzz_up Whether the fuzzer runs.\n"
                           "# TYPE fuzz_up gauge\n"
                           "fuzz_up 1\n";

static int render(FILE *f, void *userdata)
{
        fputs(body, f);
        return 0;
}

static struct httpd *server(struct sockaddr_in *ret_addr)
{
        static struct httpd *h;
        static struct sockaddr_in sa;

        if (!h) {
                sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = 0 };
                sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                FUZZ_ASSERT(httpd_start(&sa, render, NULL, &h) == 0);
                sa.sin_port = htons((uint16_t)httpd_port(h));
        }
        *ret_addr = sa;
        return h;
}

/* Whether the server has nothing to do until a client sends more. */
static bool idle(struct httpd *h)
{
        struct pollfd p = { .fd = httpd_fd(h), .events = POLLIN };
        uint64_t usec;

        if (httpd_timeout(h, &usec) && usec == 0)
                return false;
        return poll(&p, 1, 0) == 0;
}

/*
 * Runs the server and reads its answer, until the server closes or waits
 * for more than the client sent (loopback delivers at once, so an idle
 * server with nothing to read means that); the answer's length.
 */
static size_t exchange(struct httpd *h, int fd, char *buf, size_t size)
{
        size_t len = 0;

        for (int round = 0; round < ROUNDS_MAX; round++) {
                ssize_t n;

                FUZZ_ASSERT(httpd_run(h) == 0);
                n = recv(fd, buf + len, size - len - 1, MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return len;
                if (n > 0) {
                        len += (size_t)n;
                        FUZZ_ASSERT(len < size - 1);
                        continue;
                }
                FUZZ_ASSERT(errno == EAGAIN);
                if (idle(h))
                        return len;
        }
        FUZZ_ASSERT(!"the server kept busy");
        return len;
}

/*
 * The method of the first request as the handler sees it: the first line
 * that libmicrohttpd does not skip as empty (it skips one that is empty or
 * starts with a NUL), up to its first space, as a C string.
 */
static size_t method(const uint8_t *data, size_t size, const char **ret)
{
        const char *p = (const char *)data, *end = p + size;
        size_t n = 0;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = (size_t)((nl ? nl : end) - p);

                if (l > 0 && *p != 0 && !(l == 1 && *p == '\r'))
                        break;
                p = nl ? nl + 1 : end;
        }
        while (p + n < end && p[n] != ' ' && p[n] != 0 && p[n] != '\n')
                n++;
        *ret = p;
        return n;
}

static void check_answer(const uint8_t *data, size_t size, char *a, size_t len)
{
        const char *head_end, *type, *m;
        size_t mlen = method(data, size, &m);

        a[len] = 0;
        if (len == 0)
                return;
        FUZZ_ASSERT(len >= 13 &&
                   (strncmp(a, "HTTP/1.1 ", 9) == 0 || strncmp(a, "HTTP/1.0 ", 9) == 0));
        FUZZ_ASSERT(a[9] >= '1' && a[9] <= '5' && a[10] >= '0' && a[10] <= '9' && a[11] >= '0' &&
                   a[11] <= '9' && a[12] == ' ');
        if (strncmp(a + 9, "200 ", 4) != 0)
                return;
        /*
         * Only our handler says 200, to GET and HEAD: the metrics whole, or
         * nothing when libmicrohttpd takes the request for a HEAD.
         */
        head_end = strstr(a, "\r\n\r\n");
        type = strstr(a, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
        FUZZ_ASSERT(head_end && type && type < head_end);
        FUZZ_ASSERT((mlen == 3 && memcmp(m, "GET", 3) == 0) ||
                   (mlen == 4 && memcmp(m, "HEAD", 4) == 0));
        FUZZ_ASSERT(head_end[4] == 0 || strncmp(head_end + 4, "HTTP/1.", 7) == 0 ||
                   strncmp(head_end + 4, body, sizeof(body) - 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
        static char answer[ANSWER_MAX];
        static uint32_t n_conn;
        struct sockaddr_in sa, src = { .sin_family = AF_INET };
        struct httpd *h = server(&sa);
        int fd = -1;
        size_t len;

        /*
         * Each connection from a loopback address of its own: the client
         * closes first (shutdown below), so each connection leaves a
         * TIME_WAIT for a minute, and from one source address the ephemeral
         * ports (about 28,000) run out within that minute at the rate
         * libFuzzer reaches (connect fails with EADDRNOTAVAIL). An address
         * still busy from an earlier run of this target (the corpus replay,
         * a minute ago) is passed over for the next, and so is a connect
         * that libFuzzer's own timer signal interrupted (EINTR: the
         * connection would go on in the background); any other failure,
         * the server's refusal above all, is a finding, with its errno.
         */
        for (int tries = 0;; tries++) {
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                FUZZ_ASSERT(fd >= 0);
                src.sin_addr.s_addr = htonl(0x7f000000u | (1u + n_conn++ % 0xfffffeu));
                if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0 &&
                    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                        break;
                if ((errno != EADDRNOTAVAIL && errno != EADDRINUSE && errno != EINTR) || tries >= 16) {
                        fprintf(stderr, "connect from %s: %s\n", inet_ntoa(src.sin_addr), strerror(errno));
                        FUZZ_ASSERT(!"a connection to the server");
                }
                close(fd);
        }
        /* The server may answer and close before it read everything: no SIGPIPE for that. */
        for (size_t o = 0; o < size;) {
                ssize_t n = send(fd, data + o, size - o, MSG_NOSIGNAL);

                if (n < 0) {
                        FUZZ_ASSERT(errno == EPIPE || errno == ECONNRESET || errno == EINTR);
                        if (errno != EINTR)
                                break;
                        continue;
                }
                o += (size_t)n;
        }
        shutdown(fd, SHUT_WR);
        len = exchange(h, fd, answer, sizeof(answer));
        check_answer(data, size, answer, len);
        /* The client gives up (a reset): the server lets the connection go at once. */
        FUZZ_ASSERT(setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) == 0);
        close(fd);
        for (int round = 0; round < ROUNDS_MAX && httpd_connections(h) > 0; round++)
                FUZZ_ASSERT(httpd_run(h) == 0);
        FUZZ_ASSERT(httpd_connections(h) == 0);
        return 0;
}
