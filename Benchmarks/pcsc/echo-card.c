/* A minimal vpcd card for the PC/SC benchmark: it answers 90 00 to every
 * APDU and its ATR to every ATR request, with the same socket settings as
 * SSCard's bridge (TCP_NODELAY, TCP_QUICKACK re-armed after every read), so
 * that the comparison measures only what the virtual card adds.
 * Usage: echo-card PORT   (vpcd must be listening: pcscd with vsmartcard-vpcd) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int read_all(int fd, unsigned char *buf, int n) {
    int got = 0;
    while (got < n) {
        int r = recv(fd, buf + got, n - got, 0);
        if (r <= 0) return -1;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        got += r;
    }
    return 0;
}

int main(int argc, char **argv) {
    static const unsigned char atr[] = {0x3B, 0x02, 0x14, 0x50};
    unsigned char buf[65538];
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(argc > 1 ? atoi(argv[1]) : 35964);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); usleep(50000); continue; }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        for (;;) {
            if (read_all(fd, buf, 2) != 0) break;
            int n = buf[0] << 8 | buf[1];
            if (read_all(fd, buf, n) != 0) break;
            if (n == 1) {
                if (buf[0] != 4) continue;
                unsigned char out[2 + sizeof atr] = {0, sizeof atr};
                for (unsigned i = 0; i < sizeof atr; i++) out[2 + i] = atr[i];
                if (send(fd, out, sizeof out, MSG_NOSIGNAL) <= 0) break;
            } else {
                unsigned char out[4] = {0, 2, 0x90, 0x00};
                if (send(fd, out, 4, MSG_NOSIGNAL) <= 0) break;
            }
        }
        close(fd);
    }
}
