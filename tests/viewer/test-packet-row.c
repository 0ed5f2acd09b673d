/* NvgPacketRow / NvgPacketHeader accessibility (needs a display: run under Xvfb): each row's
 * accessible label describes its record in one line, follows the record when the row is
 * re-bound, is kept for a re-bind to the same record, and is dropped for a blank row; the
 * header names its column titles. */
#include <arpa/inet.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nvg-packet-item.h"
#include "nvg-packet-row.h"

static NvgPacketItem *tcp4(guint64 number, uint16_t sport)
{
    struct nvg_view_rec r;
    memset(&r, 0, sizeof(r));
    r.pkt.ts_ns = 1700000401123456789LL; /* 2023-11-14 22:20:01.123456789 UTC */
    r.pkt.wire_len = 66;
    r.pkt.cap_len = 66;
    r.pkt.ip_version = 4;
    r.pkt.proto = NVG_PROTO_TCP;
    r.pkt.ip_proto = 6;
    inet_pton(AF_INET, "10.0.0.1", r.pkt.src);
    inet_pton(AF_INET, "10.0.0.2", r.pkt.dst);
    r.pkt.sport = sport;
    r.pkt.dport = 51000;
    r.pkt.ttl = 64;
    r.pkt.tcp_flags = NVG_TCP_PSH | NVG_TCP_ACK;
    r.pkt.flags = NVG_PKT_HAS_PORTS | NVG_PKT_HAS_TCPFLAGS | NVG_PKT_HAS_TTL;
    return nvg_packet_item_new(&r, "web-1", number);
}

static NvgPacketItem *other(guint64 number)
{
    struct nvg_view_rec r;
    memset(&r, 0, sizeof(r));
    r.pkt.ts_ns = 1700000401000000000LL;
    r.pkt.wire_len = 60;
    r.pkt.proto = NVG_PROTO_OTHER;
    r.pkt.ip_proto = 255;
    return nvg_packet_item_new(&r, "db-2", number);
}

/* The accessible label must be want (GTK's check; it returns the label it found otherwise). */
static void assert_label(GtkWidget *w, const char *want)
{
    char *got =
        gtk_test_accessible_check_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL, want);
    if (got) {
        char text[1024];
        g_strlcpy(text, got, sizeof(text));
        g_free(got);
        fail_msg("accessible label \"%s\", want \"%s\"", text, want);
    }
}

#define WANT_TCP                                                                                   \
    "22:20:01.123456 web-1 TCP 10.0.0.1 port 443 to 10.0.0.2 port 51000 flags PA TTL 64 length 66"

static void test_label_text(void **state)
{
    (void)state;
    char buf[512];
    g_autoptr(NvgPacketItem) a = tcp4(1, 443);
    nvg_packet_row_format_label(a, buf, sizeof(buf));
    assert_string_equal(buf, WANT_TCP);
    g_autoptr(NvgPacketItem) b = other(2);
    nvg_packet_row_format_label(b, buf, sizeof(buf));
    assert_string_equal(buf, "22:20:01.000000 db-2 Other length 60");
    /* cut to fit, always terminated */
    gsize n = nvg_packet_row_format_label(a, buf, 20);
    assert_int_equal(n, 19);
    assert_int_equal(strlen(buf), 19);
    assert_true(strncmp(buf, WANT_TCP, 19) == 0);
}

static void test_row_label(void **state)
{
    (void)state;
    GtkWidget *row = g_object_ref_sink(nvg_packet_row_new());
    assert_false(
        gtk_test_accessible_has_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL));
    g_autoptr(NvgPacketItem) a = tcp4(1, 443);
    nvg_packet_row_set_item(NVG_PACKET_ROW(row), a);
    assert_label(row, WANT_TCP);
    /* a new record: the label follows */
    g_autoptr(NvgPacketItem) b = tcp4(2, 8443);
    nvg_packet_row_set_item(NVG_PACKET_ROW(row), b);
    assert_label(row, "22:20:01.123456 web-1 TCP 10.0.0.1 port 8443 to 10.0.0.2 "
                      "port 51000 flags PA TTL 64 length 66");
    /* the same record in a new wrapper (what a re-bind after a front trim gives): kept */
    g_autoptr(NvgPacketItem) b2 = tcp4(2, 8443);
    nvg_packet_row_set_item(NVG_PACKET_ROW(row), b2);
    assert_ptr_equal(nvg_packet_row_get_item(NVG_PACKET_ROW(row)), b2);
    assert_label(row, "22:20:01.123456 web-1 TCP 10.0.0.1 port 8443 to 10.0.0.2 "
                      "port 51000 flags PA TTL 64 length 66");
    /* blank row: no label */
    nvg_packet_row_set_item(NVG_PACKET_ROW(row), NULL);
    assert_false(
        gtk_test_accessible_has_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL));
    g_object_unref(row);
}

static void test_header_label(void **state)
{
    (void)state;
    GtkWidget *h = g_object_ref_sink(nvg_packet_header_new());
    assert_label(
        h, "Columns: Time (UTC), Sensor, Protocol, Source, Destination, Src port, Dst port, Flags, "
           "TTL, Length, Payload");
    g_object_unref(h);
}

int main(void)
{
    g_setenv("GTK_A11Y", "test", TRUE);
    /* What gtk_test_init() does besides g_test_init(): a fixed locale, then gtk_init(). */
    gtk_disable_setlocale();
    setlocale(LC_ALL, "en_US.UTF-8");
    gtk_init();
    /* As under g_test_init(): a GLib warning or critical from the code under test fails. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_text),
        cmocka_unit_test(test_row_label),
        cmocka_unit_test(test_header_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
