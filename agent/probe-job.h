/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kvset.h"
#include "loop.h"

/*
 * The daemon's probes, each in a short-lived child process: the child reads
 * the kernel and initramfs images (the decompressors and their buffers live
 * and die with it), judges, and hands back only what the daemon publishes:
 * the state keys of probe_result_keys(), kvset_encode()d. The daemon's loop,
 * its signals, its answers and the watchdog go on meanwhile, and its steady
 * state never holds a decompressor or an image. A child that fails, dies or
 * outlives its time gives verdict unknown, the reason in every check.
 */
struct probe_job;

struct probe_job_args {
        int root_fd;
        bool host_root;
        int state_fd;           /* the state directory, where the child loads and saves the
                                   kernel cache; -1: no cache */
};

/*
 * kv: the state keys, the caller's to keep (move them out); failure: NULL,
 * or why the probe gave no result (kv then holds verdict unknown).
 */
typedef void (*probe_job_done_fn)(void *userdata, struct kvset *kv, const char *failure);

#define PROBE_JOB_TIMEOUT_USEC (60ull * 1000000)

/* a is copied; state_fd must stay open while the job runs. */
int probe_job_start(struct loop *l, const struct probe_job_args *a, probe_job_done_fn done,
                    void *userdata, struct probe_job **ret);
/* Kills a running probe (its result is dropped) and frees it. */
struct probe_job *probe_job_free(struct probe_job *p);
