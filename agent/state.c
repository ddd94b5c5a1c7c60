/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "protocol.h"
#include "state.h"
#include "util.h"

int state_add_ident(struct kvset *out, const struct agent_ident *id)
{
        static const struct proto_path_args none;
        char actions[PROTO_XS_VALUE_MAX];
        int r = 0;

        if (proto_actions_encode(&id->actions, actions, sizeof(actions)) < 0)
                return -EINVAL;
        r = probe_key_put(out, PROTO_KEY_SCHEMA, &none, PROTO_SCHEMA_STRING);
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_AGENT_VERSION, &none, id->version);
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_AGENT_ACTIONS, &none, actions);
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_AGENT_INSTANCE, &none, id->instance);
        if (r >= 0 && id->boot_id[0])
                r = probe_key_put(out, PROTO_KEY_AGENT_BOOT_ID, &none, id->boot_id);
        return r;
}

static int put_count(struct kvset *out, enum proto_key key, const struct proto_path_args *a,
                     size_t n)
{
        char buf[24];

        if (n == 0)
                return 0;
        snprintf(buf, sizeof(buf), "%zu", n > PROTO_COUNT_MAX ? (size_t)PROTO_COUNT_MAX : n);
        return probe_key_put(out, key, a, buf);
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
                r = probe_key_put(out, v4 ? PROTO_KEY_NET_IPV4 : PROTO_KEY_NET_IPV6, &a, text);
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
                r = probe_key_put(out, PROTO_KEY_NET_NAME, &a, ifs[k].name);
                if (r >= 0 && ifs[k].mac[0])
                        r = probe_key_put(out, PROTO_KEY_NET_MAC, &a, ifs[k].mac);
                if (r >= 0 && ifs[k].vif >= 0) {
                        snprintf(vif, sizeof(vif), "%d", ifs[k].vif);
                        r = probe_key_put(out, PROTO_KEY_NET_VIF, &a, vif);
                }
                if (r >= 0)
                        r = add_addrs(out, slot, &ifs[k]);
                slot++;
        }
        if (r >= 0)
                r = put_count(out, PROTO_KEY_NET_OMITTED, &none, omitted);
        return r;
}

/* Appends each key of kv that the summary repeats. */
static int summary_add_all(char *buf, size_t size, size_t *len, const struct kvset *kv)
{
        for (size_t i = 0; kv && i < kv->n; i++) {
                int r = proto_summary_add(buf, size, len, kv->items[i].key, kv->items[i].value);

                if (r < 0)
                        return r;
        }
        return 0;
}

int state_add_summary(struct kvset *out, const struct kvset *answer)
{
        char buf[PROTO_SUMMARY_MAX + 1] = "";
        size_t len = 0;
        int r;

        kvset_remove(out, "summary");
        if (summary_add_all(buf, sizeof(buf), &len, out) < 0 || summary_add_all(buf, sizeof(buf), &len, answer) < 0 ||
            proto_summary_check(buf, len) < 0)
                return 0;
        r = kvset_set(out, "summary", buf);
        return r < 0 ? r : 1;
}

/* A line of the last answer: last_request, or a key under answer/. */
static bool answer_line(const char *line)
{
        return startswith(line, "last_request=") || startswith(line, "answer/");
}

int state_summary_answer(const char *old, size_t len, const struct kvset *answer, char *buf, size_t size)
{
        size_t o = 0;
        int r;

        buf[0] = 0;
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(old + i, '\n', len - i);
                size_t l = nl ? (size_t)(nl - old - i) + 1 : len - i;

                if (!answer_line(old + i)) {
                        if (o + l >= size)
                                return -PROTO_E_NOSPACE;
                        memcpy(buf + o, old + i, l);
                        buf[o += l] = 0;
                }
                i += l;
        }
        r = summary_add_all(buf, size, &o, answer);
        if (r >= 0)
                r = proto_summary_check(buf, o);
        return r < 0 ? r : (int)o;
}
