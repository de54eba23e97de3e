#!/usr/bin/env python3
"""Writes a generated Kenyan health-insurance portfolio to SQLite, deterministically.

For the demo and the benchmarks. Free-text claim notes mix personal data (every item recorded in
_demo_truth, exactly as written, so detection can be measured) with look-alikes a good detector
must leave alone: amounts, timestamps, claim/policy/invoice numbers, M-Pesa references, ICD-10
codes, versions, hospitals.

usage: demo_data.py OUT.db [--rows N]           write OUT.db (replaced if present), N = 2000
       demo_data.py OUT.db [--rows N] --check   verify an OUT.db written with the same --rows

Tables: policies (the portfolio), _demo_truth(row_id, type, value) (the planted items; types EMAIL,
PHONE, CREDIT_CARD, KE_NATIONAL_ID, KE_KRA_PIN, DATE_OF_BIRTH and PERSON) and
anonkit_keywords(type, keyword) (the PERSON dictionary the extension reads when it loads).
Standard library only; fixed seed; the same arguments give a byte-identical `sqlite3 OUT.db .dump`.
"""
import argparse
import datetime
import os
import random
import re
import sqlite3
import sys

SEED = 20261123
DEFAULT_ROWS = 2000
NOTE_MIN, NOTE_MAX = 120, 500  # bytes (UTF-8) of one claim note
PII_SHARE = 0.66               # share of notes holding at least one planted item
REFERENCE = datetime.date(2025, 6, 30)  # "today" for ages and dates of birth (not Feb 29)

# (name, weight): Nairobi and the large counties carry most of the members.
COUNTIES = [("Nairobi", 24), ("Mombasa", 8), ("Kiambu", 9), ("Nakuru", 7), ("Kisumu", 6),
            ("Uasin Gishu", 5), ("Machakos", 5), ("Kakamega", 5), ("Meru", 5), ("Nyeri", 3),
            ("Kilifi", 4), ("Garissa", 2), ("Kericho", 3), ("Bungoma", 4), ("Kajiado", 4),
            ("Kisii", 3), ("Embu", 2), ("Nyandarua", 1), ("Turkana", 1), ("Siaya", 2)]
# Given names by gender. No name is also a common English or Swahili word (Baraka, Juma, Amina,
# Imani, Grace ... are left out): the PERSON dictionary matches whole words in any case.
FIRST_F = ["Wanjiru", "Achieng", "Njeri", "Chebet", "Akinyi", "Auma", "Nyambura", "Wambui",
           "Jeptoo", "Nekesa", "Halima", "Fatuma", "Wairimu", "Atieno", "Naliaka", "Kerubo",
           "Esther", "Caroline", "Lucy", "Mary"]
FIRST_M = ["Otieno", "Kamau", "Mwangi", "Ochieng", "Kiprop", "Kipchoge", "Omondi", "Mutua",
           "Barasa", "Wafula", "Mohamed", "Abdi", "Kiplagat", "Brian", "Kevin", "Joseph", "Peter",
           "Dennis", "Daniel", "Kibet"]
SURNAMES = ["Kamau", "Otieno", "Mwangi", "Ochieng", "Kiprotich", "Wanyama", "Njoroge", "Odhiambo",
            "Cheruiyot", "Abdi", "Mutiso", "Wekesa", "Onyango", "Kariuki", "Rotich", "Hassan",
            "Wafula", "Maina", "Kimani", "Chege", "Korir", "Langat", "Nyongesa", "Owino",
            "Muriuki", "Gitau", "Adan", "Kiptoo", "Ndungu", "Mohamed"]
NAMES = sorted(dict.fromkeys(FIRST_F + FIRST_M + SURNAMES))  # the PERSON keyword dictionary
TIERS = [("Bronze", 40, 500_000, 1_000_000), ("Silver", 30, 1_000_000, 2_000_000),
         ("Gold", 20, 2_000_000, 3_500_000), ("Platinum", 10, 3_500_000, 5_000_000)]
ILLNESS = [("None", 18), ("Malaria", 15), ("Respiratory", 15), ("Hypertension", 12),
           ("Diabetes", 10), ("Injury", 12), ("Maternity", 10), ("Cancer", 6)]
ICD10 = {"None": ["Z00.0", "Z01.4"], "Malaria": ["B54", "B50.9"], "Respiratory": ["J18.9", "J45.9",
         "J06.9"], "Hypertension": ["I10", "I11.9"], "Diabetes": ["E11.9", "E10.9", "E11.65"],
         "Injury": ["S82.2", "S52.5", "T14.1"], "Maternity": ["O80", "O82", "Z34.0"],
         "Cancer": ["C50.9", "C53.9", "C61"]}
ILLNESS_TEXT = {"None": "a routine check-up", "Malaria": "malaria", "Respiratory": "pneumonia",
                "Hypertension": "hypertension review", "Diabetes": "diabetes management",
                "Injury": "a fracture after a road accident", "Maternity": "antenatal care",
                "Cancer": "chemotherapy"}
MARITAL = ["Single", "Married", "Divorced", "Widowed"]
HOSPITALS = ["Kenyatta National Hospital", "Aga Khan Hospital", "Nairobi Hospital",
             "Moi Teaching and Referral Hospital"]
REGIONAL = {"Mombasa": "Coast General Teaching and Referral Hospital",
            "Kisumu": "Jaramogi Oginga Odinga Teaching and Referral Hospital",
            "Nakuru": "Nakuru Level 5 Hospital", "Kiambu": "Thika Level 5 Hospital",
            "Meru": "Meru Teaching and Referral Hospital"}
DOMAINS = [("gmail.com", 6), ("yahoo.com", 3), ("safaricom.co.ke", 1), ("kcbgroup.co.ke", 1),
           ("kengen.co.ke", 1), ("nation.co.ke", 1), ("equitybank.co.ke", 1)]
# Kenyan mobile ranges (Safaricom, Airtel, Telkom) after the trunk 0.
MOBILE = (["70", "71", "72", "74", "79", "76", "75", "73", "78", "77"],
          ["100", "101", "102", "110", "111", "112", "113", "114", "115"])
SW_NUMBERS = ["mbili", "tatu", "nne", "tano", "sita", "saba"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def pick(weighted):
    return RNG.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def rint(low, high):
    """A uniform integer in [low, high): randrange's job at a third of its cost."""
    return low + int(RNG.random() * (high - low))


def luhn_sum(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total


def luhn_ok(number):
    digits = [int(c) for c in number if c.isdigit()]
    return luhn_sum(digits) % 10 == 0


def card():
    """A 16-digit Visa (4) or Mastercard (51-55) number with its Luhn check digit, written compact
    or in groups of four separated by spaces or dashes."""
    digits = [int(c) for c in RNG.choice(["4", "4", "4", "51", "52", "53", "54", "55"])]
    while len(digits) < 15:
        digits.append(rint(0, 10))
    digits.append((10 - luhn_sum(digits + [0]) % 10) % 10)
    number = "".join(map(str, digits))
    sep = RNG.choices([" ", "-", ""], [5, 2, 3])[0]
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


def kenyan_phone():
    if RNG.random() < 0.8:
        national = RNG.choice(MOBILE[0]) + f"{RNG.randrange(10**7):07d}"
    else:
        national = RNG.choice(MOBILE[1]) + f"{RNG.randrange(10**6):06d}"
    a, b, c = national[:3], national[3:6], national[6:]
    forms = [(f"+254 {a} {b} {c}", 5), (f"+254{national}", 3), (f"0{a} {b} {c}", 5),
             (f"0{a}-{b}-{c}", 2), (f"0{national}", 2), (f"+254-{a}-{b}-{c}", 1)]
    return pick(forms)


def foreign_phone():
    """Numbers reserved for fiction: NANP 555-01xx, UK Ofcom drama ranges."""
    return RNG.choice([
        f"+1 ({RNG.choice(['415', '212', '617', '713'])}) 555-01{RNG.randrange(100):02d}",
        f"+44 20 7946 0{RNG.randrange(1000):03d}",
        f"+44 7700 900{RNG.randrange(1000):03d}"])


def phone():
    return foreign_phone() if RNG.random() < 0.08 else kenyan_phone()


def email(m):
    first, last = m["first"].lower(), m["last"].lower()
    local = RNG.choice([f"{first}.{last}", f"{first}{last}", f"{first}_{last}", f"{first[0]}{last}",
                        f"{last}.{first}", f"{first}.{last}{RNG.randrange(1, 100)}",
                        f"{first}{RNG.randrange(70, 100)}"])
    return f"{local}@{pick(DOMAINS)}"


def dob(m):
    d = m["dob"]
    return RNG.choice([d.isoformat(), f"{d.day:02d}/{d.month:02d}/{d.year}",
                       f"{d.day} {MONTHS[d.month - 1]} {d.year}"])


# Sentences holding personal data. Each slot kind is a type recorded in _demo_truth; FOREIGN_PHONE
# is recorded as PHONE, KIN as PERSON. Context words stand well inside each sentence, and every date
# of birth is followed by at least 34 bytes of its own sentence, so no context word of one sentence
# reaches a neighbouring sentence's number or date.
PII_TEMPLATES = [
    "Member called from {PHONE} asking about the status of the claim.",
    "Alternative mobile number {PHONE} (spouse) added to the contact details.",
    "Simu ya mgonjwa: {PHONE}. Tafadhali mpigie kabla ya saa kumi. Asante.",
    "WhatsApp message received from {PHONE} with scanned receipts attached.",
    "Please send the settlement letter to {EMAIL}; member prefers e-mail.",
    "Member's e-mail changed to {EMAIL} on the self-service portal.",
    "Discharge summary forwarded by the hospital to {EMAIL} for the member's records.",
    "Refund of the co-payment to card {CREDIT_CARD} approved by the finance desk.",
    "Member paid the excess at the front desk with card {CREDIT_CARD}, receipt issued.",
    "Identity confirmed with national ID {KE_NATIONAL_ID} at the {COUNTY} branch office.",
    "At the front desk we verified ID no. {KE_NATIONAL_ID} against the IPRS record.",
    "Mgonjwa alionyesha kitambulisho {KE_NATIONAL_ID} kwenye mapokezi ya hospitali.",
    "A copy of the identity card {KE_NATIONAL_ID} is attached to the pre-authorisation.",
    "Employer submitted KRA PIN {KE_KRA_PIN} for the insurance relief certificate.",
    "Premium relief: the member's tax PIN {KE_KRA_PIN} was captured by the underwriter.",
    "According to the file the member was born {DATE_OF_BIRTH}, age confirmed for senior cover.",
    "Record corrected, DOB {DATE_OF_BIRTH} as per the copy of the birth certificate.",
    "Kwa mujibu wa cheti, alizaliwa {DATE_OF_BIRTH} na taarifa zimesasishwa kwenye mfumo.",
    "The claim form shows date of birth {DATE_OF_BIRTH}; it matches the records we hold.",
    "Spouse's phone {PHONE}, e-mail {EMAIL}, for the maternity claim follow-up.",
    "Co-payment settled with card {CREDIT_CARD}; receipt e-mailed to {EMAIL} the same day.",
    "Called {PERSON} on {PHONE} about the pre-authorisation for the admission.",
    "{PERSON} confirmed the bank details by e-mail from {EMAIL} this morning.",
    "Next of kin {KIN} (sibling), mobile {PHONE}, to be informed of any admission.",
    "{TITLE} {SURNAME} came to the {COUNTY} branch with ID no. {KE_NATIONAL_ID} to add a child.",
    "Card {CREDIT_CARD} was declined twice; member called from {PHONE} to settle by M-Pesa.",
    "Member is abroad: contact {FOREIGN_PHONE} on WhatsApp or write to {EMAIL}.",
    "Mwanachama yuko nje ya nchi, simu {FOREIGN_PHONE}. Asante kwa ushirikiano.",
]
# Sentences with no personal data, but with the look-alikes a detector must not report.
PLAIN_TEMPLATES = [
    "Outpatient visit at {HOSPITAL} for {ILLNESS_TEXT}; ICD-10 {ICD}.",
    "Claim CLM-{YEAR}-{SEQ7} approved for KES {AMOUNT}.00 after medical review.",
    "Invoice INV-{DATE8}-{SEQ4} from {HOSPITAL} settled in full.",
    "Policy POL/{YEAR}/{SEQ5} renewed at the {TIER} tier; annual limit KSh {LIMIT}.",
    "Logged {TIMESTAMP} via claims portal v{VERSION}.",
    "Diagnosis code {ICD} recorded; pharmacy claim covers three months of medication.",
    "Mgonjwa alilazwa kwa siku {SW_DAYS} katika {HOSPITAL} na kuruhusiwa kwenda nyumbani.",
    "Pre-authorisation granted for admission at {HOSPITAL}; estimated bill KES {AMOUNT}.00.",
    "Physiotherapy: {USED} of 10 sessions used, balance KSh {AMOUNT} carried forward.",
    "Referral letter attached; second opinion pending from the specialist at {HOSPITAL}.",
    "Member visited the {COUNTY} branch to update the list of dependants.",
    "Lab results received {TIMESTAMP}; no further action required.",
    "Co-payment of {PERCENT}% applied as per the {TIER} benefit schedule.",
    "Hali ya mgonjwa inaendelea vizuri baada ya matibabu. Asante.",
    "Duplicate of claim CLM-{YEAR}-{SEQ7}; rejected and closed.",
    "Outpatient sub-limit exceeded by KSh {AMOUNT}; member notified in writing.",
    "M-Pesa payment {MPESA} of KES {AMOUNT}.00 reconciled against invoice INV-{DATE8}-{SEQ4}.",
    "Discharge planned for {DATE}, subject to the consultant's review.",
    "Batch {SEQ5} uploaded by the claims team at {TIME} hrs.",
    "Tafadhali wasilisha risiti halisi za {HOSPITAL} ndani ya siku 30.",
    "Case reviewed by the medical officer: {ILLNESS_TEXT} ({ICD}), claim admissible.",
    "Exchange rate applied: USD 1 = KES {FX}; overseas bill converted.",
    "The 90-day waiting period on the {TIER} plan has lapsed; benefit available.",
]


SLOT = re.compile(r"\{([A-Z0-9_]+)\}")
FIRST_DAY = datetime.date(2019, 1, 1)
DAYS = [(d.isoformat(), d.strftime("%Y%m%d"), str(d.year)) for d in
        (FIRST_DAY + datetime.timedelta(days=i) for i in range(7 * 365 + 2))]  # 2019-2025
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
# Look-alike slots, filled only when the sentence has them; d is the sentence's one date.
PLAIN_SLOTS = {
    "HOSPITAL": lambda m, d: m["hospital"],
    "ILLNESS_TEXT": lambda m, d: ILLNESS_TEXT[m["illness"]],
    "ICD": lambda m, d: RNG.choice(ICD10[m["illness"]]),
    "TIER": lambda m, d: m["tier"],
    "LIMIT": lambda m, d: f"{m['limit']:,}",
    "COUNTY": lambda m, d: m["county"],
    "YEAR": lambda m, d: d[2],
    "DATE": lambda m, d: d[0],
    "DATE8": lambda m, d: d[1],
    "TIMESTAMP": lambda m, d: f"{d[0]} {rint(7, 19):02d}:{rint(0, 60):02d}:{rint(0, 60):02d}",
    "TIME": lambda m, d: f"{rint(7, 19):02d}:{rint(0, 60):02d}",
    "SEQ7": lambda m, d: f"{rint(1, 10**7):07d}",
    "SEQ5": lambda m, d: f"{rint(10**4, 10**5):05d}",
    "SEQ4": lambda m, d: f"{rint(1, 10**4):04d}",
    "AMOUNT": lambda m, d: f"{rint(1, 900) * 250:,}",
    "VERSION": lambda m, d: f"{rint(1, 4)}.{rint(0, 10)}.{rint(0, 10)}",
    "SW_DAYS": lambda m, d: RNG.choice(SW_NUMBERS),
    "USED": lambda m, d: str(rint(1, 10)),
    "PERCENT": lambda m, d: RNG.choice(["10", "15", "20"]),
    "MPESA": lambda m, d: "S" + "".join(RNG.choices(ALNUM, k=9)),
    "FX": lambda m, d: f"{rint(128, 162)}.{rint(0, 100):02d}",
}


def fill_plain(template, m):
    """Fills a look-alike sentence; nothing here is personal data."""
    d = DAYS[rint(0, len(DAYS))]
    return SLOT.sub(lambda slot: PLAIN_SLOTS[slot.group(1)](m, d), template)


TRUTH_TYPE = {"PHONE": "PHONE", "FOREIGN_PHONE": "PHONE", "EMAIL": "EMAIL",
              "CREDIT_CARD": "CREDIT_CARD", "KE_NATIONAL_ID": "KE_NATIONAL_ID",
              "KE_KRA_PIN": "KE_KRA_PIN", "DATE_OF_BIRTH": "DATE_OF_BIRTH", "PERSON": "PERSON",
              "KIN": "PERSON", "SURNAME": "PERSON"}


def fill_pii(template, m, row_id, truth):
    def value(match):
        slot = match.group(1)
        if slot == "COUNTY":
            return m["county"]
        if slot == "TITLE":
            return "Mrs." if m["gender"] == "F" else "Mr."
        v = {"PHONE": phone, "FOREIGN_PHONE": lambda: m.setdefault("abroad", foreign_phone()),
             "EMAIL": lambda: email(m), "CREDIT_CARD": card,
             "KE_NATIONAL_ID": lambda: m["national_id"],
             "KE_KRA_PIN": lambda: m["kra_pin"], "DATE_OF_BIRTH": lambda: dob(m),
             "PERSON": lambda: m["first"], "SURNAME": lambda: m["last"],
             "KIN": lambda: RNG.choice(FIRST_F + FIRST_M)}[slot]()
        truth.append((row_id, TRUTH_TYPE[slot], v))
        return v
    return SLOT.sub(value, template)


def member():
    gender = RNG.choice("FM")
    age = RNG.randrange(18, 86)
    illness = pick(ILLNESS)
    if illness == "Maternity" and (gender == "M" or age > 45):
        illness = "None"
    tier, _, low, high = RNG.choices(TIERS, [t[1] for t in TIERS])[0]
    county = pick(COUNTIES)
    if county in REGIONAL and RNG.random() < 0.5:
        hospital = REGIONAL[county]
    else:
        hospital = RNG.choice(HOSPITALS)
    latest = REFERENCE.replace(year=REFERENCE.year - age)  # aged exactly `age` on REFERENCE
    earliest = REFERENCE.replace(year=REFERENCE.year - age - 1) + datetime.timedelta(days=1)
    born = earliest + datetime.timedelta(days=RNG.randrange((latest - earliest).days + 1))
    first = RNG.choice(FIRST_F if gender == "F" else FIRST_M)
    return {"gender": gender, "age": age, "illness": illness, "tier": tier, "county": county,
            "limit": RNG.randrange(low // 50_000, high // 50_000 + 1) * 50_000,
            "hospital": hospital, "dob": born, "first": first, "last": RNG.choice(SURNAMES),
            "national_id": f"{RNG.randrange(10_000_000, 40_000_000)}",
            "kra_pin": f"{RNG.choices('AP', [9, 1])[0]}{RNG.randrange(10**9):09d}"
                       f"{chr(65 + RNG.randrange(26))}"}


def row(row_id):
    m = member()
    if m["age"] < 25:
        marital = RNG.choices(MARITAL, [8, 2, 0, 0])[0]
    else:
        marital = RNG.choices(MARITAL, [3, 6, 1, 1 if m["age"] < 60 else 3])[0]
    dependents = min(6, max(0, int(RNG.gauss(2.2 if marital == "Married" else 0.6, 1.4))))
    entry = datetime.date(2018, 1, 1) + datetime.timedelta(days=RNG.randrange(8 * 365 + 2))
    middle = RNG.choice(FIRST_F if m["gender"] == "F" else FIRST_M)
    name = f"{m['first']} {middle} {m['last']}" if RNG.random() < 0.25 and middle != m["first"] \
        else f"{m['first']} {m['last']}"

    truth = []
    sentences = []
    if RNG.random() < PII_SHARE:
        count = RNG.choices([1, 2, 3], [55, 32, 13])[0]
        for template in RNG.sample(PII_TEMPLATES, count):
            sentences.append(fill_pii(template, m, row_id, truth))
    target = RNG.randrange(NOTE_MIN + 10, NOTE_MAX - 30)
    size = sum(len(s) + 1 for s in sentences)
    for template in RNG.sample(PLAIN_TEMPLATES, 12):  # 12 short sentences exceed NOTE_MAX
        if size >= target:
            break
        s = fill_plain(template, m)
        if size + len(s) + 1 <= NOTE_MAX:
            sentences.append(s)
            size += len(s) + 1
    RNG.shuffle(sentences)
    notes = " ".join(sentences)
    assert "{" not in notes, notes  # every slot filled
    return ((row_id, name, m["county"], m["gender"], marital, dependents, m["age"], m["tier"],
             m["limit"], m["illness"], entry.isoformat(), m["national_id"], m["kra_pin"], notes),
            truth)


SCHEMA = """
create table policies(id integer primary key, member_name text, county text, gender text,
  marital_status text, dependents integer, age integer, tier text, policy_limit integer,
  illness_category text, entry_date text, national_id text, kra_pin text, claim_notes text);
-- Every personal-data item planted in policies.claim_notes, exactly as written there.
create table _demo_truth(row_id integer, type text, value text);
-- The policy travels with the database: the extension reads this table when it loads.
create table anonkit_keywords(type text, keyword text);
"""


def generate(path, rows):
    # A fresh database, and a fresh privacy-budget ledger for it.
    for stale in (path, path + "-journal", path + "-wal", path + "-shm", path + "-anonkit-budget"):
        if os.path.exists(stale):
            os.remove(stale)
    RNG.seed(SEED)
    policies, truth = [], []
    for i in range(1, rows + 1):
        p, t = row(i)
        policies.append(p)
        truth.extend(t)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    with db:
        db.executemany("insert into policies values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", policies)
        db.executemany("insert into _demo_truth values (?,?,?)", truth)
        db.executemany("insert into anonkit_keywords values (?,?)", [("PERSON", n) for n in NAMES])
    db.close()
    print(f"{path}: {len(policies)} policies, {len(truth)} planted personal-data items")


SHAPES = {
    "EMAIL": re.compile(r"[a-z0-9._]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}"),
    "PHONE": re.compile(r"\+254( \d{3} \d{3} \d{3}|\d{9}|-\d{3}-\d{3}-\d{3})"
                        r"|0\d{3}( \d{3} \d{3}|-\d{3}-\d{3}|\d{6})"
                        r"|\+1 \(\d{3}\) 555-01\d\d|\+44 20 7946 0\d{3}|\+44 7700 900\d{3}"),
    "CREDIT_CARD": re.compile(r"(4\d{3}|5[1-5]\d\d)([ -]?)\d{4}\2\d{4}\2\d{4}"),
    "KE_NATIONAL_ID": re.compile(r"\d{8}"),
    "KE_KRA_PIN": re.compile(r"[AP]\d{9}[A-Z]"),
    "DATE_OF_BIRTH": re.compile(r"\d{4}-\d\d-\d\d|\d\d/\d\d/\d{4}|\d{1,2} [A-Z][a-z]+ \d{4}"),
    "PERSON": re.compile("|".join(NAMES)),
}
CARD_LIKE = re.compile(r"(?<![\d-])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?![\d-])")


def parse_dob(text):
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise AssertionError(f"not a date: {text}")


def check(path, rows):
    if not os.path.exists(path):
        sys.exit(f"{path}: no such database")
    db = sqlite3.connect(path)
    n, first, last = db.execute("select count(*), min(id), max(id) from policies").fetchone()
    assert n == rows and first == 1 and last == rows, \
        f"expected ids 1..{rows}, found {n} rows {first}..{last}"
    policies = {r[0]: r for r in db.execute(
        "select id, national_id, kra_pin, age, claim_notes from policies")}
    truth = db.execute("select row_id, type, value from _demo_truth").fetchall()
    per_row = {}
    for row_id, type_, value in truth:
        assert row_id in policies, f"_demo_truth row {row_id} has no policy"
        _, national_id, kra_pin, age, notes = policies[row_id]
        assert value in notes, f"row {row_id}: {type_} {value!r} is not in its note"
        assert SHAPES[type_].fullmatch(value), f"row {row_id}: {type_} {value!r}: wrong shape"
        if type_ == "CREDIT_CARD":
            assert luhn_ok(value), f"row {row_id}: card {value} fails the Luhn check"
        elif type_ == "KE_NATIONAL_ID":
            assert value == national_id, f"row {row_id}: ID {value} is not the member's"
        elif type_ == "KE_KRA_PIN":
            assert value == kra_pin, f"row {row_id}: PIN {value} is not the member's"
        elif type_ == "DATE_OF_BIRTH":
            born = parse_dob(value)
            years = REFERENCE.year - born.year - \
                ((REFERENCE.month, REFERENCE.day) < (born.month, born.day))
            assert years == age, f"row {row_id}: born {value} but aged {age}"
        per_row.setdefault(row_id, set()).add(value)
    cards = 0
    for row_id, (_, _, _, _, notes) in policies.items():
        size = len(notes.encode())
        assert "{" not in notes and "}" not in notes, f"row {row_id}: unfilled slot in {notes!r}"
        assert NOTE_MIN <= size <= NOTE_MAX, f"row {row_id}: note of {size} bytes"
        # Every card-shaped digit run in a note is a planted, Luhn-valid card.
        for match in CARD_LIKE.finditer(notes):
            assert match.group(0) in per_row.get(row_id, ()), \
                f"row {row_id}: unplanted card-like {match.group(0)}"
            assert luhn_ok(match.group(0)), f"row {row_id}: {match.group(0)} fails the Luhn check"
            cards += 1
    share = len(per_row) / rows
    if rows >= 1000:
        assert 0.6 <= share <= 0.72, f"{share:.1%} of notes hold personal data"
    keywords = db.execute("select count(*) from anonkit_keywords").fetchone()[0]
    assert keywords > 0, "anonkit_keywords is empty"
    counts = db.execute("select type, count(*) from _demo_truth group by type order by type")
    counts = counts.fetchall()
    db.close()
    print(f"ok: {n} rows, {share:.1%} of notes hold personal data, {len(truth)} planted items "
          f"found in their notes, {cards} cards pass Luhn; "
          + ", ".join(f"{t} {c}" for t, c in counts))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="SQLite database to write (with --check: to verify)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="policies (default 2000)")
    parser.add_argument("--check", action="store_true",
                        help="verify OUT.db instead of writing it: row count, planted items present"
                             " and well formed, cards Luhn-valid, note sizes")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.check:
        try:
            check(args.out, args.rows)
        except AssertionError as failure:
            sys.exit(f"{args.out}: check failed: {failure}")
    else:
        generate(args.out, args.rows)


RNG = random.Random(SEED)

if __name__ == "__main__":
    main()
