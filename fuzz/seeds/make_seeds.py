#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs (fuzz/seeds/TARGET/*): valid and
nearly valid inputs taken from the project's own examples and test corpora,
so that the fuzzer starts from inputs that reach deep into each parser.
Run from the repository root: python3 fuzz/seeds/make_seeds.py"""
import json, os, pathlib, shutil

root = pathlib.Path(__file__).resolve().parents[2]
seeds = root / "fuzz" / "seeds"
decl_dir = root / "examples" / "hosting-provider" / "declarations"
DECL_FILES = ["activities.toml", "categories.toml", "organisation.toml", "recipients.toml",
              "roles.toml", "security.toml", "services.toml", "subjects.toml"]


def put(target, name, data):
    d = seeds / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


for t in [p for p in seeds.iterdir() if p.is_dir()]:
    shutil.rmtree(t)

# mail_filter: flags byte (1 subject tag, 2 reject denied, 4 keep denied) + a message.
for eml in sorted((root / "crates/habeas-mail/tests/corpus").glob("*.eml")):
    for flags in (0, 1, 6):
        put("mail_filter", f"{eml.stem}-{flags}", bytes([flags]) + eml.read_bytes())
put("mail_filter", "deny-1", b"\x01From: spam@example.com\nSubject: x\n\nbody\n")
put("mail_filter", "family-domain-1",
    b"\x01From: =?utf-8?q?Tante?= <aunt@family.example>\r\nSubject: =?utf-8?b?w4l0w6k=?=\r\n\r\nbody\r\n")

# mail_lists: flags byte (1 fold plus, 2 replace) + an entry or a lists CSV.
for i, text in enumerate(["mum@example.net", "Alice+Tag@Ex\u00e4mple.ORG", "@family.example",
                          "\"quoted local\"@example.org", "bob@[192.0.2.1]", "x@xn--bcher-kva.example"]):
    put("mail_lists", f"entry-{i}", bytes([i % 2]) + text.encode())
put("mail_lists", "csv-0", b"\x00list,entry\nperso,mum@example.net\nallow,@corp.example\ndeny,spam@x.example\n")
put("mail_lists", "csv-2", b"\x02list,entry\nperso,Bob+x@EXAMPLE.net\nperso, bob@example.net \n")
put("mail_lists", "csv-bad", b"\x00list,entry\nperso,mum@example.net\nallow,mum@example.net\n")

# mail_mbox: messages with From lines and quoting, 0xFF between two messages.
put("mail_mbox", "quoted", b"Subject: a\n\nFrom here\n>From there\n>>From afar\n")
put("mail_mbox", "two", b"Subject: a\r\n\r\nbody\r\n\xffSubject: b\n\nno final newline")
put("mail_mbox", "mbox", b"From a@b Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From y\n\nFrom c@d Thu\n\nz\n")

# declarations: index of the file replaced + its text (the example's own, then a few edits).
for i, name in enumerate(DECL_FILES):
    text = (decl_dir / name).read_text()
    put("declarations", f"{i}-{name}", bytes([i]) + text.encode())
cat = (decl_dir / "categories.toml").read_text()
put("declarations", "1-html", bytes([1]) + cat.replace("Coordonnées", "<script>alert(1)</script>", 1).encode())
put("declarations", "1-bad-rule", bytes([1]) + cat.replace("1 year after contract end", "P1Y after never", 1).encode())

# settings: the example's habeas.toml and variations.
settings = (root / "examples/hosting-provider/habeas.toml").read_text()
put("settings", "example", settings)
put("settings", "postgres", '[storage]\nurl = "postgres://habeas@127.0.0.1:5432/habeas?schema=prod&sslmode=disable"\n')
put("settings", "env-keys", '[server]\nlisten = "[::1]:8080"\n[keys]\nprovider = "env"\nkek = "HABEAS_KEK"\n')

# record_validate: records of several categories; values carry the marker ZQX.
records = [
    {"category": "contact", "fields": {"email": "ZQX.Alice@Example.ORG", "phone": "+33 6 12 34 56 78",
                                      "country": "FR", "language": "fr", "postal_address": "1 rue ZQX"}},
    {"category": "contact", "fields": {"email": "not-an-email-ZQX", "phone": "ZQX"}},
    {"category": "contact", "fields": {"email": "a@b.example", "country": "ZQ"}, "purposes": ["PA-0001"]},
    {"category": "support", "subject_ref": "cust-1", "fields": {"ticket_id": "T-1", "subject": "ZQX",
                                                               "body": "ZQX body", "channel": "web",
                                                               "opened_at": "2026-12-01T10:00:00Z"},
     "events": {"last_interaction": "2026-12-01T10:00:00Z"}},
    {"category": "connection_logs", "fields": {"account_id": "ZQX-1", "ip": "2001:db8::1", "port": 443,
                                               "protocol": "imaps", "operation": "login",
                                               "at": "2026-12-01T10:00:00Z"}},
    {"category": "connection_logs", "fields": {"ip": "ZQX.1.2.3", "port": "ZQX"}},
    {"category": "billing", "fields": {"invoice_id": "ZQX"}, "collected_at": "2026-01-01T00:00:00Z",
     "source": "import"},
    {"category": "identity", "fields": {"account_id": "A-1", "created_at": "ZQX"},
     "events": {"contract_end": "2026-06-01T00:00:00Z", "events": {"domain_cancelled": "2026-06-01T00:00:00Z"}}},
]
for i, r in enumerate(records):
    put("record_validate", f"record-{i}", json.dumps(r, ensure_ascii=False))

# crypto_envelope: shapes of the stored formats.
put("crypto_envelope", "sealed-like", b"\x01" + bytes(range(12)) + b"ciphertext" + bytes(16))
put("crypto_envelope", "wrapped-like", b"\x01\x01\x08kek-0001" + bytes(24 + 32 + 16))
put("crypto_envelope", "checkpoint-like", b"\x01" + bytes(8) + bytes(32) + bytes(8))
put("crypto_envelope", "secret", b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
put("crypto_envelope", "email", b"Alice.Martin+news@Example.ORG")
put("crypto_envelope", "hex", b"00" * 32)

# backup_read: flags (chunk size, compression) + content; and header-shaped bytes.
put("backup_read", "zstd", b"\x80" + b"backup content " * 200)
put("backup_read", "deflate", b"\x41" + bytes(range(256)) * 10)
put("backup_read", "none", b"\x07" + b"x" * 3000)
put("backup_read", "header", b"HABEASBK\x02\x00\x2a" + b"\x02\x00\x10\x00\x00" + bytes(8) + bytes(4) + bytes(7)
    + b"\x00\x10" + bytes(16))

# auth_inputs.
for i, text in enumerate(["__Host-habeas_session=abc123; theme=dark", "Alice.Martin", " x ",
                          "123 456", "session-token|bm90LWEtdG9rZW4", "purge.run", "D\u00e9borah Dupont"]):
    put("auth_inputs", f"input-{i}", text)

# rule_values: a date byte + a rule text.
for i, text in enumerate(["1 year after contract end; legal obligation: D\u00e9cret 2021-1362 art. 1",
                          "12 months after collection; 36 months if linked to an incident",
                          "30 days after domain_cancelled", "P3Y after last_interaction",
                          "48 working hours", "immediate", "15 days",
                          "daily 02:30", "every 15m", "weekly sun 03:00", "month", "week", "all",
                          "Service DPO <dpo@example.org>", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                          "B-2026-0001", "habeas-backup-20261206T120000Z.hbk"]):
    put("rule_values", f"text-{i}", bytes([128 + i]) + text.encode())

# scan_extract: the scanner's fixture tree, every file; scan_detect: its text files.
tree = root / "crates/habeas-scan/tests/fixtures/tree"
for i, f in enumerate(sorted(p for p in tree.rglob("*") if p.is_file())):
    put("scan_extract", f"{i:02}-{f.name.replace(':', '_').replace(',', '_')}", f.read_bytes())
    if f.suffix in (".txt", ".csv", ".eml") and f.stat().st_size > 0:
        put("scan_detect", f"{i:02}-{f.name}", f.read_bytes())

# csv_import: byte 0 picks the category (sorted names), byte 1 the encoding (even: UTF-8,
# odd: Windows-1252), then a spreadsheet export; cells carry the marker ZQX.
import re
cats = sorted(set(re.findall(r"^\[categories\.(\w+)\]$", (decl_dir / "categories.toml").read_text(), re.M)))
contact, support = cats.index("contact"), cats.index("support")
put("csv_import", "contact-comma", bytes([contact, 0]) +
    b"subject_ref,email,phone,country,contract_end,purposes\n"
    b"c1,zqx.a@example.org,01 99 00 11 11,fr,31/01/2024,PA-0001 PA-0002\nc2,ZQX,ZQX,ZQ,ZQX,ZQX\n")
put("csv_import", "contact-excel-fr", bytes([contact, 1]) +
    b"subject_ref;email;postal_address;record.collected_at;events.incident_linked\r\n"
    b"c1;a@example.org;1 all\xe9e ZQX;2019-05-02T08:00:00Z;oui\r\nc2;;\"ZQX; ZQX\";31/02/2020;ZQX\r\n")
put("csv_import", "support-subject-field", bytes([support, 0]) +
    b"record.subject_ref\tticket_id\tsubject\tbody\tchannel\topened_at\tlast_interaction\n"
    b"t1\tT-1\tZQX\tZQX body\tweb\t2026-12-01T10:00:00Z\t2026-12-01 14:30\n")
put("csv_import", "no-header", bytes([contact, 0]) + b"zqx@example.org,0199001111\n")

# mail_filter regression (found by the target, session 23): a malformed Date field made
# mail-parser lose the Subject after it, and a second filtering tagged it twice.
put("mail_filter", "regression-malformed-date-subject",
    b"\x01From: Mum <mum@family.example>\nTo: me@corp.exame@corp.example\nDate: Thu, 03 Dec 2027 "
    b"10:00*00 +0mp\nSubject: x\n\nbody\n100\n\nNo subject at all.\n")
# csv_import regression (session 23): a purpose named in a cell is quoted back, as a name.
put("csv_import", "regression-purpose-name",
    b"\x02Asubject_ref,email,phone,country,contract_end,purposes\n"
    b"c1,zqx.a@exam-000ple.org,01 99 00 24 11,fr,31/01/2024,PA-0001 PA-0002ZQX\n")
