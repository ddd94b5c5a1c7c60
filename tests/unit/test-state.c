/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest state as protocol keys: interfaces and addresses beyond the
 * protocol's bounds are counted, not published; names that are not valid
 * interface names are left out; every value written passes the protocol's
 * own check.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "state.h"
#include "check.h"
#include "util.h"


static void add_addr(struct net_iface *i, int family, const char *text, unsigned prefix)
{
        i->addrs = realloc(i->addrs, (i->n_addrs + 1) * sizeof(*i->addrs));
        i->addrs[i->n_addrs] = (struct net_addr){ .family = family, .prefixlen = prefix };
        snprintf(i->addrs[i->n_addrs].text, sizeof(i->addrs[0].text), "%s", text);
        i->n_addrs++;
}

/* Every key must be a protocol key and every value valid for it. */
static void check_all_valid(const struct kvset *kv)
{
        for (size_t i = 0; i < kv->n; i++) {
                char path[256];
                struct proto_path_args a;
                size_t clen;
                int key;

                snprintf(path, sizeof(path), "data/pvh/%s", kv->items[i].key);
                key = proto_path_match(path, strlen(path), &a, &clen);
                CHECK(key >= 0);
                if (key >= 0)
                        CHECK(proto_key_check(key, kv->items[i].value, strlen(kv->items[i].value)) >= 0);
        }
}

static void test_bounds(void)
{
        struct net_iface ifs[12] = { 0 };
        struct kvset kv = { 0 };
        char name[32];

        for (int k = 0; k < 12; k++) {
                ifs[k].ifindex = k + 2;
                ifs[k].vif = k == 0 ? 7 : -1;
                snprintf(ifs[k].name, sizeof(ifs[k].name), "eth%d", k);
                snprintf(ifs[k].mac, sizeof(ifs[k].mac), "00:16:3e:00:00:%02x", k);
        }
        /* eth0: six IPv4 (4 fit), one IPv6; a name that is not valid (left out). */
        for (int k = 0; k < 6; k++) {
                snprintf(name, sizeof(name), "192.0.2.%d", k + 1);
                add_addr(&ifs[0], AF_INET, name, 24);
        }
        add_addr(&ifs[0], AF_INET6, "2001:db8:0:0:0:0:0:1", 64);
        snprintf(ifs[1].name, sizeof(ifs[1].name), "bad/name");

        CHECK(state_add_net(&kv, ifs, 12) == 0);
        check_all_valid(&kv);
        CHECK(streq(kvset_get(&kv, "net/0/name") ?: "", "eth0"));
        CHECK(streq(kvset_get(&kv, "net/0/vif") ?: "", "7"));
        CHECK(streq(kvset_get(&kv, "net/0/ipv4/3") ?: "", "192.0.2.4/24"));
        CHECK(kvset_get(&kv, "net/0/ipv4/4") == NULL);
        CHECK(streq(kvset_get(&kv, "net/0/omitted") ?: "", "2"));
        /* Written in canonical form. */
        CHECK(streq(kvset_get(&kv, "net/0/ipv6/0") ?: "", "2001:db8::1/64"));
        /* bad/name is skipped: eth2 takes slot 1. */
        CHECK(streq(kvset_get(&kv, "net/1/name") ?: "", "eth2"));
        CHECK(kvset_get(&kv, "net/1/vif") == NULL);
        CHECK(streq(kvset_get(&kv, "net/7/name") ?: "", "eth8"));
        CHECK(kvset_get(&kv, "net/8/name") == NULL);
        /* 12 interfaces: 8 published, bad/name and three beyond the slots counted. */
        CHECK(streq(kvset_get(&kv, "net/omitted") ?: "", "4"));
        for (int k = 0; k < 12; k++)
                free(ifs[k].addrs);
        kvset_clear(&kv);
}

static void test_ident(void)
{
        struct agent_ident id = { .version = "1.2.3", .actions = { .known = 1u << PROTO_ACTION_PING } };
        struct kvset kv = { 0 };

        snprintf(id.instance, sizeof(id.instance), "0b5f9a0e-1d2c-4f3b-8a9e-123456789abc");
        CHECK(state_add_ident(&kv, &id) == 0);
        check_all_valid(&kv);
        CHECK(streq(kvset_get(&kv, "schema") ?: "", PROTO_SCHEMA_STRING));
        CHECK(streq(kvset_get(&kv, "agent/actions") ?: "", "ping"));
        CHECK(kvset_get(&kv, "agent/boot_id") == NULL);
        kvset_clear(&kv);
        /* An invalid version is not published, rather than sent invalid. */
        id.version = "1.0 beta";
        CHECK(state_add_ident(&kv, &id) == 0);
        CHECK(kvset_get(&kv, "agent/version") == NULL);
        kvset_clear(&kv);
}

/*
 * The summary: of the published keys and the last answer, valid; replaced
 * answer lines in the transaction of a new answer; none when it cannot be
 * valid (a verdict the checks contradict), rather than a wrong one.
 */
static void test_summary(void)
{
        static const char id1[] = "5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b", id2[] = "6b2f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b";
        struct agent_ident id = { .version = "1.2.3", .actions = { .known = 1u << PROTO_ACTION_PING } };
        struct kvset kv = { 0 }, answer = { 0 };
        char buf[PROTO_SUMMARY_MAX + 1], want[256];
        const char *sum;
        int n;

        snprintf(id.instance, sizeof(id.instance), "0b5f9a0e-1d2c-4f3b-8a9e-123456789abc");
        CHECK(state_add_ident(&kv, &id) == 0);
        CHECK(kvset_set(&kv, "verdict", "fixable") >= 0 && kvset_set(&kv, "checks/console/status", "fail") >= 0);
        CHECK(kvset_set(&kv, "checks/console/reason", "not repeated") >= 0);
        CHECK(kvset_set(&answer, "last_request", id1) >= 0);
        CHECK(kvset_set(&answer, "answer/5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b/state", "done") >= 0);
        CHECK(state_add_summary(&kv, &answer) == 1);
        sum = kvset_get(&kv, "summary");
        CHECK(sum && proto_key_check(PROTO_KEY_SUMMARY, sum, strlen(sum)) == 0);
        CHECK(sum && strstr(sum, "checks/console/status=fail\n") && !strstr(sum, "not repeated"));
        CHECK(sum && strstr(sum, "schema=" PROTO_SCHEMA_STRING "\n") && strstr(sum, "last_request=5a1f"));

        /* A new answer: its lines in place of the last one's, the rest as it was. */
        kvset_clear(&answer);
        CHECK(kvset_set(&answer, "last_request", id2) >= 0);
        snprintf(want, sizeof(want), "answer/%s/state", id2);
        CHECK(kvset_set(&answer, want, "accepted") >= 0);
        n = sum ? state_summary_answer(sum, strlen(sum), &answer, buf, sizeof(buf)) : -1;
        CHECK(n > 0 && proto_summary_check(buf, (size_t)n) == 0);
        CHECK(n > 0 && !strstr(buf, id1) && strstr(buf, "=accepted\n") && strstr(buf, "checks/console/status=fail\n"));
        /* An answer without its state cannot be summed up: an error, for the caller to remove the summary. */
        kvset_remove(&answer, want);
        CHECK(sum && state_summary_answer(sum, strlen(sum), &answer, buf, sizeof(buf)) < 0);

        /* A verdict the checks contradict: no summary at all. */
        CHECK(kvset_set(&kv, "verdict", "ready") >= 0);
        CHECK(state_add_summary(&kv, NULL) == 0 && !kvset_get(&kv, "summary"));
        kvset_clear(&kv);
        kvset_clear(&answer);
}

int main(void)
{
        test_bounds();
        test_ident();
        test_summary();
        return check_exit("state");
}
