/* A caller of libSSCardDriver.so as HIS software loads it: dlopen, the 23
 * standard names resolved with dlsym and the library refused if one is
 * missing (as real HIS loaders do), 1024-byte buffers. Each argument is one
 * call; each prints one line "CODE|OUTPUT" with the output as hex (it is GBK).
 *
 *   bas:T  bas-null  verify:T  change:T  type  reader  debitrecord
 *   reload=CARDINFO  unblock=CARDINFO                  (iType 1)
 *   readN=CARDINFO#FILEADDR                            (iReadCard, iAuthType N)
 *   write=CARDINFO#FILEADDR#WRITEDATA  debit=CARDINFO#PAYINFO
 *   hsmbas  hsmread=CARDINFO#FILEADDR  hsmwrite=CARDINFO#FILEADDR#WRITEDATA
 *   hsmreload=CARDINFO  hsmunblock=CARDINFO  hsmdebit=CARDINFO#PAYINFO
 *   bas1  step=NAME#PKEY        (iReadCardBas_HSM_Step1 alone; one Step2/Step3 alone)
 *   nulls                       (NULL for every string parameter of six functions)
 *   unterminated                (100 KiB and no NUL, before an unreadable page, as every string parameter)
 *
 * The hsm… calls run a whole HSM chain, each step's output turned into the
 * next step's pKey by `$SSCARD hsm …` (the virtual HSM), one line per step;
 * the card the HSM needs is the last hsmbas Step1 output. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *names[23] = {
    "iReadCardBas", "iReadCard", "iWriteCard", "iVerifyPIN", "iChangePIN", "iReloadPIN", "iUnblockPIN", "iDoDebit",
    "iReadDebitRecord", "iReadCardBas_HSM_Step1", "iReadCardBas_HSM_Step2", "iReadCard_HSM_Step1", "iReadCard_HSM_Step2",
    "iWriteCard_HSM_Step1", "iWriteCard_HSM_Step2", "iReloadPIN_HSM_Step1", "iReloadPIN_HSM_Step2", "iReloadPIN_HSM_Step3",
    "iUnblockPIN_HSM_Step1", "iUnblockPIN_HSM_Step2", "iUnblockPIN_HSM_Step3", "iDoDebit_HSM_Step1", "iDoDebit_HSM_Step2",
};
static void *fn[23];
static char card[1024];

typedef long (*f_i)(int, char *);
typedef long (*f_s)(char *, char *);
typedef long (*f_ss)(char *, char *, char *);
typedef long (*f_is)(int, char *, char *);
typedef long (*f_iss)(int, char *, char *, char *);
typedef long (*f_isss)(int, char *, char *, char *, char *);
typedef long (*f_iisss)(int, int, char *, char *, char *);

static void *get(const char *name) {
    for (int i = 0; i < 23; i++) if (!strcmp(names[i], name)) return fn[i];
    return NULL;
}

static void show(long code, const char *out) {
    printf("%ld|", code);
    for (const unsigned char *p = (const unsigned char *)out; *p; p++) printf("%02X", *p);
    printf("\n");
}

/* `$SSCARD hsm KIND [--card CARD] - < STEP` → key; 0 when it answered. The
 * step goes through a private file, not the command line: a reload's Step2
 * output carries the new PIN. */
static int hsm(const char *kind, const char *step, char *key) {
    const char *sscard = getenv("SSCARD");
    char cmd[4096], path[] = "/tmp/sscard-hsm-XXXXXX";
    if (!sscard) { printf("no $SSCARD for the HSM\n"); return -1; }
    if (strcmp(kind, "bas") && !card[0]) { printf("no card for the HSM: call hsmbas first\n"); return -1; }
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    if (write(fd, step, strlen(step)) < 0 || write(fd, "\n", 1) < 0) { close(fd); unlink(path); return -1; }
    close(fd);
    if (!strcmp(kind, "bas")) snprintf(cmd, sizeof cmd, "'%s' hsm bas - < '%s'", sscard, path);
    else snprintf(cmd, sizeof cmd, "'%s' hsm %s --card '%s' - < '%s'", sscard, kind, card, path);
    FILE *p = popen(cmd, "r");
    if (!p) { unlink(path); return -1; }
    key[0] = 0;
    if (!fgets(key, 1024, p)) key[0] = 0;
    int status = pclose(p);
    unlink(path);
    key[strcspn(key, "\n")] = 0;
    printf("hsm|%s\n", key);
    return status == 0 && key[0] ? 0 : -1;
}

int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 2; }
    for (int i = 0; i < 23; i++) {
        fn[i] = dlsym(h, names[i]);
        if (!fn[i]) { printf("refused: %s is missing\n", names[i]); return 3; }
    }
    for (int i = 2; i < argc; i++) {
        char out[1024], out2[1024], key[1024];
        memset(out, 0, sizeof out);
        memset(out2, 0, sizeof out2);
        char *colon = strchr(argv[i], ':');
        int type = colon ? atoi(colon + 1) : 1;
        if (colon) *colon = 0;
        char *a = strchr(argv[i], '=');
        if (a) *a++ = 0;
        char *b = a ? strchr(a, '#') : NULL;
        if (b) *b++ = 0;
        char *c = b ? strchr(b, '#') : NULL;
        if (c) *c++ = 0;
        const char *call = argv[i];
        long r;
        if (!strcmp(call, "bas")) show(((f_i)get("iReadCardBas"))(type, out), out);
        else if (!strcmp(call, "bas-null")) show(((f_i)get("iReadCardBas"))(type, NULL), "");
        else if (!strcmp(call, "verify")) show(((f_i)get("iVerifyPIN"))(type, out), out);
        else if (!strcmp(call, "change")) show(((f_i)get("iChangePIN"))(type, out), out);
        else if (!strcmp(call, "debitrecord")) show(((f_i)get("iReadDebitRecord"))(type, out), out);
        else if (!strncmp(call, "read", 4) && call[4] && !call[5] && a)
            show(((f_iisss)get("iReadCard"))(1, call[4] - '0', a, b, out), out);
        else if (!strcmp(call, "nulls")) {
            show(((f_iisss)get("iReadCard"))(1, 2, NULL, NULL, out), out);
            show(((f_isss)get("iWriteCard"))(1, NULL, NULL, NULL, out), out);
            show(((f_iss)get("iDoDebit"))(1, NULL, NULL, out), out);
            show(((f_is)get("iReloadPIN"))(1, NULL, out), out);
            show(((f_s)get("iReadCardBas_HSM_Step2"))(NULL, out), out);
            show(((f_ss)get("iWriteCard_HSM_Step2"))(NULL, NULL, out), out);
        }
        else if (!strcmp(call, "unterminated")) {
            /* 100 KiB of 'A' and no NUL, right before a page that cannot be
             * read: a driver that followed the string past its bound would
             * crash here rather than read on quietly. */
            long page = sysconf(_SC_PAGESIZE);
            size_t size = (100000 / page + 1) * page;
            char *u = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (u == MAP_FAILED || mprotect(u + size, page, PROT_NONE) != 0) return 1;
            memset(u, 'A', size);
            show(((f_iisss)get("iReadCard"))(1, 2, u, u, out), out);
            show(((f_isss)get("iWriteCard"))(1, u, u, u, out), out);
            show(((f_iss)get("iDoDebit"))(1, u, u, out), out);
            munmap(u, size + page);
        }
        else if (!strcmp(call, "bas1")) show(((f_i)get("iReadCardBas_HSM_Step1"))(1, out), out);
        else if (!strcmp(call, "step") && a && b && get(a)) show(((f_s)get(a))(b, out), out);
        else if (!strcmp(call, "write")) show(((f_isss)get("iWriteCard"))(1, a, b, c, out), out);
        else if (!strcmp(call, "debit")) show(((f_iss)get("iDoDebit"))(1, a, b, out), out);
        else if (!strcmp(call, "reload")) show(((f_is)get("iReloadPIN"))(1, a, out), out);
        else if (!strcmp(call, "unblock")) show(((f_is)get("iUnblockPIN"))(1, a, out), out);
        else if (!strcmp(call, "type")) {
            unsigned char t[8] = {0};
            r = ((long (*)(unsigned char *, char *))dlsym(h, "iGetCardType"))(t, out);
            printf("%ld|%c|", r, t[0] ? t[0] : '-');
            show(0, out);
        } else if (!strcmp(call, "reader")) {
            r = ((f_s)dlsym(h, "iGetReaderInfo"))(out, out2);
            printf("%ld|%s|%s\n", r, out, out2);
        } else if (!strcmp(call, "hsmbas")) {
            r = ((f_i)get("iReadCardBas_HSM_Step1"))(1, out);
            show(r, out);
            if (r) continue;
            strcpy(card, out);
            if (hsm("bas", out, key)) continue;
            show(((f_s)get("iReadCardBas_HSM_Step2"))(key, out2), out2);
        } else if (!strcmp(call, "hsmread") || !strcmp(call, "hsmwrite")) {
            int write = !strcmp(call, "hsmwrite");
            r = ((f_iss)get(write ? "iWriteCard_HSM_Step1" : "iReadCard_HSM_Step1"))(1, a, b, out);
            show(r, out);
            if (r || hsm("auth", out, key)) continue;
            if (write) show(((f_ss)get("iWriteCard_HSM_Step2"))(key, c, out2), out2);
            else show(((f_s)get("iReadCard_HSM_Step2"))(key, out2), out2);
        } else if (!strcmp(call, "hsmreload") || !strcmp(call, "hsmunblock")) {
            const char *p = !strcmp(call, "hsmreload") ? "iReloadPIN" : "iUnblockPIN";
            char name[64];
            snprintf(name, sizeof name, "%s_HSM_Step1", p);
            r = ((f_is)get(name))(1, a, out);
            show(r, out);
            if (r || hsm("auth", out, key)) continue;
            snprintf(name, sizeof name, "%s_HSM_Step2", p);
            r = ((f_s)get(name))(key, out2);
            printf("%ld|step2\n", r); /* the output carries the new PIN: not printed */
            if (r || hsm("pin", out2, key)) continue;
            snprintf(name, sizeof name, "%s_HSM_Step3", p);
            memset(out, 0, sizeof out);
            show(((f_s)get(name))(key, out), out);
        } else if (!strcmp(call, "hsmdebit")) {
            r = ((f_iss)get("iDoDebit_HSM_Step1"))(1, a, b, out);
            show(r, out);
            if (r || hsm("debit", out, key)) continue;
            show(((f_s)get("iDoDebit_HSM_Step2"))(key, out2), out2);
        } else { printf("unknown call %s\n", call); return 2; }
    }
    return 0;
}
