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
        char *cfg_dir, *cfg_name;         /* the configuration file's directory and name */
        char *cfg_parent, *cfg_dir_name;  /* that directory's parent, and its name there */
        int cfg_wd, cfg_parent_wd;
};

void fswatch_refresh(struct fswatch *w)
{
        for (size_t i = 0; i < ELEMENTSOF(watched_dirs); i++) {
                char path[PATH_MAX];

                snprintf(path, sizeof(path), "%s/%s", w->root, watched_dirs[i]);
                /* Adding a watch again is harmless: inotify returns the same wd. */
                w->wd[i] = inotify_add_watch(w->fd, path, WATCH_MASK);
        }
        /* A directory made or put back later is watched from the next refresh on. */
        w->cfg_wd = inotify_add_watch(w->fd, w->cfg_dir, WATCH_MASK);
        w->cfg_parent_wd = inotify_add_watch(w->fd, w->cfg_parent, WATCH_MASK);
}

/* Splits path into a copy of its directory and of its last name. */
static int split_path(const char *path, char **ret_dir, char **ret_name)
{
        const char *slash = strrchr(path, '/');

        if (!slash) {
                *ret_dir = strdup(".");
                *ret_name = strdup(path);
        } else {
                *ret_dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
                *ret_name = strdup(slash + 1);
        }
        return *ret_dir && *ret_name ? 0 : -ENOMEM;
}

int fswatch_new(const char *root, const char *config, struct fswatch **ret)
{
        struct fswatch *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
#ifdef ENABLE_FAULT_INJECTION
        /* Test hook: inotify refused, as at its per-user instance limit. */
        if (getenv("PVH_AGENT_NO_INOTIFY")) {
                free(w);
                return -EMFILE;
        }
#endif
        w->cfg_wd = w->cfg_parent_wd = -1;
        w->root = strdup(streq(root, "/") ? "" : root);
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        r = !w->root ? -ENOMEM : w->fd < 0 ? -errno : 0;
        if (r >= 0)
                r = split_path(config, &w->cfg_dir, &w->cfg_name);
        if (r >= 0)
                r = split_path(w->cfg_dir, &w->cfg_parent, &w->cfg_dir_name);
        if (r < 0) {
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
        free(w->cfg_dir);
        free(w->cfg_name);
        free(w->cfg_parent);
        free(w->cfg_dir_name);
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

        if (i < 0)
                return false;
        if (!streq(watched_dirs[i], "etc"))
                return true;
        return ev->len > 0 && (streq(ev->name, "os-release") || streq(ev->name, "default") ||
                               streq(ev->name, "kernel") || streq(ev->name, "initramfs-tools"));
}

/*
 * The file itself, its directory going or coming back (then the watch is
 * gone or not there yet: the file may have changed with it). The directory
 * may also be one of watched_dirs: one wd then serves both.
 */
static bool about_config(const struct fswatch *w, const struct inotify_event *ev)
{
        if (ev->wd == w->cfg_wd && (ev->len == 0 || streq(ev->name, w->cfg_name)))
                return true;
        return ev->wd == w->cfg_parent_wd && ev->len > 0 && streq(ev->name, w->cfg_dir_name);
}

static unsigned what(const struct fswatch *w, const struct inotify_event *ev)
{
        if (ev->mask & IN_Q_OVERFLOW)
                return FSWATCH_PROBE | FSWATCH_CONFIG;
        return (relevant(w, ev) ? FSWATCH_PROBE : 0) | (about_config(w, ev) ? FSWATCH_CONFIG : 0);
}

int fswatch_drain(struct fswatch *w)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        unsigned hits = 0;

        for (;;) {
                ssize_t n = read(w->fd, buf, sizeof(buf));

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? (int)hits : -errno;
                if (n == 0)
                        return (int)hits;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;

                        hits |= what(w, ev);
                        p += sizeof(*ev) + ev->len;
                }
        }
}
