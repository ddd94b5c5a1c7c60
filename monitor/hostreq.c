/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "guest.h"
#include "hostreq.h"
#include "macro.h"
#include "util.h"

static int read_node(struct xstore *x, unsigned domid, char **ret, size_t *ret_len)
{
        char path[PROTO_DOMAIN_PATH_MAX];

        if (proto_domain_key_path(domid, PROTO_KEY_REQUEST, NULL, path, sizeof(path)) < 0)
                return -EINVAL;
        return xstore_read(x, path, PROTO_REQUEST_MAX, ret, ret_len);
}

/* Whether the answer to request id is final: 1 yes, 0 absent or not final. */
static int answer_final(struct xstore *x, unsigned domid, const char *id)
{
        struct ganswer a = {};
        int r = guest_read_answer(x, domid, id, &a);

        if (r >= 0 && a.state.err == 0) {
                int s = proto_state_from_string(a.state.val, strlen(a.state.val));

                r = s >= 0 && proto_state_is_final((enum proto_state)s);
        } else if (r >= 0)
                r = 0;
        ganswer_done(&a);
        return r;
}

int hostreq_slot(struct xstore *x, unsigned domid, const char *id)
{
        _cleanup_free_ char *v = NULL;
        struct proto_uuid prev;
        size_t len;
        int r;

        r = xstore_ensure_request_node(x, domid);
        if (r < 0)
                return r;
        r = read_node(x, domid, &v, &len);
        if (r == -E2BIG)
                return HOSTREQ_FREE;
        if (r < 0)
                return r;
        if (len == 0 || proto_request_id(v, len, &prev) < 0)
                return HOSTREQ_FREE;
        if (id && streq(prev.s, id))
                return HOSTREQ_PENDING;

        r = answer_final(x, domid, prev.s);
        if (r < 0)
                return r;
        return r ? HOSTREQ_FREE : HOSTREQ_BUSY;
}

int hostreq_write(struct xstore *x, unsigned domid, const struct proto_request *req)
{
        char buf[PROTO_REQUEST_MAX + 1], path[PROTO_DOMAIN_PATH_MAX];
        int len = proto_request_encode(req, buf, sizeof(buf));

        if (len < 0)
                return -EINVAL;
        if (proto_domain_key_path(domid, PROTO_KEY_REQUEST, NULL, path, sizeof(path)) < 0)
                return -EINVAL;
        return xstore_write(x, path, buf, (size_t)len);
}
