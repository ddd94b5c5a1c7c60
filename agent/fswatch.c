/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fswatch.h"
#include "macro.h"
#include "util.h"

/*
 * Relative to the root. A directory that is missing now is watched once it
 * appears: its parent is in the list, and any event there refreshes.
 */
static const char *const watched_dirs[] = {
        "boot",
        "boot/grub",
        "boot/grub2",
        "boot/loader/entries",
        "etc",
        "etc/default",
        "etc/default/grub.d",
        "etc/kernel",
        "etc/kernel/postinst.d",
        "etc/initramfs-tools",
        "lib/modules",
};

#define WATCH_MASK                                                                          \
        (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF | \
         IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR)

struct fswatch {
        int fd;
        char *root;
        int wd[ELEMENTSOF(watched_dirs)];
};

void fswatch_refresh(struct fswatch *w)
{
        for (size_t i = 0; i < ELEMENTSOF(watched_dirs); i++) {
                char path[PATH_MAX];

                snprintf(path, sizeof(path), "%s/%s", w->root, watched_dirs[i]);
                /* Adding a watch again is harmless: inotify returns the same wd. */
                w->wd[i] = inotify_add_watch(w->fd, path, WATCH_MASK);
        }
}

int fswatch_new(const char *root, struct fswatch **ret)
{
        struct fswatch *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        w->root = strdup(streq(root, "/") ? "" : root);
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (!w->root || w->fd < 0) {
                int r = w->root ? -errno : -ENOMEM;

                fswatch_free(w);
                return r;
        }
        fswatch_refresh(w);
        *ret = w;
        return 0;
}

struct fswatch *fswatch_free(struct fswatch *w)
{
        if (!w)
                return NULL;
        if (w->fd >= 0)
                close(w->fd);
        free(w->root);
        free(w);
        return NULL;
}

int fswatch_fd(struct fswatch *w)
{
        return w->fd;
}

/* Which watched directory a wd belongs to, or -1. */
static int dir_index(const struct fswatch *w, int wd)
{
        for (size_t i = 0; i < ELEMENTSOF(watched_dirs); i++)
                if (w->wd[i] == wd)
                        return (int)i;
        return -1;
}

/* In /etc only os-release matters; the other directories are watched whole. */
static bool relevant(const struct fswatch *w, const struct inotify_event *ev)
{
        int i = dir_index(w, ev->wd);

        if (ev->mask & IN_Q_OVERFLOW)
                return true;
        if (i < 0)
                return false;
        if (!streq(watched_dirs[i], "etc"))
                return true;
        return ev->len > 0 && (streq(ev->name, "os-release") || streq(ev->name, "default") ||
                               streq(ev->name, "kernel") || streq(ev->name, "initramfs-tools"));
}

int fswatch_drain(struct fswatch *w)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        int hits = 0;

        for (;;) {
                ssize_t n = read(w->fd, buf, sizeof(buf));

                if (n < 0)
                        return errno == EAGAIN ? hits : (errno == EINTR ? hits : -errno);
                if (n == 0)
                        return hits;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;

                        if (relevant(w, ev))
                                hits++;
                        p += sizeof(*ev) + ev->len;
                }
        }
}
