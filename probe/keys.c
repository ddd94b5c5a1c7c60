/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "keys.h"
#include "macro.h"
#include "util.h"

#define DATA_PREFIX "data/pvh/"

/* An invalid value is left out (the key is absent, which readers handle), never sent. */
int probe_key_put(struct kvset *out, enum proto_key key, const struct proto_path_args *args,
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

int probe_key_put_text(struct kvset *out, enum proto_key key, const struct proto_path_args *args,
                       const char *value)
{
        const struct proto_key_info *ki = proto_key_info(key);
        char buf[PROTO_XS_VALUE_MAX + 1];
        size_t size = ki->max + 1 < sizeof(buf) ? ki->max + 1 : sizeof(buf);

        if (!value)
                return 0;
        proto_text_sanitize(value, strlen(value), false, buf, size, NULL);
        return probe_key_put(out, key, args, buf);
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

        r = probe_key_put(out, PROTO_KEY_GUEST_TYPE, &none, guest_type_word(f->guest_type));
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_KERNEL_RELEASE, &none, f->running_release);
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_KERNEL_ARCH, &none, f->arch);
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_OS_ID, &none, f->os_id);
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_OS_VERSION_ID, &none, f->os_version_id);
        if (r >= 0)
                r = probe_key_put_text(out, PROTO_KEY_OS_PRETTY_NAME, &none, f->os_name);
        if (r >= 0 && f->nb.kernel_path)
                r = probe_key_put_text(out, PROTO_KEY_NEXT_BOOT_KERNEL, &none, f->nb.kernel_path);
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_NEXT_BOOT_RELEASE, &none, f->next_release);
        return r;
}

static int add_check(struct kvset *out, const struct check_result *c)
{
        struct proto_path_args a = { .check_name = proto_check_to_string(c->id) };
        int r;

        r = probe_key_put(out, PROTO_KEY_CHECK_STATUS, &a,
                          proto_status_to_string(check_status_to_proto(c->status)));
        if (r >= 0)
                r = probe_key_put_text(out, PROTO_KEY_CHECK_REASON, &a, c->reason);
        if (r >= 0 && c->status != CHECK_PASS)
                r = probe_key_put_text(out, PROTO_KEY_CHECK_FIX, &a, c->fix);
        return r;
}

int probe_result_keys(struct kvset *out, const struct facts *f,
                      const struct check_result res[static _PROTO_CHECK_MAX], enum proto_verdict v)
{
        static const struct proto_path_args none;
        int r = add_facts(out, f);

        for (size_t i = 0; i < _PROTO_CHECK_MAX && r >= 0; i++)
                r = add_check(out, &res[i]);
        if (r >= 0)
                r = probe_key_put(out, PROTO_KEY_VERDICT, &none, proto_verdict_to_string(v));
        return r;
}
