/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "notify.h"
#include "util.h"

/*
 * The address $NOTIFY_SOCKET names. An abstract name's length is exactly its
 * bytes (its leading NUL included, no terminating one): the kernel compares
 * the whole length, so a trailing NUL would name another socket.
 */
static int notify_address(const char *name, struct sockaddr_un *ret, socklen_t *ret_len)
{
        size_t n = strlen(name);

        if (n < 2 || (name[0] != '/' && name[0] != '@'))
                return -EINVAL;
        if (n > sizeof(ret->sun_path) || (name[0] == '/' && n == sizeof(ret->sun_path)))
                return -EINVAL;
        *ret = (struct sockaddr_un){ .sun_family = AF_UNIX };
        memcpy(ret->sun_path, name, n);
        if (name[0] == '@')
                ret->sun_path[0] = '\0';
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
        return 0;
}

bool notify_expected(void)
{
        const char *e = getenv("NOTIFY_SOCKET");

        return e && *e;
}

int notify_send(const char *state)
{
        const char *name = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa;
        socklen_t len;
        ssize_t n;
        int fd, r;

        if (!name || !*name)
                return 0;
        r = notify_address(name, &sa, &len);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* The manager learns the sender from the credentials the kernel attaches (SO_PASSCRED). */
        n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
        r = n < 0 ? -errno : 1;
        close(fd);
        return r;
}

int notify_sendf(const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        if (!notify_expected())
                return 0;
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return notify_send(s);
}

int notify_watchdog_usec(uint64_t *ret_usec)
{
        const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
        uint64_t u, p;

        if (!usec)
                return 0;
        if (safe_atou64(usec, &u) < 0 || u == 0)
                return -EINVAL;
        /* A variable inherited from a parent that was the watched service is not for us. */
        if (pid) {
                if (safe_atou64(pid, &p) < 0 || p == 0)
                        return -EINVAL;
                if (p != (uint64_t)getpid())
                        return 0;
        }
        *ret_usec = u;
        return 1;
}
