/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk inspection report: which lines decode (the readiness keys of a
 * guest and the inspection's own keys) and which are refused, with the
 * error of the first rule they break; encoding refuses the same lines.
 */
#include "config.h"

#include <string.h>

#include "macro.h"
#include "test-protocol.h"

struct rcase {
        const char *line;
        size_t len;
        int want;         /* 0 or -PROTO_E_* */
        bool inspect;
        int key;
        unsigned index;
        const char *check;
};

#define G(s, k) { S(s), 0, false, PROTO_KEY_##k, 0, NULL }
#define GC(s, k, c) { S(s), 0, false, PROTO_KEY_##k, 0, c }
#define I(s, k) { S(s), 0, true, PROTO_IKEY_##k, 0, NULL }
#define IN(s, k, i) { S(s), 0, true, PROTO_IKEY_##k, i, NULL }
#define BAD(s, e) { S(s), -PROTO_E_##e, false, 0, 0, NULL }

static const struct rcase cases[] = {
        G("verdict=ready", VERDICT),
        G("guest_type=PV", GUEST_TYPE),
        G("os/id=debian", OS_ID),
        G("os/pretty_name=Debian GNU/Linux 12 (bookworm)", OS_PRETTY_NAME),
        G("next_boot/kernel=/boot/vmlinuz-6.1.0-47-amd64", NEXT_BOOT_KERNEL),
        GC("checks/console/status=fail", CHECK_STATUS, "console"),
        GC("checks/console/reason=console=ttyS0 is the last console=", CHECK_REASON, "console"),
        GC("checks/a_future_check/fix=do this", CHECK_FIX, "a_future_check"),
        I("inspect/menu_device=(xvda,gpt2)", MENU_DEVICE),
        I("inspect/menu_file=/boot/grub/grub.cfg", MENU_FILE),
        I("inspect/error=no-filesystem", ERROR),
        I("inspect/files=12", FILES),
        IN("inspect/note/0=two devices hold /boot/grub/grub.cfg", NOTE, 0),
        IN("inspect/note/7=x", NOTE, 7),
        /* size and syntax */
        BAD("", EMPTY),
        BAD("verdict", SYNTAX),
        BAD("=ready", SYNTAX),
        BAD("verdict=ready\nverdict=blocked", SYNTAX),
        BAD("verdict=", EMPTY),
        /* keys: the readiness keys only, and the inspection's own */
        BAD("schema=1.0", PATH),
        BAD("agent/actions=ping probe prepare rollback", PATH),
        BAD("net/0/name=eth0", PATH),
        BAD("last_request=00000000-0000-0000-0000-000000000000", PATH),
        BAD("../control/pvh/request=x", PATH),
        BAD("inspect/nothing=x", PATH),
        BAD("inspect/note/8=x", PATH),
        BAD("inspect/note/01=x", PATH),
        BAD("inspect/note/=x", PATH),
        BAD("checks/Console/status=fail", CHARSET),
        /* values: each key's type and bound */
        BAD("verdict=maybe", ENUM),
        BAD("checks/console/status=broken", ENUM),
        BAD("os/id=Debian Linux", CHARSET),
        BAD("next_boot/kernel=vmlinuz", SYNTAX),
        BAD("inspect/error=No Filesystem", CHARSET),
        BAD("inspect/files=-1", NUMBER),
        BAD("inspect/menu_file=grub.cfg", SYNTAX),
        BAD("inspect/message=a\033[31mred", CONTROL),
        BAD("inspect/message=bad \xff byte", UTF8),
        BAD("os/pretty_name=nul\0inside", NUL),
};

static void test_decode(void)
{
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct rcase *c = &cases[i];
                struct proto_report_item it = {};
                char esc[256];
                int r = proto_report_decode(c->line, c->len, &it);
                bool ok = r == c->want;

                if (ok && r == 0) {
                        ok = it.inspect == c->inspect && it.key == c->key &&
                             (!c->inspect || it.args.index == c->index) &&
                             it.value == memchr(c->line, '=', c->len) + 1 &&
                             (!c->check || (it.check_len == strlen(c->check) &&
                                            memcmp(it.args.check_name, c->check, it.check_len) == 0));
                }
                CHECK(ok, "decode '%s': %s (want %s)", unit_escape(c->line, c->len, esc, sizeof(esc)),
                      r < 0 ? proto_error_name(r) : "ok", c->want < 0 ? proto_error_name(c->want) : "ok");
        }
}

static void test_encode(void)
{
        char buf[PROTO_REPORT_LINE_MAX + 1], big[PROTO_XS_VALUE_MAX + 2];
        int n;

        n = proto_report_encode("inspect/note/3", "a note", buf, sizeof(buf));
        CHECK(n == (int)strlen("inspect/note/3=a note\n") && strcmp(buf, "inspect/note/3=a note\n") == 0,
              "encode a note: %d '%s'", n, buf);
        CHECK(proto_report_encode("verdict", "sure", buf, sizeof(buf)) == -PROTO_E_ENUM, "encode refuses a bad verdict");
        CHECK(proto_report_encode("agent/version", "1", buf, sizeof(buf)) == -PROTO_E_PATH,
              "encode refuses an agent key");
        CHECK(proto_report_encode("verdict", "ready", buf, 8) == -PROTO_E_NOSPACE, "encode into a short buffer");
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        CHECK(proto_report_encode("inspect/message", big, buf, sizeof(buf)) == -PROTO_E_TOO_LONG,
              "encode refuses a value over its bound");
}

static void test_table(void)
{
        for (int k = 0; k < _PROTO_IKEY_MAX; k++) {
                const struct proto_ikey_info *ki = proto_ikey_info(k);
                bool ok = ki && ki->key == (enum proto_ikey)k && ki->max > 0 && ki->max <= PROTO_XS_VALUE_MAX &&
                          strncmp(ki->pattern, "inspect/", 8) == 0 &&
                          (strchr(ki->pattern, '$') != NULL) == (ki->index_max > 0);

                CHECK(ok, "inspection key %d %s", k, ki ? ki->pattern : "(null)");
        }
        CHECK(proto_ikey_info(_PROTO_IKEY_MAX) == NULL, "no inspection key beyond the table");
}

int main(void)
{
        test_table();
        test_decode();
        test_encode();
        return unit_exit();
}
