/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "crashpoint.h"
#include "macro.h"
#include "protocol.h"
#include "rootfs.h"
#include "util.h"

#define MEMINFO_MAX (64u << 10)

/*
 * Whole subtrees for what only a guest agent writes there (attr/PVAddons,
 * attr/vif: xen-guest-agent clears attr/vif at start for the same reason),
 * single keys in data/, where the kernel, other tools and the agent's own
 * data/pvh live side by side.
 */
const char *const compat_roots[] = {
        "attr/PVAddons",
        "attr/vif",
        "data/os_name",
        "data/os_uname",
        "data/os_distro",
        "data/os_majorver",
        "data/os_minorver",
        "data/meminfo_total",
        "data/meminfo_free",
        "data/updated",
        NULL,
};

/* The leading digits of s up to a '.' or the end, into buf; false when there are none. */
static bool number_part(const char *s, char *buf, size_t size)
{
        size_t n = strspn(s, "0123456789");

        if (n == 0 || n >= size || (s[n] != '\0' && s[n] != '.'))
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        return true;
}

int compat_add_os(struct kvset *out, const struct kvset *probe_kv)
{
        const char *name = kvset_get(probe_kv, "os/pretty_name"), *id = kvset_get(probe_kv, "os/id");
        const char *release = kvset_get(probe_kv, "kernel/release");
        const char *version = kvset_get(probe_kv, "os/version_id");
        char major[16], minor[16];
        int r = 0;

        if (name)
                r = kvset_set(out, "data/os_name", name);
        if (r >= 0 && release)
                r = kvset_set(out, "data/os_uname", release);
        if (r >= 0 && id)
                r = kvset_set(out, "data/os_distro", id);
        /* "12" is major 12 and no minor; "22.04" is 22 and 04, as distributions write them. */
        if (r >= 0 && version && number_part(version, major, sizeof(major))) {
                const char *dot = strchr(version, '.');

                r = kvset_set(out, "data/os_majorver", major);
                if (r >= 0 && dot && number_part(dot + 1, minor, sizeof(minor)))
                        r = kvset_set(out, "data/os_minorver", minor);
        }
        return r;
}

int compat_add_version(struct kvset *out, const char *version)
{
        static const char *const keys[] = {
                "attr/PVAddons/MajorVersion",
                "attr/PVAddons/MinorVersion",
                "attr/PVAddons/MicroVersion",
        };
        const char *p = version;
        int r = 0;

        /* XAPI reads each as a number; a part that is not one is 0. */
        for (size_t i = 0; i < ELEMENTSOF(keys) && r >= 0; i++) {
                char part[16] = "0";

                if (p && !number_part(p, part, sizeof(part)))
                        snprintf(part, sizeof(part), "0");
                r = kvset_set(out, keys[i], part);
                p = p ? strchr(p, '.') : NULL;
                p = p ? p + 1 : NULL;
        }
        /* No build numbers: the release is the whole version. */
        return r >= 0 ? kvset_set(out, "attr/PVAddons/BuildVersion", "0") : r;
}

/* One VIF's addresses, numbered per family in the order the kernel lists them, no prefix length. */
static int add_vif(struct kvset *out, const struct net_iface *i)
{
        unsigned n4 = 0, n6 = 0;
        int r = 0;

        for (size_t k = 0; k < i->n_addrs && r >= 0; k++) {
                const struct net_addr *na = &i->addrs[k];
                bool v4 = na->family == AF_INET;
                char key[64];

                /* The agent's own bounds for net/: a guest cannot grow xenstore without end. */
                if ((v4 && n4 >= PROTO_NET_IPV4_MAX) || (!v4 && n6 >= PROTO_NET_IPV6_MAX) ||
                    (!v4 && na->family != AF_INET6))
                        continue;
                snprintf(key, sizeof(key), "attr/vif/%d/%s/%u", i->vif, v4 ? "ipv4" : "ipv6",
                         v4 ? n4++ : n6++);
                r = kvset_set(out, key, na->text);
        }
        return r;
}

int compat_add_vifs(struct kvset *out, const struct net_iface *ifs, size_t n)
{
        int r = 0;

        for (size_t k = 0; k < n && r >= 0; k++) {
                char prefix[32];

                if (ifs[k].vif < 0)
                        continue;
                /* Two interfaces naming the same VIF (a tree under --root): the first one speaks. */
                snprintf(prefix, sizeof(prefix), "attr/vif/%d", ifs[k].vif);
                if (kvset_has_prefix(out, prefix))
                        continue;
                r = add_vif(out, &ifs[k]);
        }
        return r;
}

int compat_add_meminfo(struct kvset *out, const struct compat_meminfo *m)
{
        int r = kvset_setf(out, "data/meminfo_total", "%" PRIu64, m->total_kb);

        return r >= 0 ? kvset_setf(out, "data/meminfo_free", "%" PRIu64, m->avail_kb) : r;
}

/* "Name:   1234 kB" at the start of a line: the number; false when absent or not one. */
static bool meminfo_field(const char *text, const char *name, uint64_t *ret)
{
        size_t n = strlen(name);

        for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                char digits[24];
                size_t d;

                if (strncmp(l, name, n) != 0 || l[n] != ':')
                        continue;
                l += n + 1;
                l += strspn(l, " \t");
                d = strspn(l, "0123456789");
                if (d == 0 || d >= sizeof(digits))
                        return false;
                memcpy(digits, l, d);
                digits[d] = '\0';
                return safe_atou64(digits, ret) >= 0;
        }
        return false;
}

int compat_read_meminfo(int root_fd, struct compat_meminfo *ret)
{
        _cleanup_free_ char *text = NULL;
        struct compat_meminfo m;
        int r = root_read_file(root_fd, "/proc/meminfo", MEMINFO_MAX, &text, NULL);

        if (r < 0)
                return r;
        if (!meminfo_field(text, "MemTotal", &m.total_kb))
                return -ENODATA;
        if (!meminfo_field(text, "MemAvailable", &m.avail_kb) &&
            !meminfo_field(text, "MemFree", &m.avail_kb))
                return -ENODATA;
        *ret = m;
        return 0;
}

/*
 * Test hook (--enable-fault-injection only): PVH_AGENT_MEMINFO_PERIOD=SECONDS
 * replaces the minute between two readings of /proc/meminfo.
 */
uint64_t compat_meminfo_period_usec(void)
{
        return crashpoint_usec("PVH_AGENT_MEMINFO_PERIOD", COMPAT_MEMINFO_PERIOD_USEC);
}
