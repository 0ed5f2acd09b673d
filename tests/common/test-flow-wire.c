/* Conversation records on the wire (common/flow/flow-wire.c): round trip through real bytes
 * with every field at its widest, the packed-size bound, and a peer's hostile fields (another
 * format, wrong address lengths, enums and ranges, strings outside their alphabet or cap,
 * times at the limits) refused whole or saturated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nvg-filter.h"

#include "nvg-error.h"
#include "nvg-flow-wire.h"
#include "nvg-pkt.h"

static void make_flow(struct nvg_flow *f, int i, int ip_version)
{
    memset(f, 0, sizeof(*f));
    f->id = UINT64_MAX - (uint64_t)i;
    f->export_seq = UINT32_MAX;
    f->end = NVG_FLOW_STOPPED;
    f->ip_version = (uint8_t)ip_version;
    f->proto = NVG_PROTO_TCP;
    f->ip_proto = 255;
    f->flags =
        NVG_FLOW_HAS_VLAN | NVG_FLOW_HAS_RTT_SERVER | NVG_FLOW_HAS_RTT_CLIENT | NVG_FLOW_HAS_PORTS;
    f->vlan_id = 4095;
    f->first_ns = -1722193121123456789LL;
    f->last_ns = 1722193121123456789LL + i;
    for (int k = 0; k < (ip_version == 6 ? 16 : 4); k++) {
        f->orig[k] = (uint8_t)(0x80 + k + i);
        f->resp[k] = (uint8_t)(0xff - k);
    }
    f->orig_port = 65535;
    f->resp_port = 1;
    f->rtt_server_ns = -NVG_FLOW_RTT_MAX_NS;
    f->rtt_client_ns = NVG_FLOW_RTT_MAX_NS;
    for (int d = 0; d < 2; d++) {
        f->dir[d] = (struct nvg_flow_dir){UINT64_MAX,     UINT64_MAX - 1, UINT64_MAX - 2,
                                          0x1ff,          UINT32_MAX,     UINT32_MAX - 1,
                                          UINT32_MAX - 2, UINT32_MAX - 3, UINT32_MAX - 4};
    }
    memcpy(f->state, "RSTOS0", 7);
    memset(f->history, 'd', NVG_FLOW_HISTORY_MAX - 1);
    f->history[0] = '^';
}

/* to_pb, pack, unpack; the caller validates. */
static Netvigil__FlowRecord *through_bytes(const Netvigil__FlowRecord *pb, size_t *len_out)
{
    size_t len = protobuf_c_message_get_packed_size(&pb->base);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    protobuf_c_message_pack(&pb->base, buf);
    Netvigil__FlowRecord *back = netvigil__flow_record__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(back);
    if (len_out)
        *len_out = len;
    return back;
}

static void test_roundtrip(void **state)
{
    (void)state;
    for (int v = 4; v <= 6; v += 2) {
        struct nvg_flow in, out;
        make_flow(&in, v, v);
        Netvigil__FlowRecord pb;
        Netvigil__FlowDirection dir[2];
        nvg_flow_to_pb(&in, &pb, dir);
        size_t len;
        Netvigil__FlowRecord *back = through_bytes(&pb, &len);
        /* The bound covers the record plus its tag and a 2-byte length in a repeated field. */
        assert_true(len + 3 <= NVG_FLOW_PACKED_MAX);
        memset(&out, 0xaa, sizeof(out));
        assert_int_equal(nvg_flow_from_pb(back, &out), 0);
        assert_memory_equal(&in, &out, sizeof(in));
        netvigil__flow_record__free_unpacked(back, NULL);
    }
}

/* Absent directions and strings are an empty conversation side, not an error. */
static void test_minimal(void **state)
{
    (void)state;
    Netvigil__FlowRecord pb = NETVIGIL__FLOW_RECORD__INIT;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    pb.format = NVG_FLOW_FORMAT;
    pb.ip_version = 4;
    pb.orig = (ProtobufCBinaryData){4, a};
    pb.resp = (ProtobufCBinaryData){4, b};
    Netvigil__FlowRecord *back = through_bytes(&pb, NULL);
    struct nvg_flow f;
    assert_int_equal(nvg_flow_from_pb(back, &f), 0);
    assert_int_equal(f.dir[0].packets, 0);
    assert_string_equal(f.state, "");
    assert_memory_equal(f.orig, a, 4);
    assert_int_equal(f.orig[4], 0);
    netvigil__flow_record__free_unpacked(back, NULL);
}

typedef void (*mutate_fn)(Netvigil__FlowRecord *pb);

static uint8_t five[5] = {1, 2, 3, 4, 5};
static char long_history[4096];

static void m_format0(Netvigil__FlowRecord *pb)
{
    pb->format = 0;
}
static void m_format2(Netvigil__FlowRecord *pb)
{
    pb->format = NVG_FLOW_FORMAT + 1;
}
static void m_ipv5(Netvigil__FlowRecord *pb)
{
    pb->ip_version = 5;
}
static void m_addr5(Netvigil__FlowRecord *pb)
{
    pb->orig = (ProtobufCBinaryData){5, five};
}
static void m_resp0(Netvigil__FlowRecord *pb)
{
    pb->resp = (ProtobufCBinaryData){0, NULL};
}
static void m_v6short(Netvigil__FlowRecord *pb)
{
    pb->ip_version = 6;
}
static void m_end(Netvigil__FlowRecord *pb)
{
    pb->end = (Netvigil__FlowEnd)NVG_FLOW_END_COUNT;
}
static void m_endneg(Netvigil__FlowRecord *pb)
{
    pb->end = (Netvigil__FlowEnd)-1;
}
static void m_proto(Netvigil__FlowRecord *pb)
{
    pb->proto = (Netvigil__Protocol)NVG_PROTO_COUNT;
}
static void m_ipproto(Netvigil__FlowRecord *pb)
{
    pb->ip_proto = 256;
}
static void m_port(Netvigil__FlowRecord *pb)
{
    pb->resp_port = 65536;
}
static void m_vlan(Netvigil__FlowRecord *pb)
{
    pb->vlan_id = 4096;
}
static void m_flags(Netvigil__FlowRecord *pb)
{
    pb->flags = 0x8000;
}
static void m_tcpflags(Netvigil__FlowRecord *pb)
{
    pb->resp_dir->tcp_flags = 0x200;
}
static void m_state_long(Netvigil__FlowRecord *pb)
{
    pb->state = (char *)"RSTOS0RS";
}
static void m_state_char(Netvigil__FlowRecord *pb)
{
    pb->state = (char *)"S\x1b";
}
static void m_state_lower(Netvigil__FlowRecord *pb)
{
    pb->state = (char *)"sf";
}
static void m_hist_long(Netvigil__FlowRecord *pb)
{
    pb->history = long_history;
}
static void m_hist_cap(Netvigil__FlowRecord *pb)
{
    pb->history = (char *)"ShADadFfShADadFfShADadFf";
}
static void m_hist_char(Netvigil__FlowRecord *pb)
{
    pb->history = (char *)"ShA,d";
}
static void m_hist_utf8(Netvigil__FlowRecord *pb)
{
    pb->history = (char *)"Sh\xc3\xa9";
}

static const struct {
    const char *what;
    mutate_fn fn;
    int rc;
} hostile[] = {
    {"format 0", m_format0, NVG_EVERSION},
    {"a newer format", m_format2, NVG_EVERSION},
    {"ip_version 5", m_ipv5, NVG_EMALFORMED},
    {"5-byte address", m_addr5, NVG_EMALFORMED},
    {"empty address", m_resp0, NVG_EMALFORMED},
    {"IPv6 with 4-byte addresses", m_v6short, NVG_EMALFORMED},
    {"end past FlowEnd", m_end, NVG_EMALFORMED},
    {"negative end", m_endneg, NVG_EMALFORMED},
    {"proto past Protocol", m_proto, NVG_EMALFORMED},
    {"ip_proto 256", m_ipproto, NVG_EMALFORMED},
    {"port 65536", m_port, NVG_EMALFORMED},
    {"vlan 4096", m_vlan, NVG_EMALFORMED},
    {"unknown flag", m_flags, NVG_EMALFORMED},
    {"unknown TCP flag", m_tcpflags, NVG_EMALFORMED},
    {"state over its cap", m_state_long, NVG_EMALFORMED},
    {"state with ESC", m_state_char, NVG_EMALFORMED},
    {"state in lower case", m_state_lower, NVG_EMALFORMED},
    {"4 KiB history", m_hist_long, NVG_EMALFORMED},
    {"history one over its cap", m_hist_cap, NVG_EMALFORMED},
    {"history with a comma", m_hist_char, NVG_EMALFORMED},
    {"history with UTF-8", m_hist_utf8, NVG_EMALFORMED},
};

static void test_hostile(void **state)
{
    (void)state;
    memset(long_history, 'S', sizeof(long_history) - 1);
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct nvg_flow in, out;
        make_flow(&in, 1, 4);
        Netvigil__FlowRecord pb;
        Netvigil__FlowDirection dir[2];
        nvg_flow_to_pb(&in, &pb, dir);
        hostile[i].fn(&pb);
        Netvigil__FlowRecord *back = through_bytes(&pb, NULL);
        memset(&out, 0x5a, sizeof(out));
        int rc = nvg_flow_from_pb(back, &out);
        if (rc != hostile[i].rc)
            fail_msg("%s: rc %d, expected %d", hostile[i].what, rc, hostile[i].rc);
        for (size_t k = 0; k < sizeof(out); k++)
            if (((uint8_t *)&out)[k] != 0x5a)
                fail_msg("%s: the flow was written on a refusal", hostile[i].what);
        netvigil__flow_record__free_unpacked(back, NULL);
    }
}

/* Times at the limits are flagged; handshake halves are saturated. */
static void test_saturate(void **state)
{
    (void)state;
    struct nvg_flow in, out;
    make_flow(&in, 0, 4);
    Netvigil__FlowRecord pb;
    Netvigil__FlowDirection dir[2];
    nvg_flow_to_pb(&in, &pb, dir);
    pb.first_ns = INT64_MIN;
    pb.last_ns = INT64_MAX;
    pb.rtt_server_ns = INT64_MAX;
    pb.rtt_client_ns = INT64_MIN;
    Netvigil__FlowRecord *back = through_bytes(&pb, NULL);
    assert_int_equal(nvg_flow_from_pb(back, &out), 0);
    assert_true(out.flags & NVG_FLOW_TIME_CLAMPED);
    assert_true(out.rtt_server_ns == NVG_FLOW_RTT_MAX_NS);
    assert_true(out.rtt_client_ns == -NVG_FLOW_RTT_MAX_NS);
    /* What the CSV row and the line then do with it must stay defined (UBSan watches). */
    char row[NVG_FLOW_CSV_LINE_MAX], line[NVG_FLOW_LINE_MAX];
    assert_true(nvg_flow_format_csv(row, &out, "s", 1) > 0);
    assert_true(nvg_flow_format_line(line, &out, "s") > 0);
    netvigil__flow_record__free_unpacked(back, NULL);
}

/* The display filter on a conversation: originator as source, responder as destination, a
 * time span it overlaps. */
static void test_filter(void **state)
{
    (void)state;
    struct nvg_flow f;
    memset(&f, 0, sizeof(f));
    f.ip_version = 4;
    f.proto = NVG_PROTO_TCP;
    f.flags = NVG_FLOW_HAS_PORTS;
    f.orig[0] = 10, f.orig[3] = 1;
    f.resp[0] = 10, f.resp[3] = 2;
    f.orig_port = 40000;
    f.resp_port = 80;
    const int64_t t0 = 1722193121LL * 1000000000;
    f.first_ns = t0;
    f.last_ns = t0 + 30LL * 1000000000;
    struct nvg_filter flt;
    nvg_filter_init(&flt);
    assert_true(nvg_flow_filter_match(&flt, "s1", &f));
    assert_int_equal(nvg_filter_parse_net("10.0.0.1", &flt.src), 0);
    assert_int_equal(nvg_filter_parse_port("80", &flt.port), 0);
    assert_true(nvg_flow_filter_match(&flt, "s1", &f));
    nvg_filter_init(&flt);
    assert_int_equal(nvg_filter_parse_net("10.0.0.2", &flt.src), 0); /* the responder */
    assert_false(nvg_flow_filter_match(&flt, "s1", &f));
    nvg_filter_init(&flt);
    /* begun before the span, still going in it */
    assert_int_equal(nvg_filter_parse_span("2024-07-28T18:58:50Z..2024-07-28T18:59:00Z",
                                           &flt.from_ns, &flt.to_ns),
                     0);
    assert_true(nvg_flow_filter_match(&flt, "s1", &f));
    assert_int_equal(nvg_filter_parse_span("2024-07-28T18:59:20Z..", &flt.from_ns, &flt.to_ns), 0);
    assert_false(nvg_flow_filter_match(&flt, "s1", &f));
    assert_int_equal(nvg_filter_parse_span("..2024-07-28T18:58:40Z", &flt.from_ns, &flt.to_ns), 0);
    assert_false(nvg_flow_filter_match(&flt, "s1", &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_hostile),   cmocka_unit_test(test_saturate),
        cmocka_unit_test(test_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
