/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/*
 * The agent's one event loop: epoll over a handful of file descriptors,
 * each with a callback. No threads; callbacks run to completion.
 */
struct loop;
struct loop_source;

typedef int (*loop_io_fn)(struct loop_source *src, int fd, uint32_t events, void *userdata);

int loop_new(struct loop **ret);
struct loop *loop_free(struct loop *l);

int loop_add_io(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *userdata,
                struct loop_source **ret);
/* A timerfd on CLOCK_MONOTONIC; arm with loop_timer_set(). */
int loop_add_timer(struct loop *l, loop_io_fn fn, void *userdata, struct loop_source **ret);
int loop_timer_set(struct loop_source *src, uint64_t first_usec, uint64_t interval_usec);
int loop_timer_disarm(struct loop_source *src);
void loop_source_remove(struct loop_source *src);

/* Runs until loop_quit(); returns the code given to loop_quit(), or -errno. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l, int code);
