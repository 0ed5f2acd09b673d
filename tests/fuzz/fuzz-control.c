/* Fuzz the collector's control socket (collector/control.c) end to end: requests go from a
 * DEALER client through a real (inproc) control ROUTER into nvg_control_drain, which unpacks
 * the ControlRequest, checks version, kind, sensor name and filter, and answers STATUS or
 * routes the command to the sensors (audit trail, requests in flight, replies, timeouts).
 *
 * Before each input a sensor "s1" says Hello on the sensor link (connected, so commands reach
 * it), and two more are known but not connected ("old", last heard 10 s ago; "never").
 *
 * Input: pieces separated by FUZZ_SEP; in each, the first byte picks what happens (modulo 6)
 * and the rest is the body:
 *   0  the client sends [body]                  (a DEALER client)
 *   1  the client sends ["", body]              (a REQ client: empty delimiter)
 *   2  the client sends ["x", "y", body]        (longest envelope accepted)
 *   3  the client sends ["x", "y", "z", body]   (envelope too long)
 *   4  the client sends [300 bytes, body]       (envelope frame too big)
 *   5  the sensor answers the oldest Command it has received with the body parsed as a
 *      CommandReply (empty when it does not parse), its id set to the Command's
 * Afterwards every request still in flight times out. Checked: every request gets exactly
 * one reply, and every reply is a ControlReply of our protocol version. */
#include <string.h>
#include <zmq.h>

#include "fuzz-collector.h"
#include "fuzz.h"
#include "nvg-zmq.h"

#define MAX_PIECES 96

static void send_sensor_msg(struct fuzz_collector *f, Netvigil__SensorMessage *m)
{
    m->protocol_version = NVG_PROTOCOL_VERSION;
    uint8_t buf[8192];
    size_t n = netvigil__sensor_message__get_packed_size(m);
    FUZZ_CHECK(n <= sizeof(buf));
    netvigil__sensor_message__pack(m, buf);
    const void *frame[1] = {buf};
    fuzz_send(f->sensor, frame, &n, 1);
    FUZZ_CHECK(nvg_ingest_drain(f->ingest, 4) == 1);
}

static void setup_sensors(struct fuzz_collector *f)
{
    Netvigil__Hello h = NETVIGIL__HELLO__INIT;
    h.sensor = (char *)"s1";
    h.boot_id = 1;
    h.source = (char *)"eth0";
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_HELLO;
    m.hello = &h;
    send_sensor_msg(f, &m);
    enum nvg_claim_error why;
    struct nvg_sensor_entry *old = nvg_sensor_table_claim(
        &f->sensors, "old", (const uint8_t *)"gone", 4, NULL, NULL, f->now_ms - 10000, &why);
    FUZZ_CHECK(old != NULL);
    FUZZ_CHECK(nvg_sensor_table_get(&f->sensors, "never") != NULL);
}

/* The id of the next Command the collector sent to the sensor; false when there is none. */
static bool next_command(struct fuzz_collector *f, uint64_t *id)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, f->sensor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return false;
        }
        Netvigil__CollectorMessage *cm =
            netvigil__collector_message__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        bool more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        FUZZ_CHECK(!more); /* DEALER: the collector's messages to a sensor are one frame */
        FUZZ_CHECK(cm != NULL && cm->protocol_version == NVG_PROTOCOL_VERSION);
        bool is_cmd = cm->body_case == NETVIGIL__COLLECTOR_MESSAGE__BODY_COMMAND;
        if (is_cmd)
            *id = cm->command->id;
        netvigil__collector_message__free_unpacked(cm, NULL);
        if (is_cmd)
            return true;
    }
}

static void sensor_reply(struct fuzz_collector *f, const uint8_t *body, size_t len)
{
    uint64_t id;
    if (!next_command(f, &id))
        return;
    Netvigil__CommandReply empty = NETVIGIL__COMMAND_REPLY__INIT;
    Netvigil__CommandReply *r = netvigil__command_reply__unpack(NULL, len, body);
    Netvigil__CommandReply *use = r ? r : &empty;
    use->id = id;
    Netvigil__SensorMessage m = NETVIGIL__SENSOR_MESSAGE__INIT;
    m.body_case = NETVIGIL__SENSOR_MESSAGE__BODY_COMMAND_REPLY;
    m.command_reply = use;
    if (netvigil__sensor_message__get_packed_size(&m) <= 8192)
        send_sensor_msg(f, &m);
    if (r)
        netvigil__command_reply__free_unpacked(r, NULL);
}

/* Read every reply the client has; returns how many, each checked. */
static unsigned client_replies(struct fuzz_collector *f)
{
    unsigned n = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, f->client, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return n;
        }
        while (zmq_msg_more(&m)) { /* envelope frames we sent come back first */
            zmq_msg_close(&m);
            zmq_msg_init(&m);
            FUZZ_CHECK(zmq_msg_recv(&m, f->client, 0) >= 0);
        }
        Netvigil__ControlReply *r =
            netvigil__control_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        FUZZ_CHECK(r != NULL && r->protocol_version == NVG_PROTOCOL_VERSION);
        netvigil__control_reply__free_unpacked(r, NULL);
        zmq_msg_close(&m);
        n++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t big[300];
    struct fuzz_collector *f = fuzz_collector_get();
    fuzz_collector_begin(f);
    setup_sensors(f);
    unsigned requests = 0, replies = 0;
    size_t off = 0;
    const uint8_t *piece;
    size_t len;
    for (int i = 0; i < MAX_PIECES && fuzz_next_piece(data, size, &off, &piece, &len); i++) {
        if (len == 0)
            continue;
        int mode = piece[0] % 6;
        const uint8_t *body = piece + 1;
        size_t blen = len - 1;
        const void *frame[4];
        size_t flen[4];
        int n = 0;
        switch (mode) {
        case 1:
            frame[n] = "";
            flen[n++] = 0;
            break;
        case 2:
        case 3:
            for (int k = 0; k < mode; k++) {
                frame[n] = &"xyz"[k];
                flen[n++] = 1;
            }
            break;
        case 4:
            frame[n] = big;
            flen[n++] = sizeof(big);
            break;
        case 5:
            sensor_reply(f, body, blen);
            continue;
        default:
            break;
        }
        frame[n] = body;
        flen[n++] = blen;
        fuzz_send(f->client, frame, flen, n);
        FUZZ_CHECK(nvg_control_drain(f->ctl, 4) == 1);
        requests++;
        replies += client_replies(f);
    }
    nvg_control_tick(f->ctl, nvg_clock_wall_ms() + 24 * 3600 * 1000LL);
    replies += client_replies(f);
    FUZZ_CHECK(replies == requests);
    fuzz_collector_end(f);
    return 0;
}
