/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * notify-listen [-t] SOCKET OUT: plays systemd's side of sd_notify(3). Binds
 * a datagram socket at SOCKET (a path, or with a leading '@' a name in the
 * abstract namespace, as $NOTIFY_SOCKET gives it) and appends each message
 * to OUT, until SIGTERM. With -t each message is prefixed by the CLOCK_REALTIME
 * nanoseconds it arrived at (for bench/agent-footprint).
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        char buf[4096];
        int stamp = argc > 1 && strcmp(argv[1], "-t") == 0;
        FILE *out;
        int fd;

        argv += stamp;
        argc -= stamp;
        if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "usage: notify-listen [-t] SOCKET OUT\n");
                return 2;
        }
        signal(SIGTERM, SIG_DFL);
        strcpy(sa.sun_path, argv[1]);
        /* An abstract name is exactly its bytes, without a terminating NUL. */
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(argv[1]) + (argv[1][0] != '@'));
        if (argv[1][0] == '@')
                sa.sun_path[0] = '\0';
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0) {
                fprintf(stderr, "notify-listen: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        out = fopen(argv[2], "a");
        if (!out)
                return 1;
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return 1;
                }
                buf[n] = '\0';
                if (stamp) {
                        struct timespec ts;

                        clock_gettime(CLOCK_REALTIME, &ts);
                        fprintf(out, "%lld%09ld ", (long long)ts.tv_sec, ts.tv_nsec);
                }
                fprintf(out, "%s%s", buf, n > 0 && buf[n - 1] == '\n' ? "" : "\n");
                fflush(out);
        }
}
