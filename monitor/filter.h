/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "guest.h"

/*
 * The one grammar of --filter and --exclude: KEY=VALUE, where VALUE is a
 * shell glob (fnmatch(3): *, ?, [...], \ quotes the next character). A guest
 * is selected when it matches every --filter term and no --exclude term. A
 * key may have several values for one guest (its failing checks); a term
 * matches when one of them does, and never when the guest has none.
 */
enum filter_key {
        FILTER_NAME,
        FILTER_DOMID,
        FILTER_UUID,
        FILTER_TYPE,    /* guest_type */
        FILTER_VERDICT,
        FILTER_ARCH,
        FILTER_OS,      /* "ID" and "ID VERSION_ID" */
        FILTER_KERNEL,  /* the running kernel's release */
        FILTER_AGENT,   /* the agent's version */
        FILTER_FAILING, /* a failing check id */
        FILTER_RISK,    /* none, warn, next-boot-fails */
        _FILTER_KEY_MAX,
};

struct filter_term {
        enum filter_key key;
        bool exclude;
        char *pattern;
};

struct filter {
        struct filter_term *t;
        unsigned n;
};

#define FILTER_VALUES_MAX (PROTO_CHECKS_MAX + 1)

/* Adds the term KEY=VALUE (logs why when it is not one). */
int filter_add(struct filter *f, const char *arg, bool exclude);
void filter_done(struct filter *f);
bool filter_empty(const struct filter *f);
/* The keys, for --help and error messages: "name, domid, ...". */
const char *filter_keys(void);

/*
 * The values of key k for one candidate, at most FILTER_VALUES_MAX, into
 * ret (valid while the candidate is); returns how many. buf is scratch room
 * for values that must be formatted.
 */
typedef unsigned (*filter_values_fn)(const void *candidate, enum filter_key k,
                                     const char *ret[static FILTER_VALUES_MAX], char *buf, size_t size);
bool filter_match(const struct filter *f, filter_values_fn values, const void *candidate);
/* filter_match() on a guest read from xenstore. */
bool filter_match_guest(const struct filter *f, const struct guest *g);
