/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <signal.h>
#include <stdint.h>

/*
 * The one event loop of every program: epoll over a handful of descriptors,
 * each with a callback. No threads; callbacks run to completion.
 */
struct loop;
struct loop_source;

typedef int (*loop_io_fn)(struct loop_source *src, int fd, uint32_t events, void *userdata);
typedef int (*loop_signal_fn)(struct loop_source *src, int signo, void *userdata);
typedef int (*loop_prepare_fn)(struct loop *l, void *userdata);

int loop_new(struct loop **ret);
struct loop *loop_free(struct loop *l);

int loop_add_io(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *userdata,
                struct loop_source **ret);
/* A timerfd on CLOCK_MONOTONIC; arm with loop_timer_set(). */
int loop_add_timer(struct loop *l, loop_io_fn fn, void *userdata, struct loop_source **ret);
int loop_timer_set(struct loop_source *src, uint64_t first_usec, uint64_t interval_usec);
int loop_timer_disarm(struct loop_source *src);
void loop_source_remove(struct loop_source *src);
/* Blocks the signals in mask and delivers them through a signalfd, one call per signal. */
int loop_add_signals(struct loop *l, const sigset_t *mask, loop_signal_fn fn, void *userdata,
                     struct loop_source **ret);
/*
 * Called before each wait for events, the first one included: the place to
 * act on what the last round's handlers marked, and to arm timers that
 * depend on it. A negative return ends loop_run() with that code.
 */
void loop_set_prepare(struct loop *l, loop_prepare_fn fn, void *userdata);

/* Runs until loop_quit(); returns the code given to loop_quit(), or -errno. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l, int code);
