/* Fuzz the collector's sensor socket (collector/ingest.c) end to end: each message goes from
 * a DEALER peer through a real (inproc) ROUTER into nvg_ingest_drain, which unpacks it into
 * the arena, checks the version, and dispatches Hello, Batch (validate every record, format
 * CSV rows, count rates and talkers, republish), SensorStatus, EndOfStream and CommandReply.
 * After the input the periodic work runs once over what the messages left (rates, status,
 * talkers, flush), as the collector's loop would.
 *
 * Input: SensorMessage bodies separated by FUZZ_SEP (one message with no separator), so a
 * corpus file can be a whole session: Hello, batches, status, end of stream. The corpus of
 * fuzz-wire is valid input here too. */
#include <zmq.h>

#include "fuzz-collector.h"
#include "fuzz.h"

#define MAX_MESSAGES 64

static uint64_t rejected(const struct fuzz_collector *f)
{
    const struct nvg_ingest_counters *k = nvg_ingest_counters(f->ingest);
    return k->malformed + k->unknown + k->refused + k->invalid_batches;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_collector *f = fuzz_collector_get();
    fuzz_collector_begin(f);
    uint64_t rejected_before = rejected(f);
    size_t off = 0;
    const uint8_t *piece;
    size_t len;
    for (int i = 0; i < MAX_MESSAGES && fuzz_next_piece(data, size, &off, &piece, &len); i++) {
        const void *frame[1] = {piece};
        fuzz_send(f->sensor, frame, &len, 1);
        /* inproc: the message is queued when send returns; drain exactly that one. */
        FUZZ_CHECK(nvg_ingest_drain(f->ingest, 4) == 1);
        FUZZ_CHECK(rejected(f) - rejected_before <= (uint64_t)i + 1);
        fuzz_drain_peer(f->sensor);
    }
    fuzz_collector_end(f);
    return 0;
}
