/* Unit tests of the per-host totals' eviction (collector/hosts.c): the table keeps the heavy
 * hosts against a stream of light newcomers, each newcomer takes the place of a host of least
 * weight (checked against a brute-force space-saving model of the same stream), and the
 * inherited weight shows as the newcomer's error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hosts.h"

#define CAP 16

static struct nvg_flow flow(uint32_t orig, uint32_t resp, uint64_t id, uint64_t bytes)
{
    struct nvg_flow f;
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.ip_version = 4;
    f.proto = 6;
    f.end = 1;
    for (int k = 0; k < 4; k++) {
        f.orig[k] = (uint8_t)(orig >> (24 - 8 * k));
        f.resp[k] = (uint8_t)(resp >> (24 - 8 * k));
    }
    f.dir[0].bytes = bytes;
    f.dir[0].packets = 1;
    return f;
}

static Netvigil__ControlReply *reply(struct nvg_hosts *h)
{
    size_t len;
    const uint8_t *p = nvg_hosts_packed(h, 1000, NVG_HOSTS_REPLY_MAX, &len);
    assert_non_null(p);
    Netvigil__ControlReply *r = netvigil__control_reply__unpack(NULL, len, p);
    assert_non_null(r);
    return r;
}

static uint64_t weight_of(const Netvigil__ControlReply *r, uint32_t addr, uint64_t *error)
{
    for (size_t i = 0; i < r->n_hosts; i++) {
        const Netvigil__HostTotal *t = r->hosts[i];
        uint32_t a = (uint32_t)t->addr.data[0] << 24 | (uint32_t)t->addr.data[1] << 16 |
                     (uint32_t)t->addr.data[2] << 8 | t->addr.data[3];
        if (a == addr) {
            *error = t->error;
            return t->bytes_in + t->bytes_out;
        }
    }
    return 0;
}

/* Brute force: the same table with a linear search for the least weight. */
struct model {
    uint32_t addr[CAP];
    uint64_t weight[CAP];
    size_t n;
};

static void model_add(struct model *m, uint32_t addr, uint64_t bytes)
{
    size_t i = 0;
    while (i < m->n && m->addr[i] != addr)
        i++;
    if (i == m->n) {
        if (m->n < CAP) {
            m->n++;
            m->weight[i] = 0;
        } else {
            i = 0;
            for (size_t k = 1; k < CAP; k++)
                if (m->weight[k] < m->weight[i])
                    i = k;
        }
        m->addr[i] = addr;
    }
    m->weight[i] += bytes;
}

static int by_weight(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_heavy_hosts_stay(void **state)
{
    (void)state;
    struct nvg_hosts *h = nvg_hosts_new(CAP);
    assert_non_null(h);
    uint64_t id = 1;
    for (uint32_t k = 0; k < 4; k++) /* four heavy pairs: 8 hosts */
        for (int rep = 0; rep < 10; rep++) {
            struct nvg_flow f = flow(0x0a000001 + 2 * k, 0x0a000002 + 2 * k, id++, 100000);
            nvg_hosts_flow(h, 7, &f, 1000);
        }
    for (uint32_t k = 0; k < 5000; k++) { /* light newcomers, pairwise */
        struct nvg_flow f = flow(0x0b000000 + 2 * k, 0x0b000001 + 2 * k, id++, 10 + k % 7);
        nvg_hosts_flow(h, 7, &f, 1000);
    }
    Netvigil__ControlReply *r = reply(h);
    assert_non_null(r->host_table);
    assert_int_equal(r->host_table->tracked, CAP);
    assert_int_equal(r->host_table->evictions, 10000 - (CAP - 8));
    for (uint32_t a = 0x0a000001; a <= 0x0a000008; a++) {
        uint64_t err = 1;
        assert_int_equal(weight_of(r, a, &err), 1000000);
        assert_int_equal(err, 0);
    }
    netvigil__control_reply__free_unpacked(r, NULL);
    nvg_hosts_free(h);
}

/* The weights the table ends with are the model's: the minimum was evicted every time. (A tie
 * broken the other way could part them; with weights drawn from 1..1000 the fixed stream has
 * none that matters.) */
static void test_same_weights_as_linear_search(void **state)
{
    (void)state;
    struct nvg_hosts *h = nvg_hosts_new(CAP);
    struct model m = {0};
    uint64_t id = 1, seed = 12345;
    for (int k = 0; k < 20000; k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t orig = 0x0c000000 + (uint32_t)(seed >> 33) % 64; /* some hosts come back */
        uint64_t bytes = 1 + (seed >> 20) % 1000;
        struct nvg_flow f = flow(orig, 0x0d000000 + (uint32_t)k, id++, bytes);
        nvg_hosts_flow(h, 7, &f, 1000);
        model_add(&m, orig, bytes);
        model_add(&m, 0x0d000000 + (uint32_t)k, bytes);
    }
    Netvigil__ControlReply *r = reply(h);
    assert_int_equal(r->n_hosts, CAP);
    uint64_t got[CAP], want[CAP];
    for (size_t i = 0; i < CAP; i++) {
        got[i] = r->hosts[i]->bytes_in + r->hosts[i]->bytes_out + r->hosts[i]->error;
        want[i] = m.weight[i];
    }
    qsort(got, CAP, sizeof(got[0]), by_weight);
    qsort(want, CAP, sizeof(want[0]), by_weight);
    assert_memory_equal(got, want, sizeof(got));
    netvigil__control_reply__free_unpacked(r, NULL);
    nvg_hosts_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heavy_hosts_stay),
        cmocka_unit_test(test_same_weights_as_linear_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
