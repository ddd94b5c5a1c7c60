/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvset.h"
#include "netwatch.h"

/*
 * The keys XAPI's guest metrics and Xen Orchestra read, as xe-guest-utilities
 * writes them (protocol/PROTOCOL.md, "Compatibility"), published only when
 * the guest's owner asks for them (compat = xapi, --compat xapi). Keys are
 * relative to the domain home; every one lies in compat_roots, which the
 * agent owns whole while it publishes them and never touches otherwise.
 */
extern const char *const compat_roots[];

/* xe-guest-utilities reads memory every other minute; the agent at most once a minute. */
#define COMPAT_MEMINFO_PERIOD_USEC (60 * 1000 * 1000ULL)

struct compat_meminfo {
        uint64_t total_kb;
        uint64_t avail_kb; /* MemAvailable; MemFree on kernels before 3.14 */
};

/* data/os_* from the probe's own keys (relative to ~/data/pvh), already held to their types. */
int compat_add_os(struct kvset *out, const struct kvset *probe_kv);
/* attr/PVAddons/{Major,Minor,Micro,Build}Version from "X.Y.Z": numbers only. */
int compat_add_version(struct kvset *out, const char *version);
/* attr/vif/VIF/ipv4/N and ipv6/N for every interface that is a VIF. */
int compat_add_vifs(struct kvset *out, const struct net_iface *ifs, size_t n);
int compat_add_meminfo(struct kvset *out, const struct compat_meminfo *m);
/* /proc/meminfo under the root: -ENODATA when MemTotal or both free figures are missing. */
int compat_read_meminfo(int root_fd, struct compat_meminfo *ret);
/* COMPAT_MEMINFO_PERIOD_USEC, or a test hook's (--enable-fault-injection). */
uint64_t compat_meminfo_period_usec(void);
