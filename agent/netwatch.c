/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only file that speaks libnl's conventions (-NLE_* codes); it returns
 * -errno like the rest of the agent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "netwatch.h"
#include "rootfs.h"
#include "util.h"

struct netwatch {
        struct nl_cache_mngr *mngr;
        struct nl_cache *links;
        struct nl_cache *addrs;
        int root_fd;
        netwatch_fn changed;
        void *userdata;
};

static int nlerr_to_errno(int e)
{
        switch (e < 0 ? -e : e) {
        case NLE_NOMEM:
                return -ENOMEM;
        case NLE_AGAIN:
                return -EAGAIN;
        case NLE_PERM:
                return -EPERM;
        case NLE_NOACCESS:
                return -EACCES;
        case NLE_INVAL:
                return -EINVAL;
        case NLE_BAD_SOCK:
                return -EBADF;
        default:
                return -EIO;
        }
}

static void on_change(struct nl_cache *c, struct nl_object *o, int action, void *data)
{
        struct netwatch *w = data;

        if (w->changed)
                w->changed(w->userdata);
}

static void netwatch_close(struct netwatch *w)
{
        /* The manager owns the caches it was given. */
        if (w->mngr)
                nl_cache_mngr_free(w->mngr);
        w->mngr = NULL;
        w->links = w->addrs = NULL;
}

static int netwatch_open(struct netwatch *w)
{
        int r;

        r = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &w->mngr);
        if (r < 0)
                return nlerr_to_errno(r);
        r = nl_cache_mngr_add(w->mngr, "route/link", on_change, w, &w->links);
        if (r >= 0)
                r = nl_cache_mngr_add(w->mngr, "route/addr", on_change, w, &w->addrs);
        if (r < 0) {
                netwatch_close(w);
                return nlerr_to_errno(r);
        }
        return 0;
}

int netwatch_new(int root_fd, netwatch_fn changed, void *userdata, struct netwatch **ret)
{
        struct netwatch *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        *w = (struct netwatch){ .root_fd = root_fd, .changed = changed, .userdata = userdata };
        r = netwatch_open(w);
        if (r < 0) {
                free(w);
                return r;
        }
        *ret = w;
        return 0;
}

struct netwatch *netwatch_free(struct netwatch *w)
{
        if (!w)
                return NULL;
        netwatch_close(w);
        free(w);
        return NULL;
}

int netwatch_fd(struct netwatch *w)
{
        return nl_cache_mngr_get_fd(w->mngr);
}

int netwatch_dispatch(struct netwatch *w)
{
        int r = nl_cache_mngr_data_ready(w->mngr);

        if (r >= 0)
                return 0;
        /*
         * An overrun (ENOBUFS, reported by libnl as NLE_NOMEM) means events
         * were lost: throw the caches away and dump everything again. The
         * caller must re-register netwatch_fd(), which changes.
         */
        netwatch_close(w);
        r = netwatch_open(w);
        if (r < 0)
                return r;
        if (w->changed)
                w->changed(w->userdata);
        return 1;
}

/* "device/vif/N" in sys/class/net/IF/device/nodename → N; -1 otherwise. */
static int read_vif(int root_fd, const char *ifname)
{
        _cleanup_free_ char *buf = NULL;
        char path[128];
        unsigned vif;

        snprintf(path, sizeof(path), "/sys/class/net/%s/device/nodename", ifname);
        if (root_read_file(root_fd, path, 64, &buf, NULL) < 0)
                return -1;
        buf[strcspn(buf, "\n")] = '\0';
        if (!startswith(buf, "device/vif/") || safe_atou(buf + STRLEN("device/vif/"), &vif) < 0 ||
            vif > 65535)
                return -1;
        return (int)vif;
}

struct addr_walk {
        struct net_iface *iface;
        int error;
};

static void add_addr(struct nl_object *o, void *data)
{
        struct addr_walk *aw = data;
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        struct nl_addr *local = rtnl_addr_get_local(a);
        struct net_iface *i = aw->iface;
        struct net_addr *na;

        if (rtnl_addr_get_ifindex(a) != i->ifindex || !local)
                return;
        na = realloc(i->addrs, (i->n_addrs + 1) * sizeof(*na));
        if (!na) {
                aw->error = -ENOMEM;
                return;
        }
        i->addrs = na;
        na = &i->addrs[i->n_addrs];
        *na = (struct net_addr){ .family = nl_addr_get_family(local),
                                 .prefixlen = nl_addr_get_prefixlen(local) };
        if (!inet_ntop(na->family, nl_addr_get_binary_addr(local), na->text, sizeof(na->text)))
                return;
        i->n_addrs++;
}

static int fill_iface(struct netwatch *w, struct rtnl_link *l, struct net_iface *i)
{
        struct nl_addr *mac = rtnl_link_get_addr(l);
        struct addr_walk aw = { .iface = i };
        const char *name = rtnl_link_get_name(l);

        *i = (struct net_iface){ .ifindex = rtnl_link_get_ifindex(l), .vif = -1 };
        snprintf(i->name, sizeof(i->name), "%s", name ? name : "");
        i->up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
        if (mac && nl_addr_get_len(mac) == 6) {
                const unsigned char *b = nl_addr_get_binary_addr(mac);

                snprintf(i->mac, sizeof(i->mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
                         b[3], b[4], b[5]);
        }
        if (i->name[0])
                i->vif = read_vif(w->root_fd, i->name);
        nl_cache_foreach(w->addrs, add_addr, &aw);
        return aw.error;
}

static int cmp_iface(const void *a, const void *b)
{
        const struct net_iface *x = a, *y = b;

        return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

int netwatch_snapshot(struct netwatch *w, struct net_iface **ret, size_t *ret_n)
{
        int max = nl_cache_nitems(w->links);
        struct net_iface *ifs = calloc(max > 0 ? (size_t)max : 1, sizeof(*ifs));
        struct nl_object *o;
        size_t n = 0;

        if (!ifs)
                return -ENOMEM;
        for (o = nl_cache_get_first(w->links); o && n < (size_t)max; o = nl_cache_get_next(o)) {
                struct rtnl_link *l = (struct rtnl_link *)o;

                if (rtnl_link_get_flags(l) & IFF_LOOPBACK)
                        continue;
                if (fill_iface(w, l, &ifs[n]) < 0) {
                        net_ifaces_free(ifs, n + 1);
                        return -ENOMEM;
                }
                n++;
        }
        qsort(ifs, n, sizeof(*ifs), cmp_iface);
        *ret = ifs;
        *ret_n = n;
        return 0;
}

void net_ifaces_free(struct net_iface *ifs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(ifs[i].addrs);
        free(ifs);
}
