/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

/*
 * Work that may take minutes (prepare runs update-grub, update-initramfs)
 * runs in a forked child, so that the event loop goes on: the watchdog is
 * fed and other requests are answered "busy". The child writes its result
 * to a pipe; the parent collects it (bounded) and is called back once the
 * child has exited. No threads. The child dies with the parent
 * (PR_SET_PDEATHSIG): work the daemon no longer waits for is not done.
 */
struct job;

/* Runs in the child; writes its result to out_fd; returns the exit status. */
typedef int (*job_fn)(void *arg, int out_fd);
/* status: the child's exit status, 128 + signal, or -ETIME when it was killed at its timeout. */
typedef void (*job_done_fn)(void *userdata, int status, const char *data, size_t len);

int job_start(struct loop *l, job_fn fn, void *arg, size_t max, job_done_fn done, void *userdata,
              struct job **ret);
/* Kills the child after usec; done is then called with status -ETIME. */
int job_set_timeout(struct job *j, uint64_t usec);
/* Kills a running job (its result is dropped) and frees it. */
struct job *job_free(struct job *j);
