/* A caller of libSSCardDriver.so as HIS software loads it: dlopen, the
 * names resolved with dlsym, 1024-byte buffers. Each argument is one call,
 * FUNCTION:ITYPE (bas, verify, change, type, reader, bas-null) or
 * FUNCTION=PCARDINFO (reload, unblock; iType 1), or readN=PCARDINFO#PFILEADDR
 * (iReadCard, iType 1, iAuthType N); each prints
 * one line "CODE|OUTPUT" with the output as hex (it is GBK). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef long (*typed_fn)(int, char *);
typedef long (*card_type_fn)(unsigned char *, char *);
typedef long (*reader_fn)(char *, char *);

static void show(long code, const char *out) {
    printf("%ld|", code);
    for (const unsigned char *p = (const unsigned char *)out; *p; p++) printf("%02X", *p);
    printf("\n");
}

static void *need(void *h, const char *name) {
    void *f = dlsym(h, name);
    if (!f) { printf("missing %s\n", name); exit(3); }
    return f;
}

int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 2; }
    for (int i = 2; i < argc; i++) {
        char out[1024], out2[1024];
        memset(out, 0, sizeof out);
        memset(out2, 0, sizeof out2);
        char *colon = strchr(argv[i], ':');
        int type = colon ? atoi(colon + 1) : 1;
        if (colon) *colon = 0;
        char *info = strchr(argv[i], '=');
        if (info) *info++ = 0;
        if (!strcmp(argv[i], "bas")) show(((typed_fn)need(h, "iReadCardBas"))(type, out), out);
        else if (!strcmp(argv[i], "bas-null")) show(((typed_fn)need(h, "iReadCardBas"))(type, NULL), "");
        else if (!strcmp(argv[i], "verify")) show(((typed_fn)need(h, "iVerifyPIN"))(type, out), out);
        else if (!strcmp(argv[i], "change")) show(((typed_fn)need(h, "iChangePIN"))(type, out), out);
        else if (!strncmp(argv[i], "read", 4) && argv[i][4] && !argv[i][5] && info) {
            char *addr = strchr(info, '#');
            if (addr) *addr++ = 0;
            show(((long (*)(int, int, char *, char *, char *))need(h, "iReadCard"))(1, argv[i][4] - '0', info, addr, out), out);
        }
        else if (!strcmp(argv[i], "reload")) show(((long (*)(int, char *, char *))need(h, "iReloadPIN"))(1, info, out), out);
        else if (!strcmp(argv[i], "unblock")) show(((long (*)(int, char *, char *))need(h, "iUnblockPIN"))(1, info, out), out);
        else if (!strcmp(argv[i], "type")) { unsigned char t[8] = {0}; long r = ((card_type_fn)need(h, "iGetCardType"))(t, out); printf("%ld|%c|", r, t[0] ? t[0] : '-'); show(0, out); }
        else if (!strcmp(argv[i], "reader")) { long r = ((reader_fn)need(h, "iGetReaderInfo"))(out, out2); printf("%ld|%s|%s\n", r, out, out2); }
        else { printf("unknown call %s\n", argv[i]); return 2; }
    }
    return 0;
}
