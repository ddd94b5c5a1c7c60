/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a real toolstack (xl / libxl) does in xenstore when domains come and
 * go, done as dom0 over xenstored's socket, plus the "hypervisor" side of the
 * domain's life: its state in the domain table and VIRQ_DOM_EXC.
 */
#include <uuid/uuid.h>
#include <xenstore.h>

#include "simcore.h"

#define TOOLSTACK_VIRQ_DOM_EXC 3 /* VIRQ_DOM_EXC in xen/xen.h */

/* What the toolstack knows of a domain without xenstore, to write its keys again. */
struct toolstack_record {
        char name[128];
        char uuid[UUID_STR_LEN];
};

int toolstack_open(const struct simcore_host *h, struct xs_handle **ret);
/* uuid: the domain's, as a configuration's uuid= gives it; NULL: a new one, as libxl makes. */
int toolstack_record_new(const struct simcore_host *h, unsigned domid, const char *name, const char *uuid,
                         struct toolstack_record *ret);
int toolstack_record_load(const struct simcore_host *h, unsigned domid,
                          struct toolstack_record *ret);
int toolstack_record_remove(const struct simcore_host *h, unsigned domid);
int toolstack_write_domain(struct xs_handle *xs, unsigned domid, const char *name,
                           const char *uuid);
int toolstack_remove_domain(struct xs_handle *xs, unsigned domid);
int toolstack_raise_dom_exc(const struct simcore_host *h);
int toolstack_wait_release(struct xs_handle *xs, const struct simcore_host *h, unsigned domid,
                           bool until_gone);
