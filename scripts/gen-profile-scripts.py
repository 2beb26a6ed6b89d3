#!/usr/bin/env python3
"""Writes apdu-scripts/profiles/: one script per built-in profile, checking
what the profile says its card is (DESIGN.md's profile table, the
CardProfile definitions): the algorithm, the specification version and
region in EF05, EF06's access, the social PIN's try limit and initial value,
the query PIN, whether a PIN change is allowed, the purse, the bank PIN's
tries and activation. Run it again after changing a profile; the scripts
are committed as written."""
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "apdu-scripts", "profiles")
os.makedirs(ROOT, exist_ok=True)
SSSE_NAME = "7378312E73682EC9E7BBE1B1A3D5CF"
PBOC = "00 A4 04 00 08 A000000333010101"

# name, version, region, algorithm, social PIN, tries, query PIN, change allowed, bank activated, t0
PROFILES = [
    ("default", "3.00", "510100", 3, "123456", 6, False, True, True, False),
    ("default-des", "2.00", "330300", 1, "123456", 6, False, True, True, False),
    ("default-t0", "3.00", "510100", 3, "123456", 6, False, True, True, True),
    ("cumulative", "3.00", "130900", 3, "111111", 3, False, False, True, False),
    ("chongqing", "3.00", "500100", 3, "123456", 6, True, True, False, False),
    ("emvtool", "3.00", "510100", 3, "123456", 6, False, True, True, False),
    ("national-crypto", "3.00", "510100", 3, "123456", 6, False, True, True, False),
]


def hexs(text):
    return " ".join("%02X" % b for b in text.encode())


for (name, version, region, alg, pin, tries, query, change, bank, t0) in PROFILES:
    r = " ".join(region[i:i + 2] for i in range(0, 6, 2))
    bcd = " ".join(pin[i:i + 2] for i in range(0, len(pin), 2))
    lines = []
    if t0:
        lines += ["00 A4 04 00 0F " + SSSE_NAME, "< 61 1E : T=0: the FCI waits for GET RESPONSE",
                  "00 C0 00 00 1E", "< 6F 1C * 9F 0C 03 86 01 %02X 90 00" % alg]
    else:
        lines += ["00 A4 04 00 0F %s 00" % SSSE_NAME, "< 6F 1C * 9F 0C 03 86 01 %02X 90 00 : algorithm %02X" % (alg, alg)]
    resp = (lambda n: ["00 C0 00 00 %02X" % n]) if t0 else (lambda n: [])
    lines += ["00 B2 01 2C 12", "< 01 10 %s D1 56 00 00 05 * 90 00 : 卡识别码 of region %s" % (r, region),
              "00 B2 02 2C 03", "< 02 01 33 90 00 : card class",
              "00 B2 03 2C 06", "< 03 04 %s 90 00 : specification %s" % (hexs(version), version),
              "00 B2 04 2C 0E", "< 04 0C 91 56 00 00 02 %s %s 01 90 00 : the issuing institution" % (r, r),
              "00 B2 07 2C 0B", "< 07 09 * 90 00 : 卡号, 9 characters"]
    if version.startswith("3"):
        lines += ["00 B2 08 30 14", "< 69 82 : EF06 needs RKSSSE on a 3.00 card"]
    else:
        lines += ["00 B2 08 30 14", "< 08 12 * 90 00 : EF06 is free on a 2.00 card",
                  "00 B2 0D 30 06", "< 0D 04 * 90 00 : the birth date"]
    lines += ["00 20 00 00 00", "< 63 C%X : the social PIN is set, %d tries" % (tries, tries),
              "00 20 00 00 03 000000", "< 63 C%X : a wrong PIN" % (tries - 1),
              "00 20 00 00 03 " + bcd, "< 90 00 : the initial PIN " + pin]
    if tries == 6:
        lines += ["00 20 00 00 00", "< 90 00 : verified (consecutive tries: the counter is back)"]
    else:
        lines += ["00 20 00 00 00", "< 90 00 : verified"]
    if query:
        lines += ["00 20 00 01 00", "< 63 C6 : a query PIN (reference 01)"]
    else:
        lines += ["00 20 00 01 00", "< 6A 88 : no query PIN"]
    if not change:
        lines += ["80 5E 01 00 07 %s FF 246810" % bcd, "< 69 85 : this region's PIN may not be changed on the card"]
    lines += ["00 A4 04 00 06 D15600000503", "< 6F * 90 00" if not t0 else "< 61 XX",
              "B0 26 00 01 04", "< 00 00 C3 50 90 00 : the purse holds 500.00"]
    lines += [PBOC, "< 6F * 90 00" if not t0 else "< 61 XX", "80 CA 9F 17 %s" % ("04" if t0 else "00"),
              "< 9F 17 01 03 90 00 : the bank PIN's 3 tries"]
    if bank:
        lines += ["80 A8 00 00 02 8300", "< 61 XX : T=0: the answer waits for GET RESPONSE" if t0 else "< XX * 90 00 : the bank application answers GET PROCESSING OPTIONS"]
    else:
        lines += ["80 A8 00 00 02 8300", "< 69 85 : the bank has not activated the account"]
    with open(os.path.join(ROOT, name + ".apdu"), "w") as f:
        f.write("# What it checks: the %s profile's card (DESIGN.md's profile table): algorithm %02X, specification\n" % (name, alg))
        f.write("# %s, region %s, EF06 %s, the social PIN %s with %d tries%s%s, the purse,\n" % (
            version, region, "behind RKSSSE" if version.startswith("3") else "free", pin, tries,
            ", a query PIN" if query else "", ", no PIN change on the card" if not change else ""))
        f.write("# the bank PIN's tries and %s (ssc.md §1.2–1.6, §3.3; pboc.md §3).\n" % ("GPO" if bank else "the unactivated account"))
        f.write("# @card %s\n" % name)
        for l in lines:
            f.write(l + "\n")

# The virtual PSAM (ssc.md §3.4).
lines = ["00 A4 04 00 0F " + SSSE_NAME, "< 6F * 90 00 : the DES environment is the MF",
         "00 B0 96 00 06", "< 51 01 00 00 00 01 90 00 : EF0016, the terminal number",
         "00 A4 02 00 02 0015", "< 90 00", "00 B0 00 00 01", "< 01 90 00 : EF0015 begins with the issuer identifier",
         "80 FA 00 00 08 0000000000000000", "< 6D 00 : CIPHER DATA is the PSAM application's",
         "00 A4 04 00 06 D15600000590", "< 6F * 90 00",
         "80 FA 00 00 08 0000000000000000", "< 69 85 : CIPHER DATA before DELIVERY SESSION KEY",
         "BF DE 48 77 18 " + "00" * 0x18, "< 94 03 : no master key 77",
         "BF DE 48 0A 17 " + "00" * 0x17, "< 67 00 : two factors and an 8-byte random are 24 bytes",
         "BF DE 88 0A 18 " + "00" * 0x18, "< 6A 86 : four levels",
         "BF DE 48 0A 18 " + "00" * 0x18, "< 90 00",
         "80 FA 00 00 08 0000000000000000", "< XX XX XX XX XX XX XX XX 90 00 : encrypted",
         "80 FA 05 00 08 0000000000000000", "< XX XX XX XX 90 00 : a MAC",
         "80 FA 00 00 07 00000000000000", "< 67 00 : whole blocks",
         "80 FA 09 00 08 0000000000000000", "< 6A 86",
         "80 FA 00 01 08 0000000000000000", "< 6A 86",
         "80 72 00 00 04 00000000", "< 69 01 : CREDIT SAM FOR PURCHASE without INIT SAM FOR PURCHASE",
         "80 70 01 00 13 " + "00" * 0x13, "< 67 00",
         "00 A4 04 00 0F 7378332E73682EC9E7BBE1B1A3D5CF", "< 6F * 90 00 : the SM4 environment sx3",
         "00 B0 96 00 06", "< 51 01 00 00 00 01 90 00"]
with open(os.path.join(ROOT, "psam.apdu"), "w") as f:
    f.write("# What it checks: the virtual PSAM (ssc.md §3.4): its environments (sx1 DES, sx3 SM4), the terminal\n")
    f.write("# number in EF0016, DELIVERY SESSION KEY and CIPHER DATA and their refusals, the purchase commands' states.\n")
    f.write("# @card psam\n")
    for l in lines:
        f.write(l + "\n")
print("written")
