/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "migrate.h"
#include "xstore.h"

/*
 * Trial boots (pvh-monitor trial): a guest's PVH boot tried on a throwaway
 * copy. Every disk gets a copy-on-write snapshot (an LVM snapshot of bounded
 * size, or a reflink copy on XFS or Btrfs); a domain NAME-pvhtrial starts
 * from the PVH version of the guest's configuration on those snapshots, with
 * no network card, half the memory and a UUID of its own; the trial waits
 * until its agent publishes guest_type PVH, or it crashes, shuts down, or
 * shows no PVH boot in time. The domain and the snapshots go in every case.
 */

#define TRIAL_SUFFIX "-pvhtrial"

struct trial_opts {
        const char *xl;     /* the toolstack */
        const char *config; /* the configuration path; %n is the domain name */
        const char *pvgrub, *pvhgrub;
        const char *console_log; /* %n is the trial domain's name; NULL: none */
        const char *run_dir;     /* where the copies' configurations are written */
        unsigned timeout_s;      /* for the boot */
        unsigned settle_s;       /* a copy without an agent: seconds it must stay up once connected */
        unsigned toolstack_timeout_s;
};

enum trial_outcome {
        TRIAL_BOOTED,
        TRIAL_FAILED,  /* the copy was started and did not boot as PVH */
        TRIAL_REFUSED, /* no copy was started: why is the reason */
};

struct trial_result {
        enum trial_outcome outcome;
        char *reason;
        char *console; /* the end of the copy's console output, escaped; NULL when none */
        int64_t at;
        /* The verdict when it began: ready, fixable, blocked, or unknown (static). */
        const char *predicted;
};

const char *trial_outcome_to_string(enum trial_outcome o);
void trial_result_done(struct trial_result *r);

/*
 * Tries one guest, journaled in d (see mdb_trial_begin), its outcome stored;
 * < 0 only for failures of our own (memory, the database), or when something
 * could not be removed (logged; the journal still names it).
 */
int trial_run(struct mdb *d, struct xstore *x, const struct trial_opts *o, const char *name,
              struct trial_result *ret);
/* Removes what killed trials left, from the journal: how many they were, or < 0 (logged). */
int trial_cleanup(struct mdb *d, const struct trial_opts *o);
