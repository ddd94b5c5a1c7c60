/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netwatch against real netlink, in a network namespace of its own: a veth
 * pair and addresses appear and disappear, each snapshot shows them as they
 * are, and the events call back. Skips (77) where a network namespace cannot
 * be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "netwatch.h"
#include "util.h"

static unsigned changes;

static void on_change(void *userdata)
{
        changes++;
}

static int ip(const char *args)
{
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "ip %s", args);
        return system(cmd) == 0 ? 0 : -1;
}

/* Dispatches events until pred() holds; gives up after a generous bound. */
static int wait_for(struct netwatch *w, int (*pred)(struct netwatch *))
{
        for (int i = 0; i < 100; i++) {
                struct pollfd p = { .fd = netwatch_fd(w), .events = POLLIN };

                if (pred(w))
                        return 1;
                if (poll(&p, 1, 100) > 0 && netwatch_dispatch(w) < 0)
                        return -1;
        }
        return pred(w);
}

/* Dispatches events until one has called back; 1 when one did. */
static int wait_changed(struct netwatch *w)
{
        for (int i = 0; i < 100 && changes == 0; i++) {
                struct pollfd p = { .fd = netwatch_fd(w), .events = POLLIN };

                if (poll(&p, 1, 100) > 0 && netwatch_dispatch(w) < 0)
                        return -1;
        }
        return changes > 0;
}

static const struct net_iface *find(struct net_iface *ifs, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(ifs[i].name, name))
                        return &ifs[i];
        return NULL;
}

static int has_addr(struct netwatch *w, const char *ifname, const char *addr)
{
        struct net_iface *ifs;
        const struct net_iface *i;
        size_t n;
        int found = 0;

        if (netwatch_snapshot(w, &ifs, &n) < 0)
                return 0;
        i = find(ifs, n, ifname);
        for (size_t k = 0; i && k < i->n_addrs; k++)
                if (streq(i->addrs[k].text, addr))
                        found = 1;
        net_ifaces_free(ifs, n);
        return found;
}

static int v0_has_v4(struct netwatch *w)
{
        return has_addr(w, "v0", "192.0.2.10");
}

static int v0_has_v6(struct netwatch *w)
{
        return has_addr(w, "v0", "2001:db8::10");
}

static int v0_lost_v4(struct netwatch *w)
{
        return !has_addr(w, "v0", "192.0.2.10");
}

static int v0_gone(struct netwatch *w)
{
        struct net_iface *ifs;
        size_t n;
        int gone;

        if (netwatch_snapshot(w, &ifs, &n) < 0)
                return 0;
        gone = find(ifs, n, "v0") == NULL && find(ifs, n, "v1") == NULL;
        net_ifaces_free(ifs, n);
        return gone;
}

static int make_root(char *dir)
{
        char path[256];
        int fd;

        if (!mkdtemp(dir))
                return -errno;
        snprintf(path, sizeof(path), "mkdir -p %s/sys/class/net/v0/device", dir);
        if (system(path) != 0)
                return -EIO;
        snprintf(path, sizeof(path), "%s/sys/class/net/v0/device/nodename", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write_all(fd, "device/vif/3\n", 13) < 0)
                return -EIO;
        close(fd);
        return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int main(void)
{
        char dir[] = "/tmp/test-netwatch.XXXXXX";
        struct netwatch *w;
        struct net_iface *ifs;
        const struct net_iface *v0;
        char cmd[300];
        size_t n;
        int root_fd, r;

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP: cannot create a network namespace: %s\n", strerror(errno));
                return 77;
        }
        if (system("ip link set lo up") != 0) {
                fprintf(stderr, "SKIP: the ip command (iproute2) is not usable\n");
                return 77;
        }
        root_fd = make_root(dir);
        if (root_fd < 0) {
                fprintf(stderr, "cannot make the fixture root: %s\n", strerror(-root_fd));
                return 1;
        }
        r = netwatch_new(root_fd, on_change, NULL, &w);
        if (r < 0) {
                fprintf(stderr, "netwatch_new: %s\n", strerror(-r));
                return 1;
        }
        CHECK(netwatch_snapshot(w, &ifs, &n) == 0);
        CHECK(n == 0); /* only lo, which is left out */
        net_ifaces_free(ifs, n);

        if (ip("link add v0 type veth peer name v1") < 0) {
                fprintf(stderr, "SKIP: veth links cannot be created here\n");
                netwatch_free(w);
                return 77;
        }
        CHECK(ip("link set v0 up") == 0 && ip("addr add 192.0.2.10/24 dev v0") == 0);
        CHECK(ip("addr add 2001:db8::10/64 dev v0 nodad") == 0);
        CHECK(wait_for(w, v0_has_v4) == 1);
        CHECK(wait_for(w, v0_has_v6) == 1);
        CHECK(wait_changed(w) == 1);

        CHECK(netwatch_snapshot(w, &ifs, &n) == 0);
        v0 = find(ifs, n, "v0");
        CHECK(v0 != NULL);
        if (v0) {
                CHECK(v0->vif == 3);
                CHECK(v0->up);
                CHECK(strlen(v0->mac) == 17);
        }
        CHECK(find(ifs, n, "v1") && find(ifs, n, "v1")->vif == -1);
        net_ifaces_free(ifs, n);

        changes = 0;
        CHECK(ip("addr del 192.0.2.10/24 dev v0") == 0);
        CHECK(wait_for(w, v0_lost_v4) == 1);
        CHECK(wait_changed(w) == 1);
        CHECK(ip("link del v0") == 0);
        CHECK(wait_for(w, v0_gone) == 1);

        netwatch_free(w);
        close(root_fd);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "warning: could not remove %s\n", dir);
        return check_exit("netwatch");
}
