/* bench-read-floor: the floor for reading a capture — a bare libpcap loop that counts packets
 * and bytes and does nothing else. run-bench.sh compares the decoder against it.
 *
 *   bench-read-floor FILE
 *
 * Prints one line: packets=N bytes=N seconds=S pps=N (seconds measured around the loop). */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench-read-floor FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) {
        fprintf(stderr, "bench-read-floor: %s\n", err);
        return 1;
    }
    double t0 = now();
    uint64_t packets = 0, bytes = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
    }
    double dt = now() - t0;
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "bench-read-floor: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets=%llu bytes=%llu seconds=%.6f pps=%.0f\n", (unsigned long long)packets,
           (unsigned long long)bytes, dt, dt > 0 ? (double)packets / dt : 0.0);
    return 0;
}
