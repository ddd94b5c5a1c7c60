/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * inotify on the directories the verdict depends on (kernels and initramfs
 * in /boot, the grub menu and its defaults, kernel hooks, os-release), so
 * that a kernel install or a grub change re-probes without polling.
 */
struct fswatch;

int fswatch_new(const char *root, struct fswatch **ret);
struct fswatch *fswatch_free(struct fswatch *w);
int fswatch_fd(struct fswatch *w);
/* Reads every pending event; returns how many concern the verdict (> 0: re-probe). */
int fswatch_drain(struct fswatch *w);
/* Adds watches for watched directories that did not exist before. */
void fswatch_refresh(struct fswatch *w);
