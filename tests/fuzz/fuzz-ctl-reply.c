/* Fuzz netvigil-ctl's reading of control replies (viewer/ctl/ctl-out.c, ctl-reply.c): bytes ->
 * ControlReply unpacked into ctl's capped arena -> the status table and JSON (when there is a
 * status) and the command result table and JSON, for a sensor command and for forget, exactly
 * what `netvigil-ctl status`, `stop` / `forget` and `hosts` (every --sort) print.
 *
 * Input: one ControlReply. Checked: the arena never hands out more than its limit, every
 * sub-message may be missing without a crash, the exit status is one of ok / failed / not
 * allowed, and every printed line is printable UTF-8 (fuzz-ctl-common.h). */
#include "ctl-core.h"
#include "fuzz-ctl-common.h"

static struct nvg_arena *arena;

static void free_arena(void)
{
    nvg_arena_free(arena);
    arena = NULL;
}

static void print_results(const Netvigil__ControlReply *r, Netvigil__CommandKind kind, bool json)
{
    char *buf;
    size_t len;
    FILE *out = fuzz_ctl_open(&buf, &len);
    int rc = nvg_ctl_result_print(out, r, "stop s1", kind, json);
    FUZZ_CHECK(rc == NVG_CTL_EXIT_OK || rc == NVG_CTL_EXIT_FAIL || rc == NVG_CTL_EXIT_NOT_ALLOWED);
    FUZZ_CHECK(rc != NVG_CTL_EXIT_OK || r->ok);
    fuzz_ctl_check_output(out, &buf, &len);
}

static void print_status(const Netvigil__CollectorStatus *st, bool json)
{
    char *buf;
    size_t len;
    FILE *out = fuzz_ctl_open(&buf, &len);
    nvg_ctl_status_print(out, st, json);
    fuzz_ctl_check_output(out, &buf, &len);
}

static void print_hosts(Netvigil__ControlReply *r, enum nvg_ctl_sort sort, bool json)
{
    char *buf;
    size_t len;
    FILE *out = fuzz_ctl_open(&buf, &len);
    nvg_ctl_hosts_print(out, r, sort, json);
    fuzz_ctl_check_output(out, &buf, &len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena) {
        arena = nvg_ctl_arena_new();
        FUZZ_CHECK(arena != NULL);
        atexit(free_arena);
    }
    Netvigil__ControlReply *r = nvg_ctl_reply_unpack(arena, data, size);
    FUZZ_CHECK(nvg_arena_used(arena) <= NVG_CTL_ARENA_LIMIT);
    if (!r)
        return 0;
    for (int json = 0; json < 2; json++) {
        print_results(r, NETVIGIL__COMMAND_KIND__COMMAND_STOP, json);
        print_results(r, NETVIGIL__COMMAND_KIND__COMMAND_FORGET, json);
        if (r->status)
            print_status(r->status, json);
        for (int sort = 0; sort <= NVG_CTL_SORT_RETRANS; sort++)
            print_hosts(r, (enum nvg_ctl_sort)sort, json);
    }
    nvg_arena_reset(arena);
    return 0;
}
