/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interfaces and their addresses, from rtnetlink directly. One socket
 * subscribed to link and address events only says "something changed"; a
 * snapshot dumps links and addresses afresh on a socket of its own. So there
 * is no cache to keep in step, and an overrun (ENOBUFS: events were lost)
 * costs nothing but the next snapshot, which is complete anyway.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "netwatch.h"
#include "rootfs.h"
#include "util.h"

/* Far above any guest; the bound keeps a snapshot's memory finite. */
#define IFACES_MAX 1024u
#define ADDRS_MAX 256u
/* Big enough for any one message of a dump: the kernel fills up to a page per read. */
#define RECV_BUF (32u << 10)

struct netwatch {
        int fd; /* subscribed to events */
        int root_fd;
        uint32_t seq;
        netwatch_fn changed;
        void *userdata;
};

static int nl_socket(uint32_t groups, bool nonblock)
{
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
                        NETLINK_ROUTE);

        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

int netwatch_new(int root_fd, netwatch_fn changed, void *userdata, struct netwatch **ret)
{
        struct netwatch *w = calloc(1, sizeof(*w));
        int fd;

        if (!w)
                return -ENOMEM;
        fd = nl_socket(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, true);
        if (fd < 0) {
                free(w);
                return fd;
        }
        *w = (struct netwatch){
                .fd = fd, .root_fd = root_fd, .changed = changed, .userdata = userdata
        };
        *ret = w;
        return 0;
}

struct netwatch *netwatch_free(struct netwatch *w)
{
        if (!w)
                return NULL;
        if (w->fd >= 0)
                close(w->fd);
        free(w);
        return NULL;
}

int netwatch_fd(struct netwatch *w)
{
        return w->fd;
}

/*
 * Reads every pending event and calls back once for the whole burst: the
 * snapshot that follows sees all of it. Lost events (ENOBUFS) are one more
 * reason to call back. Returns 0, or -errno when the socket is unusable.
 */
int netwatch_dispatch(struct netwatch *w)
{
        char buf[RECV_BUF];
        bool changed = false;

        for (;;) {
                ssize_t n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == ENOBUFS) {
                        log_debug("Netlink events were lost; the next snapshot reads everything.");
                        changed = true;
                        continue;
                }
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                changed = true;
        }
        if (changed && w->changed)
                w->changed(w->userdata);
        return 0;
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

struct snapshot {
        int root_fd;
        struct net_iface *ifs;
        size_t n;
};

static struct net_iface *find_iface(struct snapshot *s, int ifindex)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->ifs[i].ifindex == ifindex)
                        return &s->ifs[i];
        return NULL;
}

static int add_link(struct snapshot *s, const struct nlmsghdr *h)
{
        const struct ifinfomsg *ifi = NLMSG_DATA(h);
        int len = (int)IFLA_PAYLOAD(h);
        struct net_iface *i;

        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) || (ifi->ifi_flags & IFF_LOOPBACK) ||
            find_iface(s, ifi->ifi_index))
                return 0;
        if (s->n >= IFACES_MAX)
                return 0;
        i = realloc(s->ifs, (s->n + 1) * sizeof(*i));
        if (!i)
                return -ENOMEM;
        s->ifs = i;
        i = &s->ifs[s->n++];
        *i = (struct net_iface){ .ifindex = ifi->ifi_index,
                                 .vif = -1,
                                 .up = (ifi->ifi_flags & IFF_UP) != 0 };
        for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                const unsigned char *b = RTA_DATA(a);

                if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) > 0)
                        snprintf(i->name, sizeof(i->name), "%.*s", (int)RTA_PAYLOAD(a),
                                 (const char *)b);
                else if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6)
                        snprintf(i->mac, sizeof(i->mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0],
                                 b[1], b[2], b[3], b[4], b[5]);
        }
        if (i->name[0])
                i->vif = read_vif(s->root_fd, i->name);
        return 0;
}

static int add_addr(struct snapshot *s, const struct nlmsghdr *h)
{
        const struct ifaddrmsg *ifa = NLMSG_DATA(h);
        int len = (int)IFA_PAYLOAD(h);
        const void *local = NULL, *address = NULL;
        size_t want = ifa->ifa_family == AF_INET ? 4 : 16;
        struct net_iface *i;
        struct net_addr *na;

        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
            (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
                return 0;
        i = find_iface(s, (int)ifa->ifa_index);
        if (!i || i->n_addrs >= ADDRS_MAX)
                return 0;
        for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                if (RTA_PAYLOAD(a) != want)
                        continue;
                if (a->rta_type == IFA_LOCAL)
                        local = RTA_DATA(a);
                else if (a->rta_type == IFA_ADDRESS)
                        address = RTA_DATA(a);
        }
        /* On a point-to-point link IFA_ADDRESS is the peer; the guest's own is IFA_LOCAL. */
        if (!local)
                local = address;
        if (!local)
                return 0;
        na = realloc(i->addrs, (i->n_addrs + 1) * sizeof(*na));
        if (!na)
                return -ENOMEM;
        i->addrs = na;
        na = &i->addrs[i->n_addrs];
        *na = (struct net_addr){ .family = ifa->ifa_family, .prefixlen = ifa->ifa_prefixlen };
        if (inet_ntop(na->family, local, na->text, sizeof(na->text)))
                i->n_addrs++;
        return 0;
}

/* Dumps one kind of object (RTM_GETLINK or RTM_GETADDR) into s. */
static int dump(int fd, uint32_t seq, uint16_t type, struct snapshot *s)
{
        struct {
                struct nlmsghdr h;
                struct rtgenmsg g;
        } req = {
                .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
                       .nlmsg_type = type,
                       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                       .nlmsg_seq = seq },
                .g = { .rtgen_family = AF_UNSPEC },
        };
        _cleanup_free_ char *buf = malloc(RECV_BUF);

        if (!buf)
                return -ENOMEM;
        if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
                return -errno;
        for (;;) {
                ssize_t n = recv(fd, buf, RECV_BUF, MSG_TRUNC);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EPROTO;
                if ((size_t)n > RECV_BUF)
                        return -EMSGSIZE;
                for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)n;) {
                        const struct nlmsghdr *h = (const void *)(buf + off);
                        int r = 0;

                        if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > (size_t)n - off)
                                return -EPROTO;
                        off += NLMSG_ALIGN(h->nlmsg_len);
                        if (h->nlmsg_seq != seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);

                                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                                        return -EPROTO;
                                return e->error < 0 ? e->error : -EPROTO;
                        }
                        if (h->nlmsg_type == RTM_NEWLINK)
                                r = add_link(s, h);
                        else if (h->nlmsg_type == RTM_NEWADDR)
                                r = add_addr(s, h);
                        if (r < 0)
                                return r;
                }
        }
}

static int cmp_iface(const void *a, const void *b)
{
        const struct net_iface *x = a, *y = b;

        return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

int netwatch_snapshot(struct netwatch *w, struct net_iface **ret, size_t *ret_n)
{
        struct snapshot s = { .root_fd = w->root_fd };
        _cleanup_close_ int fd = nl_socket(0, false);
        int r;

        if (fd < 0)
                return fd;
        r = dump(fd, ++w->seq, RTM_GETLINK, &s);
        if (r >= 0)
                r = dump(fd, ++w->seq, RTM_GETADDR, &s);
        if (r < 0) {
                net_ifaces_free(s.ifs, s.n);
                return r;
        }
        if (s.n > 0)
                qsort(s.ifs, s.n, sizeof(*s.ifs), cmp_iface);
        *ret = s.ifs;
        *ret_n = s.n;
        return 0;
}

void net_ifaces_free(struct net_iface *ifs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(ifs[i].addrs);
        free(ifs);
}
