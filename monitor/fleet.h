/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "guest.h"
#include "xstore.h"

/*
 * Every guest, kept current by watches: @introduceDomain and @releaseDomain
 * for the list, and per guest one watch on its data/pvh and one on its name. Events only mark a
 * guest dirty; fleet_refresh() then reads each dirty guest once, so a guest
 * that floods writes costs one read per round and cannot starve the others.
 */
struct fleet_entry {
        unsigned domid;
        bool dirty;
        bool changed; /* re-read in the last refresh */
        struct guest g;
};

struct fleet {
        struct xstore *x;
        struct fleet_entry *e;
        unsigned n;
        bool list_dirty;
        unsigned flags; /* GUEST_READ_* */
};

int fleet_start(struct fleet *f, struct xstore *x, unsigned flags);
void fleet_done(struct fleet *f);
/* Takes pending watch events (at most a bounded number per call); > 0 when any. */
int fleet_drain(struct fleet *f);
/* Re-lists and re-reads what the events marked; returns how many guests changed or went. */
int fleet_refresh(struct fleet *f);
/* Copies the guests into an array for rendering (shallow: do not free them). */
const struct guest *fleet_guest(const struct fleet *f, unsigned i);
