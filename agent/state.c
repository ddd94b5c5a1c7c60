/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "protocol.h"
#include "state.h"
#include "util.h"

#define DATA_PREFIX "data/pvh/"

/*
 * Sets the key's node to value when it is valid for that key; an invalid
 * value is left out (the key is absent, which readers handle), never sent.
 */
static int put(struct kvset *out, enum proto_key key, const struct proto_path_args *args,
               const char *value)
{
        char path[PROTO_PATH_MAX];
        int r;

        if (!value)
                return 0;
        r = proto_path_format(key, args, path, sizeof(path));
        if (r < 0 || !startswith(path, DATA_PREFIX))
                return -EINVAL;
        if (proto_key_check(key, value, strlen(value)) < 0)
                return 0;
        return kvset_set(out, path + STRLEN(DATA_PREFIX), value);
}

/* Free text from the guest's files: made valid, cut to the key's bound. */
static int put_text(struct kvset *out, enum proto_key key, const struct proto_path_args *args,
                    const char *value)
{
        const struct proto_key_info *ki = proto_key_info(key);
        char buf[PROTO_XS_VALUE_MAX + 1];
        size_t size = ki->max + 1 < sizeof(buf) ? ki->max + 1 : sizeof(buf);

        if (!value)
                return 0;
        proto_text_sanitize(value, strlen(value), false, buf, size, NULL);
        return put(out, key, args, buf);
}

int state_add_ident(struct kvset *out, const struct agent_ident *id)
{
        static const struct proto_path_args none;
        char actions[PROTO_XS_VALUE_MAX];
        int r = 0;

        if (proto_actions_encode(&id->actions, actions, sizeof(actions)) < 0)
                return -EINVAL;
        r = put(out, PROTO_KEY_SCHEMA, &none, PROTO_SCHEMA_STRING);
        if (r >= 0)
                r = put(out, PROTO_KEY_AGENT_VERSION, &none, id->version);
        if (r >= 0)
                r = put(out, PROTO_KEY_AGENT_ACTIONS, &none, actions);
        if (r >= 0)
                r = put(out, PROTO_KEY_AGENT_INSTANCE, &none, id->instance);
        if (r >= 0 && id->boot_id[0])
                r = put(out, PROTO_KEY_AGENT_BOOT_ID, &none, id->boot_id);
        return r;
}

static const char *guest_type_word(const char *gt)
{
        int t;

        /* No /sys/hypervisor/guest_type: a PV guest on a kernel older than 4.13. */
        if (!gt)
                return proto_guest_type_to_string(PROTO_GUEST_PV);
        t = proto_guest_type_from_string(gt, strlen(gt));
        return proto_guest_type_to_string(t >= 0 ? (enum proto_guest_type)t : PROTO_GUEST_UNKNOWN);
}

static int add_facts(struct kvset *out, const struct facts *f)
{
        static const struct proto_path_args none;
        int r;

        r = put(out, PROTO_KEY_GUEST_TYPE, &none, guest_type_word(f->guest_type));
        if (r >= 0)
                r = put(out, PROTO_KEY_KERNEL_RELEASE, &none, f->running_release);
        if (r >= 0)
                r = put(out, PROTO_KEY_KERNEL_ARCH, &none, f->arch);
        if (r >= 0)
                r = put(out, PROTO_KEY_OS_ID, &none, f->os_id);
        if (r >= 0)
                r = put(out, PROTO_KEY_OS_VERSION_ID, &none, f->os_version_id);
        if (r >= 0)
                r = put_text(out, PROTO_KEY_OS_PRETTY_NAME, &none, f->os_name);
        if (r >= 0 && f->nb.kernel_path)
                r = put_text(out, PROTO_KEY_NEXT_BOOT_KERNEL, &none, f->nb.kernel_path);
        if (r >= 0)
                r = put(out, PROTO_KEY_NEXT_BOOT_RELEASE, &none, f->next_release);
        return r;
}

static int add_check(struct kvset *out, const struct check_result *c)
{
        struct proto_path_args a = { .check_name = proto_check_to_string(c->id) };
        int r;

        r = put(out, PROTO_KEY_CHECK_STATUS, &a, proto_status_to_string(check_status_to_proto(c->status)));
        if (r >= 0)
                r = put_text(out, PROTO_KEY_CHECK_REASON, &a, c->reason);
        if (r >= 0 && c->status != CHECK_PASS)
                r = put_text(out, PROTO_KEY_CHECK_FIX, &a, c->fix);
        return r;
}

int state_add_probe(struct kvset *out, const struct facts *f,
                    const struct check_result res[static _PROTO_CHECK_MAX], enum proto_verdict v)
{
        static const struct proto_path_args none;
        int r = add_facts(out, f);

        for (size_t i = 0; i < _PROTO_CHECK_MAX && r >= 0; i++)
                r = add_check(out, &res[i]);
        if (r >= 0)
                r = put(out, PROTO_KEY_VERDICT, &none, proto_verdict_to_string(v));
        return r;
}

static int put_count(struct kvset *out, enum proto_key key, const struct proto_path_args *a,
                     size_t n)
{
        char buf[24];

        if (n == 0)
                return 0;
        snprintf(buf, sizeof(buf), "%zu", n > PROTO_COUNT_MAX ? (size_t)PROTO_COUNT_MAX : n);
        return put(out, key, a, buf);
}

static int add_addrs(struct kvset *out, unsigned slot, const struct net_iface *i)
{
        unsigned n4 = 0, n6 = 0;
        size_t omitted = 0;
        int r = 0;

        for (size_t k = 0; k < i->n_addrs && r >= 0; k++) {
                const struct net_addr *na = &i->addrs[k];
                struct proto_ip ip = { .family = na->family, .prefix = na->prefixlen };
                bool v4 = na->family == AF_INET;
                struct proto_path_args a = { .iface = slot, .index = v4 ? n4 : n6 };
                char text[64];

                if ((v4 && n4 >= PROTO_NET_IPV4_MAX) || (!v4 && n6 >= PROTO_NET_IPV6_MAX) ||
                    inet_pton(na->family, na->text, ip.addr) != 1 ||
                    proto_ip_encode(&ip, text, sizeof(text)) < 0) {
                        omitted++;
                        continue;
                }
                r = put(out, v4 ? PROTO_KEY_NET_IPV4 : PROTO_KEY_NET_IPV6, &a, text);
                if (v4)
                        n4++;
                else
                        n6++;
        }
        if (r >= 0) {
                struct proto_path_args a = { .iface = slot };

                r = put_count(out, PROTO_KEY_NET_IF_OMITTED, &a, omitted);
        }
        return r;
}

int state_add_net(struct kvset *out, const struct net_iface *ifs, size_t n)
{
        static const struct proto_path_args none;
        unsigned slot = 0;
        size_t omitted = 0;
        int r = 0;

        for (size_t k = 0; k < n && r >= 0; k++) {
                struct proto_path_args a = { .iface = slot };
                char vif[16];

                if (slot >= PROTO_NET_IF_MAX ||
                    proto_key_check(PROTO_KEY_NET_NAME, ifs[k].name, strlen(ifs[k].name)) < 0) {
                        omitted++;
                        continue;
                }
                r = put(out, PROTO_KEY_NET_NAME, &a, ifs[k].name);
                if (r >= 0 && ifs[k].mac[0])
                        r = put(out, PROTO_KEY_NET_MAC, &a, ifs[k].mac);
                if (r >= 0 && ifs[k].vif >= 0) {
                        snprintf(vif, sizeof(vif), "%d", ifs[k].vif);
                        r = put(out, PROTO_KEY_NET_VIF, &a, vif);
                }
                if (r >= 0)
                        r = add_addrs(out, slot, &ifs[k]);
                slot++;
        }
        if (r >= 0)
                r = put_count(out, PROTO_KEY_NET_OMITTED, &none, omitted);
        return r;
}
