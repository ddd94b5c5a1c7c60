/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Network interfaces and their addresses, from rtnetlink: link and address
 * events say that something changed, and each snapshot is a fresh dump.
 * Nothing is polled.
 */
struct netwatch;

struct net_addr {
        int family; /* AF_INET or AF_INET6 */
        char text[INET6_ADDRSTRLEN];
        unsigned prefixlen;
};

struct net_iface {
        int ifindex;
        char name[IF_NAMESIZE];
        char mac[18];  /* "" when the link has none */
        int vif;       /* N of device/vif/N, or -1 */
        bool up;
        struct net_addr *addrs;
        size_t n_addrs;
};

typedef void (*netwatch_fn)(void *userdata);

/* root_fd: where sys/class/net/IF/device/nodename is read for the VIF id. */
int netwatch_new(int root_fd, netwatch_fn changed, void *userdata, struct netwatch **ret);
struct netwatch *netwatch_free(struct netwatch *w);
int netwatch_fd(struct netwatch *w);
/*
 * Call when netwatch_fd() is readable: reads every pending event and calls
 * back once for the burst (also when events were lost). 0 or -errno.
 */
int netwatch_dispatch(struct netwatch *w);

/* The current interfaces (loopback left out), ordered by ifindex. */
int netwatch_snapshot(struct netwatch *w, struct net_iface **ret, size_t *ret_n);
void net_ifaces_free(struct net_iface *ifs, size_t n);
