#!/usr/bin/env python3
"""Deterministic generator of a Kenyan health-insurance portfolio in SQLite, for the demo and the
benchmarks. Free-text claim notes mix personal data (recorded in _demo_truth, so detection can be
measured) with look-alikes a good detector must leave alone (amounts, timestamps, references).

usage: demo_data.py OUT.db [--rows N] [--check]
"""
import argparse
import os
import random
import sqlite3

COUNTIES = ["Nairobi", "Mombasa", "Kisumu", "Nakuru", "Uasin Gishu", "Kiambu", "Machakos",
            "Kakamega", "Meru", "Nyeri", "Kilifi", "Garissa", "Kericho", "Bungoma", "Kajiado"]
FIRST = ["Wanjiru", "Otieno", "Kamau", "Achieng", "Mwangi", "Njeri", "Ochieng", "Chebet",
         "Kiprop", "Mohamed", "Wafula", "Akinyi", "Auma", "Kipchoge", "Nyambura", "Halima",
         "Baraka", "Wambui", "Omondi", "Jeptoo", "Fatuma", "Mutua", "Nekesa", "Barasa"]
LAST = ["Kamau", "Otieno", "Mwangi", "Ochieng", "Kiprotich", "Wanyama", "Njoroge", "Odhiambo",
        "Cheruiyot", "Abdi", "Mutiso", "Wekesa", "Onyango", "Kariuki", "Rotich", "Hassan"]
TIERS = {"Bronze": (500_000, 1_000_000), "Silver": (1_000_000, 2_000_000),
         "Gold": (2_000_000, 3_500_000), "Platinum": (3_500_000, 5_000_000)}
ILLNESS = ["Malaria", "Diabetes", "Hypertension", "Maternity", "Respiratory", "Cancer", "Injury",
           "None"]
MARITAL = ["Single", "Married", "Divorced", "Widowed"]
HOSPITALS = ["Kenyatta National Hospital", "Aga Khan Hospital", "Nairobi Hospital",
             "Moi Teaching and Referral Hospital"]
DOMAINS = ["gmail.com", "yahoo.com", "safaricom.co.ke", "jubilee.co.ke"]


def luhn_complete(prefix, length):
    """Appends random digits and the Luhn check digit to reach `length`."""
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(RNG.randrange(10))
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits.append((10 - total % 10) % 10)
    return "".join(map(str, digits))


def card():
    number = luhn_complete(RNG.choice(["4", "51", "52", "53", "54", "55"]), 16)
    sep = RNG.choice([" ", "-", ""])
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


def phone():
    n = RNG.randrange(100, 1000), RNG.randrange(100, 1000), RNG.randrange(100, 1000)
    forms = [f"+254 7{n[0] % 100:02d} {n[1]} {n[2]}", f"+2547{n[0] % 100:02d}{n[1]}{n[2]}",
             f"07{n[0] % 100:02d} {n[1]} {n[2]}", f"07{n[0] % 100:02d}-{n[1]}-{n[2]}",
             f"011{n[0] % 10} {n[1]} {n[2]}", f"+1 (415) 555-{1000 + n[1]}",
             f"+44 20 7946 {1000 + n[2]}"]
    weights = [5, 3, 5, 3, 2, 1, 1]
    return RNG.choices(forms, weights)[0]


def email(first, last):
    sep = RNG.choice([".", "_", ""])
    return f"{first.lower()}{sep}{last.lower()}{RNG.randrange(100) if RNG.random() < 0.5 else ''}@{RNG.choice(DOMAINS)}"


def dob(age):
    year = 2025 - age
    month, day = RNG.randrange(1, 13), RNG.randrange(1, 29)
    return RNG.choice([f"{year}-{month:02d}-{day:02d}", f"{day:02d}/{month:02d}/{year}"])


# Templates: (text, kinds of personal data it holds). Placeholders are filled below.
PII_TEMPLATES = [
    ("Member called from {PHONE} to ask about the claim status.", ["PHONE"]),
    ("Please send the settlement letter to {EMAIL}; member prefers e-mail.", ["EMAIL"]),
    ("Refund to card {CREDIT_CARD} approved by the finance desk.", ["CREDIT_CARD"]),
    ("Identity confirmed with national ID {KE_NATIONAL_ID} at the {COUNTY} branch.", ["KE_NATIONAL_ID"]),
    ("Verified ID no. {KE_NATIONAL_ID} against the IPRS record.", ["KE_NATIONAL_ID"]),
    ("Mgonjwa alionyesha kitambulisho {KE_NATIONAL_ID} kwenye mapokezi.", ["KE_NATIONAL_ID"]),
    ("Employer submitted KRA PIN {KE_KRA_PIN} for the tax relief certificate.", ["KE_KRA_PIN"]),
    ("Member born {DATE_OF_BIRTH}, age confirmed for the senior cover.", ["DATE_OF_BIRTH"]),
    ("DOB {DATE_OF_BIRTH} corrected on the policy record.", ["DATE_OF_BIRTH"]),
    ("Spouse can be reached on {PHONE} or at {EMAIL} for the maternity claim.", ["PHONE", "EMAIL"]),
    ("Paid the co-payment with {CREDIT_CARD}; receipt sent to {EMAIL}.", ["CREDIT_CARD", "EMAIL"]),
    ("Simu ya mgonjwa: {PHONE}. Asante.", ["PHONE"]),
    ("Spoke to {PERSON} on {PHONE} about the pre-authorisation.", ["PERSON", "PHONE"]),
    ("{PERSON} confirmed the bank details by e-mail from {EMAIL}.", ["PERSON", "EMAIL"]),
]
PLAIN_TEMPLATES = [
    "Outpatient visit at {HOSPITAL} for {ILLNESS} treatment.",
    "Claim CLM-{YEAR}-{SEQ7} approved for KES {AMOUNT}.00 after review.",
    "Invoice INV-{YEAR}0315-{SEQ4} from {HOSPITAL} settled in full.",
    "Policy POL/{YEAR}/{SEQ5} renewed at the same tier; limit KSh {LIMIT}.",
    "Logged {YEAR}-03-15 14:32:10 by claims portal v2.4.1.",
    "Diagnosis code E11.9 recorded; pharmacy claim for three months.",
    "Mgonjwa alilazwa kwa siku tatu na kuruhusiwa kwenda nyumbani.",
    "Pre-authorisation granted for admission at {HOSPITAL}.",
    "Physiotherapy: six of ten sessions used, balance KES {AMOUNT} carried forward.",
    "Referral letter attached; second opinion pending from the specialist.",
    "Member visited the {COUNTY} branch to update dependants.",
    "Malaria test (B54) positive, treated as outpatient, no admission.",
]


def fill_plain(template):
    return template.format(
        HOSPITAL=RNG.choice(HOSPITALS), ILLNESS=RNG.choice(ILLNESS).lower(),
        YEAR=RNG.randrange(2019, 2026), SEQ7=f"{RNG.randrange(10**7):07d}",
        SEQ4=f"{RNG.randrange(10**4):04d}", SEQ5=f"{RNG.randrange(10**5):05d}",
        AMOUNT=f"{RNG.randrange(1, 500) * 1000:,}", LIMIT=f"{RNG.randrange(5, 50) * 100_000:,}",
        COUNTY=RNG.choice(COUNTIES))


def row(i):
    first, last = RNG.choice(FIRST), RNG.choice(LAST)
    tier = RNG.choice(list(TIERS))
    age = RNG.randrange(18, 86)
    national_id = f"{RNG.randrange(10_000_000, 40_000_000):08d}"
    kra_pin = f"{RNG.choice('AP')}{RNG.randrange(10**9):09d}{chr(65 + RNG.randrange(26))}"
    values = {"PHONE": phone, "EMAIL": lambda: email(first, last), "CREDIT_CARD": card,
              "KE_NATIONAL_ID": lambda: national_id, "KE_KRA_PIN": lambda: kra_pin,
              "DATE_OF_BIRTH": lambda: dob(age), "PERSON": lambda: first}
    sentences, truth = [], []
    plain = RNG.sample(PLAIN_TEMPLATES, RNG.randrange(1, 4))
    pii = RNG.sample(PII_TEMPLATES, RNG.choice([0, 1, 1, 2])) if RNG.random() < 0.68 else []
    for template in plain:
        sentences.append(fill_plain(template))
    for template, kinds in pii:
        filled = {k: values[k]() for k in kinds}
        sentences.append(template.format(COUNTY=RNG.choice(COUNTIES), **filled))
        truth.extend((i, k, v) for k, v in filled.items())
    RNG.shuffle(sentences)
    notes = " ".join(sentences)
    year = RNG.randrange(2018, 2026)
    return ((i, f"{first} {last}", RNG.choice(COUNTIES), RNG.choice("FM"), RNG.choice(MARITAL),
             RNG.randrange(0, 7), age, tier, RNG.randrange(*TIERS[tier]) // 1000 * 1000,
             RNG.choice(ILLNESS), f"{year}-{RNG.randrange(1, 13):02d}-{RNG.randrange(1, 29):02d}",
             national_id, kra_pin, notes), truth)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--check", action="store_true", help="verify an existing database")
    args = parser.parse_args()
    if args.check:
        db = sqlite3.connect(args.out)
        bad = db.execute("""select count(*) from _demo_truth t join policies p on p.id = t.row_id
                            where instr(p.claim_notes, t.value) = 0""").fetchone()[0]
        assert bad == 0, f"{bad} ground-truth values missing from their notes"
        print("ok:", db.execute("select count(*) from policies").fetchone()[0], "rows")
        return
    for stale in (args.out, args.out + "-anonkit-budget"):  # a fresh database, a fresh ledger
        if os.path.exists(stale):
            os.remove(stale)
    policies, truth = [], []
    for i in range(1, args.rows + 1):
        p, t = row(i)
        policies.append(p)
        truth.extend(t)
    db = sqlite3.connect(args.out)
    db.executescript("""
        create table policies(id integer primary key, member_name text, county text, gender text,
          marital_status text, dependents integer, age integer, tier text, policy_limit integer,
          illness_category text, entry_date text, national_id text, kra_pin text, claim_notes text);
        create table _demo_truth(row_id integer, type text, value text);
        -- The policy travels with the database: the extension reads this table when it loads.
        create table anonkit_keywords(type text, keyword text);
    """)
    with db:
        db.executemany("insert into policies values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", policies)
        db.executemany("insert into _demo_truth values (?,?,?)", truth)
        db.executemany("insert into anonkit_keywords values (?,?)",
                       [("PERSON", n) for n in sorted(set(FIRST + LAST))])
    db.close()
    print(f"{args.out}: {len(policies)} policies, {len(truth)} planted personal-data items")


RNG = random.Random(20261123)

if __name__ == "__main__":
    main()
