#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into Fuzz/corpus/NAME/seed-*.

The seeds come from the project's own material: the conformance scripts'
commands and answers, card images and profiles the CLI makes, the
platform's request envelopes, the reader driver's strings. Run it from the
repository root after a debug build (it calls .build/debug/sscard for the
card images); it rewrites the seed-* files only, never the inputs a fuzz
run added.
"""
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
SSCARD = os.path.join(ROOT, ".build", "debug", "sscard")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clear_seeds(target):
    for p in glob.glob(os.path.join(CORPUS, target, "seed-*")):
        os.remove(p)


def script_pairs():
    """(command bytes, expected answer bytes or None) from the suite's plain-hex lines."""
    pairs = []
    for path in sorted(glob.glob(os.path.join(ROOT, "apdu-scripts", "**", "*.apdu"), recursive=True)):
        last = None
        for raw in open(path, encoding="utf-8"):
            line = raw.split("#", 1)[0].strip()
            if not line or line == "reset" or "$" in line or "[" in line:
                last = None
                continue
            if line.startswith("<"):
                body = line[1:].split(":", 1)[0].replace(" ", "")
                if last is not None and re.fullmatch(r"([0-9A-Fa-f]{2})+", body):
                    pairs.append((last, bytes.fromhex(body)))
                last = None
                continue
            hexed = line.replace(" ", "")
            if line.startswith(">"):
                hexed = line[1:].replace(" ", "")
            if re.fullmatch(r"([0-9A-Fa-f]{2}){4,}", hexed):
                last = bytes.fromhex(hexed)
                pairs.append((last, None))
    return pairs


def main():
    for t in ["apdu", "tlv", "script", "card-image", "profile", "vpcd", "fault-plan", "backoffice-json", "driver-strings", "card-runtime"]:
        clear_seeds(t)
    pairs = script_pairs()
    commands = []
    for c, _ in pairs:
        if c not in commands:
            commands.append(c)

    # apdu: commands of every case, short and extended, and answers.
    for i, c in enumerate(commands[:60]):
        write("apdu", "cmd-%02d" % i, c)
    extended = [
        bytes.fromhex("00B0000000FFFF"), bytes.fromhex("00D60000000003AABBCC"), bytes.fromhex("80CA9F7F000000"),
        bytes.fromhex("00A4040000000F7378312E73682EC9E7BBE1B1A3D5CF0000"), bytes.fromhex("00840000"),
    ]
    for i, c in enumerate(extended):
        write("apdu", "ext-%d" % i, c)
    answers = [a for _, a in pairs if a is not None]
    for i, a in enumerate(answers[:30]):
        write("apdu", "rsp-%02d" % i, a)

    # tlv: the answers' data fields that hold TLV (FCI, records, GPO, GENERATE AC).
    n = 0
    for a in answers:
        data = a[:-2]
        if len(data) >= 2 and data[0] in (0x6F, 0x70, 0x77, 0x80, 0x61, 0x9F, 0x5F, 0xA5):
            write("tlv", "%02d" % n, data)
            n += 1
            if n >= 40:
                break
    write("tlv", "padded", bytes.fromhex("00FF6F0A8406D156000005 00A50000FF".replace(" ", "")))
    write("tlv", "long-length", bytes([0x70, 0x81, 0x82, 0x5A, 0x80] + [0x11] * 0x80))

    # script: a few of the suite's scripts, a scriptor transcript, an apdutool script.
    for path in sorted(glob.glob(os.path.join(ROOT, "apdu-scripts", "social", "0[1-4]*.apdu")))[:4]:
        write("script", os.path.basename(path), open(path, "rb").read())
    write("script", "scriptor.txt", "reset\n> RESET\n< OK: 3B 6D 00 00 00 81 53 53 43 86 60 51 01 BA 6D 1C 17\n"
          "00 84 00 00 08\n> 00 84 00 00 08\n< 01 02 03 04 05 06 07 08 90 00 : Normal processing.\n")
    write("script", "apdutool.script", "powerup;\n// select\n0x00 0xA4 0x04 0x00 0x06 0xD1 0x56 0x00 0x00 0x05 0x00 0x7F;\npowerdown;\n")
    write("script", "captures.apdu", "00 84 00 00 08\n< [rnd:8] 90 00\n00 82 00 06 08 ${rnd}\n< XX 9X *\n")

    # card-image and profile: what the CLI makes.
    tmp = os.path.join(ROOT, ".build", "fuzz-seeds")
    os.makedirs(tmp, exist_ok=True)
    for profile in ["default", "iso-test", "iso-test-t0"]:
        out = os.path.join(tmp, profile + ".json")
        if os.path.exists(out):
            os.remove(out)
        subprocess.run([SSCARD, "card", "new", "--profile", profile, "--out", out], check=True, stdout=subprocess.DEVNULL)
        write("card-image", profile + ".json", open(out, "rb").read())
    write("profile", "fifteen.json", json.dumps({"schemaVersion": 1, "name": "fifteen", "base": "iso-test", "pins": {"user": {"limit": 15}}}))
    write("profile", "t0.json", json.dumps({"schemaVersion": 1, "name": "strict", "base": "default", "answerMode": "t0", "seed": 9,
                                            "lenientLe": True, "pins": {"social": {"value": "111111", "limit": 3, "policy": "cumulative", "mustChange": True}}}))

    # vpcd: the first byte chooses the piece size; then frames.
    def frame(p):
        return bytes([len(p) >> 8, len(p) & 0xFF]) + p
    write("vpcd", "controls", bytes([3]) + frame(b"\x01") + frame(b"\x04") + frame(b"\x02") + frame(b"\x00"))
    write("vpcd", "apdus", bytes([5]) + frame(b"\x01") + b"".join(frame(c) for c in commands[:8]))
    write("vpcd", "short-and-odd", bytes([1]) + frame(b"") + frame(b"\x00\x84") + frame(b"\x09") + frame(b"\x00\xB0\x00"))
    write("vpcd", "partial", bytes([2]) + frame(commands[0])[:-3])

    # fault-plan: the README's plan and one of every fault.
    write("fault-plan", "readme.faults", "# plan\nseed 7\nins 20 nth 2 => sw 6983\napp bank ins AE => tlv drop 9F26\n"
          "prefix 00B2 every 3 => truncate 5\napp social ins DC => tear 1\n")
    write("fault-plan", "every-fault.faults", "any => flip -1 01\nins A4 => tlv length 84 +1\nins A4 => tlv duplicate 88\n"
          "ins 84 chance 1/2 seed 3 => chain 61 10\nins C0 => chain 6C 05\nins A4 nth 1 => extend 9000\napp mf => remove 0\n"
          "app D156000005 ins B2 => truncate 999\nins 84 every 2 => tear\n")

    # backoffice-json: the platform's envelopes (spec/settlement.md).
    def envelope(infno, payload, extra=""):
        return ('{"infno":"%s","msgid":"H51010000001202612030800000001","mdtrtarea_admvs":"510100","recer_sys_code":"YBXT",'
                '"infver":"V1.0","opter_type":"1","opter":"001","opter_name":"测试","inf_time":"2026-12-03 08:00:00",'
                '"fixmedins_code":"H51010000001","fixmedins_name":"SSCard 测试药房"%s,"input":%s}' % (infno, extra, payload))
    card = json.loads(subprocess.run([SSCARD, "social", "read", "--card", "default", "--json"], check=True, capture_output=True).stdout)
    cred = '"mdtrt_cert_type":"03","mdtrt_cert_no":"%s","card_sn":"%s"' % (card["cardNumber"], card["cardID"])
    write("backoffice-json", "9001.json", envelope("9001", '{"signIn":{"opter_no":"001","mac":"00-11-22-33-44-55","ip":"127.0.0.1"}}'))
    write("backoffice-json", "1101.json", envelope("1101", '{"data":{%s}}' % cred))
    write("backoffice-json", "1101-by-id.json", envelope("1101", '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"%s"}}' % card["citizenID"]))
    write("backoffice-json", "2101.json", envelope("2101", '{"druginfo":{"psn_no":"1",%s,"medfee_sumamt":"12.30","acct_used_flag":"1","med_type":"41"},'
                                                          '"drugdetail":[{"med_list_codg":"X1","cnt":"1","pric":"12.30"}]}' % cred))
    write("backoffice-json", "9002.json", envelope("9002", '{"signOut":{"sign_no":"1","opter_no":"001"}}'))
    write("backoffice-json", "nested.json", '{"infno":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}')
    write("backoffice-json", "escapes.json", '{"infno":"\\u0032\\u0031\\u0030\\u0031","input":{"a":"\\ud83d\\ude00","b":-1.5e+3}}')

    # driver-strings: pCardInfo NUL pFileAddr NUL pWriteData NUL pPayInfo.
    info = card["cardID"] + "|" + card["cardNumber"] + "|"
    write("driver-strings", "read", "\0".join([info, "SSSEEF05|06|07|$SSSEEF06|08|09|4E|$DF01EF05|21|$", "", ""]))
    write("driver-strings", "write", "\0".join([info, "DF01EF05|21|$", "DF01EF05|人民路 1 号|$", ""]))
    write("driver-strings", "debit", "\0".join([info, "DF04EF05|84|8B|$", "", "12.34|20.00|20261203103000|"]))
    write("driver-strings", "bad", "\0".join(["F" * 32 + "|X|", "3F00EF06|08|", "|$", "1.234|1|20261303103200|"]))

    # card-runtime: streams of length-prefixed APDUs from the scripts, in order.
    def stream(cs):
        return b"".join(bytes([len(c)]) + c for c in cs if len(c) < 256)
    per_script = []
    for path in sorted(glob.glob(os.path.join(ROOT, "apdu-scripts", "*", "*.apdu"))):
        cs = []
        for raw in open(path, encoding="utf-8"):
            line = raw.split("#", 1)[0].strip()
            if line == "reset":
                cs.append(b"\xFF")
            h = line.replace(" ", "")
            if re.fullmatch(r"([0-9A-Fa-f]{2}){4,}", h):
                cs.append(bytes.fromhex(h))
        if cs:
            per_script.append((os.path.basename(path), cs))
    for name, cs in per_script:
        if name.startswith(("01", "02", "03", "04", "05", "07", "09")):
            write("card-runtime", name.replace(".apdu", ""), stream(cs))
    print("seeds written under Fuzz/corpus/")


if __name__ == "__main__":
    sys.exit(main())
