/* Unit tests of the name tables (sensor states, commands, decode events) and of our enums
 * against the protobuf ones: every value that proto/netvigil.proto defines has our enum member
 * of the same value and name (the values are also asserted at compile time in nvg-wire.c;
 * this catches a member added on one side only), and every name is what the status table, the
 * audit trail and the logs print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nvg-pkt.h"
#include "nvg-wire.h"

/* The value of every member of d is below count, and its name is prefix + ours[value]. */
static void assert_same_enum(const ProtobufCEnumDescriptor *d, const char *prefix,
                             const char *const *ours, unsigned count)
{
    assert_int_equal(d->n_values, count);
    for (unsigned i = 0; i < d->n_values; i++) {
        const ProtobufCEnumValue *v = &d->values[i];
        assert_in_range(v->value, 0, count - 1);
        char want[64];
        snprintf(want, sizeof(want), "%s%s", prefix, ours[v->value]);
        assert_string_equal(v->name, want);
    }
}

static void test_states_match_the_wire(void **state)
{
    (void)state;
    static const char *const ours[] = {
#define NAME(name, text) [NVG_STATE_##name] = #name,
        NVG_SENSOR_STATES(NAME)
#undef NAME
    };
    assert_same_enum(&netvigil__sensor_state__descriptor, "SENSOR_STATE_", ours, NVG_STATE_COUNT);
}

static void test_commands_match_the_wire(void **state)
{
    (void)state;
    static const char *const ours[] = {
#define NAME(name, text) [NVG_COMMAND_##name] = #name,
        NVG_COMMANDS(NAME)
#undef NAME
    };
    assert_same_enum(&netvigil__command_kind__descriptor, "COMMAND_", ours, NVG_COMMAND_COUNT);
}

static void test_protos_match_the_wire(void **state)
{
    (void)state;
    static const char *const ours[NVG_PROTO_COUNT] = {
        [NVG_PROTO_OTHER] = "OTHER",   [NVG_PROTO_IPV4] = "IPV4", [NVG_PROTO_IPV6] = "IPV6",
        [NVG_PROTO_TCP] = "TCP",       [NVG_PROTO_UDP] = "UDP",   [NVG_PROTO_ICMP] = "ICMP",
        [NVG_PROTO_ICMPV6] = "ICMPV6", [NVG_PROTO_ARP] = "ARP",
    };
    assert_same_enum(&netvigil__protocol__descriptor, "PROTOCOL_", ours, NVG_PROTO_COUNT);
    static const char *const kinds[] = {
        [NVG_PAYLOAD_NONE] = "NONE", [NVG_PAYLOAD_RAW] = "RAW", [NVG_PAYLOAD_PADDING] = "PADDING"};
    assert_same_enum(&netvigil__payload_kind__descriptor, "PAYLOAD_", kinds, 3);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(nvg_wire_state_name(NETVIGIL__SENSOR_STATE__SENSOR_STATE_UNKNOWN),
                        "unknown");
    assert_string_equal(nvg_wire_state_name(NETVIGIL__SENSOR_STATE__SENSOR_STATE_RUNNING),
                        "running");
    assert_string_equal(nvg_wire_state_name(NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED),
                        "stopped");
    assert_string_equal(nvg_wire_state_name(NETVIGIL__SENSOR_STATE__SENSOR_STATE_FINISHED),
                        "finished");
    assert_string_equal(nvg_wire_state_name(NETVIGIL__SENSOR_STATE__SENSOR_STATE_ERROR), "error");
    assert_string_equal(nvg_wire_state_name((Netvigil__SensorState)5), "unknown");
    assert_string_equal(nvg_wire_state_name((Netvigil__SensorState)-1), "unknown");

    Netvigil__SensorStatus st = NETVIGIL__SENSOR_STATUS__INIT;
    Netvigil__SensorSummary s = NETVIGIL__SENSOR_SUMMARY__INIT;
    assert_string_equal(nvg_wire_summary_state(&s), "silent");
    s.connected = 1;
    assert_string_equal(nvg_wire_summary_state(&s), "unknown"); /* no heartbeat yet */
    s.last_status = &st;
    st.state = NETVIGIL__SENSOR_STATE__SENSOR_STATE_STOPPED;
    assert_string_equal(nvg_wire_summary_state(&s), "stopped");
    s.connected = 0;
    assert_string_equal(nvg_wire_summary_state(&s), "silent");
}

static void test_command_names(void **state)
{
    (void)state;
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_START), "start");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_STOP), "stop");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_RESTART), "restart");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_SET_FILTER),
                        "set-filter");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_STATUS), "status");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_UNSPECIFIED), "?");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_FORGET), "forget");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_ALERTS), "alerts");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_HOSTS), "hosts");
    assert_string_equal(nvg_wire_command_name(NETVIGIL__COMMAND_KIND__COMMAND_PCAP), "pcap");
    assert_string_equal(nvg_wire_command_name((Netvigil__CommandKind)10), "?");
    assert_string_equal(nvg_wire_command_name((Netvigil__CommandKind)-7), "?");
}

/* Event numbers travel in PacketRecord.event and name counters: they never move. */
static void test_decode_events(void **state)
{
    (void)state;
    static const struct {
        int ev;
        const char *name;
    } pinned[] = {
        {0, "none"},
        {1, "link-unknown"},
        {2, "link-truncated"},
        {3, "ipv4-truncated"},
        {4, "ipv4-bad-version"},
        {5, "ipv4-bad-ihl"},
        {6, "ipv4-bad-total-length"},
        {7, "ipv6-truncated"},
        {8, "ipv6-bad-version"},
        {9, "ipv6-ext-truncated"},
        {10, "ipv6-ext-too-many"},
        {11, "arp-truncated"},
        {12, "tcp-truncated"},
        {13, "tcp-bad-data-offset"},
        {14, "udp-truncated"},
        {15, "icmp-truncated"},
        {16, "icmpv6-truncated"},
    };
    assert_int_equal(NVG_EV_COUNT, sizeof(pinned) / sizeof(pinned[0]));
    for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++)
        assert_string_equal(nvg_decode_event_name((enum nvg_decode_event)pinned[i].ev),
                            pinned[i].name);
    assert_int_equal(NVG_EV_LINK_UNKNOWN, 1);
    assert_int_equal(NVG_EV_IPV4_TOTLEN, 6);
    assert_int_equal(NVG_EV_TCP_DOFF, 13);
    assert_int_equal(NVG_EV_ICMPV6_TRUNC, 16);
    assert_string_equal(nvg_decode_event_name(NVG_EV_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states_match_the_wire),
        cmocka_unit_test(test_commands_match_the_wire),
        cmocka_unit_test(test_protos_match_the_wire),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_command_names),
        cmocka_unit_test(test_decode_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
