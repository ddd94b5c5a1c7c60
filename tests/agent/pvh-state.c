/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pvh-state DOMID: reads /local/domain/DOMID/data/pvh as dom0, checks every
 * node against the protocol (protocol/), and prints "KEY=VALUE" lines,
 * sorted, KEY relative to data/pvh. Answers (answer/...) are left out unless
 * --answers; the summary is checked but not printed (its lines would read as
 * keys: xenstore-read it). Exit 0 all valid; 1 an invalid node (named on stderr); 2 a
 * required key missing; 3 cannot read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "kvset.h"
#include "macro.h"
#include "protocol.h"
#include "util.h"

static int invalid;

static void walk(struct xs_handle *xs, const char *home, const char *rel, struct kvset *out)
{
        char path[1024];
        unsigned n = 0, len = 0;
        char **kids;
        char *v;

        snprintf(path, sizeof(path), "%s/%s", home, rel);
        kids = xs_directory(xs, XBT_NULL, path, &n);
        if (kids && n > 0) {
                for (unsigned i = 0; i < n; i++) {
                        char child[1024];

                        snprintf(child, sizeof(child), "%s/%s", rel, kids[i]);
                        walk(xs, home, child, out);
                }
                free(kids);
                return;
        }
        free(kids);
        v = xs_read(xs, XBT_NULL, path, &len);
        if (!v)
                return;
        {
                struct proto_path_args a;
                size_t clen;
                int key = proto_path_match(rel, strlen(rel), &a, &clen);
                int r = key < 0 ? key : proto_key_check(key, v, len);

                if (r < 0) {
                        fprintf(stderr, "INVALID %s: %s\n", rel, proto_strerror(r));
                        invalid = 1;
                }
        }
        kvset_set(out, rel + STRLEN("data/pvh/"), v);
        free(v);
}

int main(int argc, char **argv)
{
        struct kvset kv = { 0 };
        struct xs_handle *xs;
        bool answers = argc > 2 && streq(argv[2], "--answers");
        char home[64];
        int missing = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: pvh-state DOMID [--answers]\n");
                return 3;
        }
        xs = xs_open(0);
        if (!xs) {
                fprintf(stderr, "pvh-state: cannot connect: %s\n", strerror(errno));
                return 3;
        }
        snprintf(home, sizeof(home), "/local/domain/%s", argv[1]);
        walk(xs, home, "data/pvh", &kv);
        for (int k = 0; k < _PROTO_KEY_MAX; k++) {
                const struct proto_key_info *ki = proto_key_info(k);

                if (ki->required && !kvset_get(&kv, ki->pattern + STRLEN("data/pvh/"))) {
                        fprintf(stderr, "MISSING %s\n", ki->pattern);
                        missing = 1;
                }
        }
        for (size_t i = 0; i < kv.n; i++)
                if (!streq(kv.items[i].key, "summary") &&
                    (answers || (!startswith(kv.items[i].key, "answer/") && !streq(kv.items[i].key, "last_request"))))
                        printf("%s=%s\n", kv.items[i].key, kv.items[i].value);
        kvset_clear(&kv);
        xs_close(xs);
        return invalid ? 1 : missing ? 2 : 0;
}
