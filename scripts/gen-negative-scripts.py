#!/usr/bin/env python3
"""Writes the systematic negative scripts of apdu-scripts/negative/ (the
expected status words from ssc.md §2.1–2.2, ISO 7816-4 and pboc.md). Run it
again after changing a table here; the scripts are committed as written."""
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "apdu-scripts", "negative")
os.makedirs(ROOT, exist_ok=True)
SSSE = "00 A4 04 00 0F 7378312E73682EC9E7BBE1B1A3D5CF"
PBOC = "00 A4 04 00 08 A000000333010101"


def write(name, header, card, lines):
    with open(os.path.join(ROOT, name), "w") as f:
        for h in header:
            f.write("# " + h + "\n")
        f.write("# @card " + card + "\n")
        for l in lines:
            f.write(l + "\n")


# INS codes no part of the social-security card, ISO 7816-4 or PBOC defines
# (and the T=0-invalid 6X/9X): 6D00 under CLA 00 in the SSSE and in the MF.
UNDEFINED = [0x02, 0x06, 0x08, 0x0A, 0x18, 0x1A, 0x1C, 0x30, 0x32, 0x34, 0x36, 0x38, 0x3A, 0x3C, 0x3E, 0x40, 0x42,
             0x48, 0x4A, 0x4C, 0x4E, 0x50, 0x52, 0x54, 0x56, 0x58, 0x5A, 0x5C, 0x60, 0x62, 0x64, 0x66, 0x68, 0x6A,
             0x6C, 0x6E, 0x72, 0x74, 0x76, 0x78, 0x7A, 0x7C, 0x7E, 0x8A, 0x8C, 0x8E, 0x90, 0x92, 0x94, 0x96, 0x98,
             0x9A, 0x9C, 0x9E, 0xA6, 0xA8, 0xAA, 0xAC, 0xAE, 0xB4, 0xB6, 0xB8, 0xBA, 0xBC, 0xBE, 0xC4, 0xC6, 0xC8,
             0xCC, 0xCE, 0xD4, 0xD8, 0xDE, 0xE6, 0xE8, 0xEA, 0xEC, 0xF0, 0xF2, 0xF4, 0xF6, 0xF8, 0xFA, 0xFC, 0xFE]
lines = [SSSE, "< 6F * 90 00"]
for ins in UNDEFINED:
    lines += ["00 %02X 00 00" % ins, "< 6D 00"]
write("01-undefined-instructions.apdu",
      ["What it checks: every INS code that neither the social-security card (ssc.md §2.1),",
       "ISO 7816-4 nor PBOC defines answers 6D00 (ssc.md §2.2: INS not supported), in the SSSE."],
      "default", lines)

# Classes: FF is invalid, logical channels are not supported, proprietary
# classes of a defined INS the application does not know: 6E00 / 6881.
lines = [SSSE, "< 6F * 90 00"]
for cla in [0x01, 0x02, 0x03]:
    lines += ["%02X A4 04 00 0F 7378312E73682EC9E7BBE1B1A3D5CF" % cla, "< 68 81 : logical channels are not supported"]
for ins in ["B0 00 00 00", "B2 01 2C 00", "84 00 00 08", "20 00 00 00", "A4 00 00 02 EF05"]:
    lines += ["FF " + ins, "< 6E 00"]
for cla, ins in [("80", "88 00 00 10 00112233445566778899AABBCCDDEEFF"), ("84", "82 00 0A 10 00112233445566778899AABBCCDDEEFF"),
                 ("80", "24 00 00 04 00000000")]:
    lines += [cla + " " + ins, "< 6E 00 : the SSSE's " + ins[:2] + " is CLA 00's"]
write("02-classes.apdu",
      ["What it checks: the class byte (ISO 7816-4 §5.4.1, ssc.md §2.2): CLA FF is invalid (6E00),",
       "logical channels are not supported (6881), an SSSE instruction under another class (6E00)."],
      "default", lines)

# Parameters: undefined P1/P2 values answer 6A86 (ssc.md §2.2).
lines = [SSSE, "< 6F * 90 00"]
for p1 in [0x05, 0x06, 0x07, 0x0A, 0x0B, 0x10, 0x20, 0x40, 0x80, 0xFF]:
    lines += ["00 A4 %02X 00 02 EF05" % p1, "< 6A 86 : SELECT P1 %02X" % p1]
lines += ["00 B2 01 2F 00", "< 6A 86 : READ RECORD P2 mode 111 (RFU; 101 and 110 read several records)"]
for p1, p2 in [(0x01, 0x00), (0x00, 0x05), (0x80, 0x00)]:
    lines += ["00 20 %02X %02X 03 123456" % (p1, p2), "< 6A 86 : VERIFY P1P2 %02X%02X" % (p1, p2) if p2 != 0x05 else "< 6A 88 : no PIN 05"]
for p1, p2 in [(0x01, 0x00), (0x00, 0x01)]:
    lines += ["00 84 %02X %02X 08" % (p1, p2), "< 6A 86 : GET CHALLENGE P1P2 %02X%02X" % (p1, p2)]
for p1 in [0x01, 0x80]:
    lines += ["00 82 %02X 0A 10 00112233445566778899AABBCCDDEEFF" % p1, "< 6A 86 : EXTERNAL AUTHENTICATE P1 %02X" % p1]
    lines += ["00 88 %02X 00 10 00112233445566778899AABBCCDDEEFF" % p1, "< 6A 86 : INTERNAL AUTHENTICATE P1 %02X" % p1]
for p1, p2 in [(0x00, 0x00), (0x02, 0x00), (0x01, 0x01)]:
    lines += ["80 5E %02X %02X 07 123456FF654321" % (p1, p2), "< 6A 86 : CHANGE PIN P1P2 %02X%02X" % (p1, p2)]
for p1, p2 in [(0x01, 0x00), (0x00, 0x02)]:
    lines += ["84 24 %02X %02X 04 00000000" % (p1, p2), "< 6A 86 : PIN CHANGE/UNBLOCK P1P2 %02X%02X" % (p1, p2)]
for p1, p2 in [(0x00, 0x00), (0x01, 0x01)]:
    lines += ["84 1E %02X %02X 04 00000000" % (p1, p2), "< 6A 86 : APPLICATION BLOCK P1P2 %02X%02X" % (p1, p2)]
for p1, p2 in [(0x00, 0x01), (0x01, 0x00)]:
    lines += ["84 16 %02X %02X 04 00000000" % (p1, p2), "< 6A 86 : CARD BLOCK P1P2 %02X%02X" % (p1, p2)]
write("03-parameters.apdu",
      ["What it checks: P1 and P2 values the commands do not define answer 6A86 (ssc.md §2.1–2.2),",
       "a PIN reference the card does not hold 6A88."],
      "default", lines)

# Lengths: 6700 (ssc.md §2.1's Lc and Le).
lines = [SSSE, "< 6F * 90 00"]
lines += ["00 A4 04 00 0F 7378312E73682E", "< 67 00 : Lc 15 with 7 bytes", "00 A4 04 00 0F", "< 67 00 : Lc 15 with none"]
for lc, data in [(0x01, "12"), (0x09, "123456789012345678")]:
    lines += ["00 20 00 00 %02X %s" % (lc, data), "< 67 00 : VERIFY Lc %02X" % lc]
for le in [0x01, 0x05, 0x20]:
    lines += ["00 84 00 00 %02X" % le, "< 67 00 : GET CHALLENGE Le %02X (04, 08 or 10)" % le]
for lc in [0x0F, 0x12]:
    lines += ["00 82 00 0A %02X %s" % (lc, "00" * lc), "< 67 00 : EXTERNAL AUTHENTICATE Lc %02X" % lc]
    lines += ["00 88 00 00 %02X %s" % (lc, "00" * lc), "< 67 00 : INTERNAL AUTHENTICATE Lc %02X" % lc]
lines += ["80 5E 01 00 02 12FF", "< 67 00 : CHANGE PIN Lc 02", "80 5E 01 00 12 " + "11" * 0x12, "< 67 00 : CHANGE PIN Lc 12"]
for p2, lc in [(0x00, 0x05), (0x00, 0x08), (0x01, 0x0C), (0x01, 0x04)]:
    lines += ["84 24 00 %02X %02X %s" % (p2, lc, "00" * lc), "< 67 00 : PIN CHANGE/UNBLOCK P2 %02X Lc %02X (SM4: 14)" % (p2, lc)]
for lc in [0x03, 0x05]:
    lines += ["84 1E 00 01 %02X %s" % (lc, "00" * lc), "< 67 00 : APPLICATION BLOCK Lc %02X" % lc]
    lines += ["84 16 00 00 %02X %s" % (lc, "00" * lc), "< 67 00 : CARD BLOCK Lc %02X" % lc]
write("04-lengths.apdu",
      ["What it checks: commands too short, Lc beyond the data, and each command's Lc or Le",
       "outside what ssc.md §2.1 allows answer 6700."],
      "default", lines)

# Security states of the SSSE of a 3.00 card (ssc.md §1.4, §3.1, §2.2).
lines = [SSSE, "< 6F * 90 00",
         "00 B2 08 34 14", "< 69 82 : EF06 record 08 needs RKSSSE on a 3.00 card",
         "00 A4 02 00 02 EF07", "< 90 00", "00 B0 00 00 10", "< 69 82 : EF07 (fingerprint) needs RKSSSE",
         "00 D6 00 00 02 0000", "< 69 82 : EF07 is written under UKSSSE",
         "00 A4 02 00 02 EF08", "< 90 00", "00 B0 00 00 10", "< 69 82 : EF08 (photo) needs RKSSSE",
         "00 A4 02 00 02 EF05", "< 90 00", "00 DC 07 2C 0B 070958303030303030303030", "< 69 82 : EF05 is written under UKSSSE",
         "00 82 00 0A 11 00000000000000000000000000000000 01", "< 69 84 : no challenge was issued",
         "84 24 00 01 14 " + "00" * 0x14, "< 69 82 : 8424 needs the external authentication with key 06",
         "84 24 00 00 04 00000000", "< 69 82",
         "84 1E 00 01 04 00000000", "< 69 82 : a block needs an external authentication",
         "84 16 00 00 04 00000000", "< 69 82",
         "00 84 00 00 08", "< XX XX XX XX XX XX XX XX 90 00",
         "00 82 00 0A 11 00000000000000000000000000000000 02", "< 6A 88 : key version 02 is not the card's",
         "00 82 00 0F 11 00000000000000000000000000000000 01", "< 6A 88 : no key 0F",
         "00 A4 04 00 06 D15600000500", "< 6F * 90 00",
         "00 B2 20 2C 00", "< 69 82 : DF01 EF05 needs the PIN or RKSSSE",
         "00 A4 04 00 06 D15600000503", "< 6F * 90 00",
         "00 B2 01 44 1C", "< 69 82 : DF04 EF08 (the medical log) needs the PIN or RKSSSE",
         "00 DC 01 44 1C " + "00" * 0x1C, "< 69 82 : the log is written by the purse alone"]
write("05-security-states.apdu",
      ["What it checks: what needs an external authentication or the PIN on a 3.00 card",
       "(ssc.md §1.4, §3.1): 6982 without it, 6984 without a challenge, 6A88 for a key the card lacks."],
      "default", lines)

# The medical purse's refusals (ssc.md §2.1: CLA B0, 6901 out of state).
lines = [SSSE, "< 6F * 90 00",
         "B0 26 00 01 04", "< 69 85 : no purse in the SSSE",
         "00 A4 04 00 06 D15600000503", "< 6F * 90 00",
         "B0 26 00 01 04", "< 00 00 C3 50 90 00 : 500.00",
         "B0 26 00 02 06", "< 00 00 C3 50 00 00 90 00 : with the offline ATC",
         "B0 26 00 03 06", "< 00 00 C3 50 00 00 90 00 : with the online ATC",
         "B0 26 00 00 04", "< 6A 86", "B0 26 00 04 04", "< 6A 86", "B0 26 01 01 04", "< 6A 86",
         "B0 26 00 01 01 00", "< 67 00 : GET BALANCE takes no data",
         "B0 2C 01 00 0F 00000001 20261203 120000 01020304", "< 69 01 : DEBIT before INITIALIZE",
         "B0 28 01 01 0B 01 00000064 510100000001", "< 67 00 : INITIALIZE FOR PURCHASE is Lc 13",
         "B0 28 00 01 13 01 00000064 510100000001 00000064 00000000", "< 6A 86",
         "B0 28 01 01 13 07 00000064 510100000001 00000064 00000000", "< 94 03 : no purchase key 07",
         "B0 28 01 01 13 01 0000C351 510100000001 0000C351 00000000", "< 94 01 : 500.01 is over the balance",
         "B0 28 01 01 13 01 00000064 510100000001 00000064 00000000", "< XX XX XX XX XX XX XX XX XX XX XX XX XX XX XX XX XX XX XX XX XX XX 90 00",
         "B0 2C 01 00 0F 00000001 20261203 120000 01020304", "< 93 02 : a wrong MAC1",
         "B0 2C 01 00 0F 00000001 20261203 120000 01020304", "< 69 01 : the INITIALIZE was used",
         "B0 2E 00 06 02 0000", "< 94 06 : no debit with ATC 0000",
         "B0 2E 00 05 02 0000", "< 6A 86", "B0 2E 00 06 01 00", "< 67 00",
         "B0 26 00 01 04", "< 00 00 C3 50 90 00 : the purse unchanged",
         "B0 2A 00 00 0B 01 00000064 510100000001", "< 6D 00 : CREDIT FOR LOAD is not built (loads are the centre's)",
         "B0 56 01 00 02", "< 6D 00", "B0 00 00 00", "< 6D 00"]
write("06-medical-purse.apdu",
      ["What it checks: the medical purse of DF04 (ssc.md §2.1): the balance, the INITIALIZE/DEBIT",
       "state machine (6901), a wrong MAC1 (9302), the balance (9401), an unknown key (9403), a proof",
       "that does not exist (9406), wrong parameters and lengths. Layouts [INFERRED] (MedicalPurse.swift)."],
      "default", lines)

# Blocked and locked states (ssc.md §3.3, §5).
lines = [SSSE, "< 6F * 90 00"]
for left in [5, 4, 3, 2, 1]:
    lines += ["00 20 00 00 03 000000", "< 63 C%X" % left]
lines += ["00 20 00 00 03 000000", "< 63 C0 : the last try", "00 20 00 00 03 123456", "< 69 83 : blocked, even the right PIN",
          "00 20 00 00 00", "< 69 83", "80 5E 01 00 07 123456FF654321", "< 69 83"]
for left in [2, 1]:
    lines += ["00 84 00 00 08", "< XX XX XX XX XX XX XX XX 90 00",
              "00 82 00 0A 11 00000000000000000000000000000000 01", "< 63 C%X : a wrong external authentication" % left]
lines += ["00 84 00 00 08", "< XX XX XX XX XX XX XX XX 90 00", "00 82 00 0A 11 00000000000000000000000000000000 01", "< 63 C0",
          "00 84 00 00 08", "< XX XX XX XX XX XX XX XX 90 00", "00 82 00 0A 11 00000000000000000000000000000000 01",
          "< 69 83 : RKSSSE is locked", "00 B2 08 34 14", "< 69 82"]
write("07-blocked.apdu",
      ["What it checks: the social PIN counting down to blocked (63Cx, then 6983 for VERIFY and",
       "CHANGE PIN), and an external-authentication key locked after its three tries (ssc.md §3.2–3.3)."],
      "default", lines)

# The bank application's refusals (pboc.md).
lines = [PBOC, "< 6F * 90 00",
         "80 AE 80 00 1D " + "00" * 0x1D, "< 69 85 : GENERATE AC before GET PROCESSING OPTIONS",
         "80 A8 00 00 02 8300", "< XX * 90 00",
         "80 A8 00 00 02 8300", "< 69 85 : a second GET PROCESSING OPTIONS",
         "80 A8 01 00 02 8300", "< 6B 00 : a non-zero GPO P1 (pboc.md §10, [INFERRED])",
         "00 B2 01 0C 00", "< 70 * 90 00", "00 B2 09 0C 00", "< 6A 83 : no record 9 in SFI 1",
         "00 B2 01 0D 00", "< 6A 86 : READ RECORD P2 low bits other than 100",
         "00 B2 01 FC 00", "< 6A 82 : no SFI 31",
         "80 CA 9F 17 00", "< 9F 17 01 03 90 00 : the PIN tries left",
         "80 CA 9F 99 00", "< 6A 88 : no such data object",
         "00 20 00 80 08 2612345FFFFFFFFF", "< 63 C2 : a wrong bank PIN",
         "80 CA 9F 17 00", "< 9F 17 01 02 90 00",
         "00 20 00 81 08 2612345FFFFFFFFF", "< 6A 86 : VERIFY P2 other than 80/88",
         "00 20 00 88 08 2612345FFFFFFFFF", "< 6A 86 : no enciphered PIN without a CVM that asks for it",
         "00 20 00 80 07 2612345FFFFFFF", "< 67 00"]
write("08-bank-refusals.apdu",
      ["What it checks: the debit application's refusals (pboc.md §3–§7): GENERATE AC or a second",
       "GET PROCESSING OPTIONS out of order (6985), records and data objects that do not exist,",
       "the offline PIN's try counter (63Cx, GET DATA 9F17), wrong PIN formats and lengths."],
      "default", lines)
print("written")

# Files and records that are not there (ssc.md §2.2: 6A82, 6A83, 6B00).
lines = [SSSE, "< 6F * 90 00"]
for fid in ["EF01", "EF02", "EF03", "EF04", "EF09", "EF0A", "EF0B", "EF0C", "EF0E", "EF0F", "EF10", "EF20", "DF05", "DF06",
            "DF08", "DF0A", "3F01", "0002", "1234", "ABCD"]:
    lines += ["00 A4 02 00 02 " + fid, "< 6A 82 : no EF %s in the SSSE" % fid if fid[:2] != "DF" else "< 6A 82 : no EF %s" % fid]
for name in ["D15600000505", "D15600000590", "A000000333010102", "325041592E5359532E4444463031", "7378322E73682EC9E7BBE1B1A3D5CF"]:
    lines += ["00 A4 04 00 %02X %s" % (len(name) // 2, name), "< 6A 82 : no application %s here" % name]
lines += ["00 A4 02 00 02 EF05", "< 90 00"]
for tag in [0x08, 0x09, 0x10, 0x20, 0x4E, 0x80, 0xFE]:
    lines += ["00 B2 %02X 28 00" % tag, "< 6A 83 : EF05 has no record %02X" % tag]
for n in [8, 9, 20]:
    lines += ["00 B2 %02X 2C 00" % n, "< 6A 83 : EF05 has no record number %d" % n]
lines += ["00 B0 00 00 01", "< 69 81 : READ BINARY of a record file",
          "00 A4 02 00 02 EF07", "< 90 00", "00 D6 00 00 01 00", "< 69 82 : EF07 is written under UKSSSE"]
write("09-files-and-records.apdu",
      ["What it checks: SELECT of files and applications that are not there (6A82), records that",
       "are not there (6A83), a command of the wrong file structure (6981) (ssc.md §2.1–2.2, §1.4)."],
      "default", lines)
print("written")
