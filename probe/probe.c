/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "probe.h"

int probe_system(int root_fd, bool host_root, struct kcache *cache, struct facts *ret_facts,
                 struct check_result ret_res[static _PROTO_CHECK_MAX], enum proto_verdict *ret_verdict)
{
        int r = facts_gather(root_fd, host_root, cache, ret_facts);

        if (r < 0)
                return r;
        r = checks_run(ret_facts, ret_res);
        if (r < 0) {
                facts_done(ret_facts);
                return r;
        }
        *ret_verdict = checks_verdict(ret_res, _PROTO_CHECK_MAX);
        return 0;
}
