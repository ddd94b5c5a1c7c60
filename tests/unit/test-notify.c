/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shared/notify against real datagram listeners, as the service manager
 * binds them: a socket file and a name in the abstract namespace. Each
 * message must arrive whole, as one datagram, with the sender's credentials.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "notify.h"
#include "util.h"

/* A listener at NAME ("/path" or "@abstract"), with SO_PASSCRED like systemd's. */
static int listener(const char *name)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = strlen(name);
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        int one = 1, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        memcpy(sa.sun_path, name, n);
        if (name[0] == '@')
                sa.sun_path[0] = '\0';
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *)&sa, len) < 0) {
                fprintf(stderr, "listener %s: %s\n", name, strerror(errno));
                exit(99);
        }
        return fd;
}

/* The next datagram, NUL-terminated, or "" when none waits; *ret_pid is the sender's pid. */
static const char *receive(int fd, pid_t *ret_pid)
{
        static char buf[4096];
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(struct ucred))];
        } ctl;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
        ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

        *ret_pid = 0;
        if (n < 0)
                return "";
        buf[n] = '\0';
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                        *ret_pid = ((struct ucred *)(void *)CMSG_DATA(c))->pid;
        return buf;
}

static void test_unset(void)
{
        unsetenv("NOTIFY_SOCKET");
        CHECK(!notify_expected());
        CHECK(notify_send("READY=1") == 0);
        CHECK(notify_sendf("STATUS=%d", 1) == 0);
        setenv("NOTIFY_SOCKET", "", 1);
        CHECK(!notify_expected());
        CHECK(notify_send("READY=1") == 0);
}

/* Each message as one datagram, byte for byte, from this process. */
static void exchange(const char *name)
{
        int fd = listener(name);
        pid_t pid;

        setenv("NOTIFY_SOCKET", name, 1);
        CHECK(notify_expected());
        CHECK(notify_send("READY=1") == 1, "%s", name);
        CHECK(streq(receive(fd, &pid), "READY=1"), "%s", name);
        CHECK(pid == getpid(), "%s: sender pid %d", name, (int)pid);
        CHECK(notify_sendf("READY=1\nSTATUS=verdict %s; xenstore %s", "ready", "connected") == 1);
        CHECK(streq(receive(fd, &pid), "READY=1\nSTATUS=verdict ready; xenstore connected"), "%s", name);
        CHECK(notify_send("WATCHDOG=1") == 1);
        CHECK(notify_send("STOPPING=1") == 1);
        CHECK(streq(receive(fd, &pid), "WATCHDOG=1"));
        CHECK(streq(receive(fd, &pid), "STOPPING=1"));
        CHECK(streq(receive(fd, &pid), ""), "one datagram per message");
        close(fd);
}

static void test_path_and_abstract(void)
{
        char dir[] = "/tmp/test-notify.XXXXXX", path[64], abstract[64];

        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                exit(99);
        }
        snprintf(path, sizeof(path), "%s/notify", dir);
        exchange(path);
        unlink(path);
        rmdir(dir);

        snprintf(abstract, sizeof(abstract), "@pvh-test-notify/%d", (int)getpid());
        exchange(abstract);
}

/* The abstract name is its bytes exactly: a longer or shorter name is another socket. */
static void test_abstract_exact(void)
{
        char name[64], other[64];
        int fd;

        snprintf(name, sizeof(name), "@pvh-test-exact/%d", (int)getpid());
        snprintf(other, sizeof(other), "%sx", name);
        fd = listener(name);
        setenv("NOTIFY_SOCKET", other, 1);
        CHECK(notify_send("READY=1") == -ECONNREFUSED);
        close(fd);
}

static void test_bad_names(void)
{
        static const struct {
                const char *name;
                int error;
        } cases[] = {
                { "relative/notify", -EINVAL },
                { "@", -EINVAL },
                { "/", -EINVAL },
                { "vsock:2:1234", -EINVAL },
                { "/nonexistent-dir-of-test-notify/notify", -ENOENT },
        };
        char longest[200];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                setenv("NOTIFY_SOCKET", cases[i].name, 1);
                CHECK(notify_send("READY=1") == cases[i].error, "%s", cases[i].name);
        }
        /* A path fills sun_path with its NUL at most; an abstract name without one. */
        memset(longest, 'a', sizeof(longest));
        longest[0] = '/';
        longest[sizeof(((struct sockaddr_un *)NULL)->sun_path)] = '\0';
        setenv("NOTIFY_SOCKET", longest, 1);
        CHECK(notify_send("READY=1") == -EINVAL);
        longest[sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1] = '\0';
        setenv("NOTIFY_SOCKET", longest, 1);
        CHECK(notify_send("READY=1") == -ENOENT);
}

static void test_watchdog(void)
{
        char self[24], parent[24];
        static const char *const none = NULL;
        struct {
                const char *usec, *pid;
                int ret;
                uint64_t want;
        } cases[] = {
                { none, none, 0, 0 },
                { "400000", none, 1, 400000 },
                { "400000", self, 1, 400000 },
                { "60000000", self, 1, 60000000 },
                { "400000", parent, 0, 0 },
                { "0", none, -EINVAL, 0 },
                { "", none, -EINVAL, 0 },
                { "12x", none, -EINVAL, 0 },
                { "-5", none, -EINVAL, 0 },
                { "400000", "", -EINVAL, 0 },
                { "400000", "0", -EINVAL, 0 },
                { "400000", "pid", -EINVAL, 0 },
        };

        snprintf(self, sizeof(self), "%d", (int)getpid());
        snprintf(parent, sizeof(parent), "%d", (int)getppid());
        cases[2].pid = cases[3].pid = self;
        cases[4].pid = parent;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t got = 7;
                int r;

                if (cases[i].usec)
                        setenv("WATCHDOG_USEC", cases[i].usec, 1);
                else
                        unsetenv("WATCHDOG_USEC");
                if (cases[i].pid)
                        setenv("WATCHDOG_PID", cases[i].pid, 1);
                else
                        unsetenv("WATCHDOG_PID");
                r = notify_watchdog_usec(&got);
                CHECK(r == cases[i].ret, "case %zu: %d", i, r);
                CHECK(got == (r == 1 ? cases[i].want : 7), "case %zu: %llu", i, (unsigned long long)got);
        }
}

int main(void)
{
        test_unset();
        test_path_and_abstract();
        test_abstract_exact();
        test_bad_names();
        test_watchdog();
        return check_exit("test-notify");
}
