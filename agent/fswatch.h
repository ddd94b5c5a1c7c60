/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * inotify on the directories the verdict depends on (kernels and initramfs
 * in /boot, the grub menu and its defaults, kernel hooks, os-release), so
 * that a kernel install or a grub change re-probes without polling; and on
 * the directory of the owner's configuration file, so that an edit takes
 * effect at once.
 */
struct fswatch;

enum {
        FSWATCH_PROBE = 1 << 0,  /* something the verdict depends on changed */
        FSWATCH_CONFIG = 1 << 1, /* the configuration file may have changed */
};

/* config: the configuration file's path on this host (its directory and that one's parent are watched). */
int fswatch_new(const char *root, const char *config, struct fswatch **ret);
struct fswatch *fswatch_free(struct fswatch *w);
int fswatch_fd(struct fswatch *w);
/* Reads every pending event; returns the FSWATCH_* flags of what they concern, or -errno. */
int fswatch_drain(struct fswatch *w);
/* Adds watches for watched directories that did not exist before. */
void fswatch_refresh(struct fswatch *w);
