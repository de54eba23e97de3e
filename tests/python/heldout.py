"""A held-out corpus for detection, written apart from the demo's generator (scripts/demo_data.py)
and from the unit tests: support notes, CSV rows, key=value logs and JSON documents in English
and Swahili, with planted values of every pattern type in the forms people write them, and hard
negatives (amounts, timestamps, references, versions, dates, coordinates) around them. Each
document comes with the exact (type, value) pairs planted in it: the truth a scorer compares
pii_scan() with. Values are valid by their own rules (Luhn, ISO 7064, numbering plans), computed
here, not taken from the recognizers."""
import json
import random

FIRST = ["Achieng", "Kiprotich", "Akinyi", "Wanjiru", "Otieno", "Njeri", "Mwangi", "Chebet",
         "Amina", "Baraka", "Grace", "Peter", "Sarah", "James", "Fatuma", "Hassan"]
LAST = ["Odhiambo", "Kamau", "Mutua", "Wekesa", "Rotich", "Onyango", "Kariuki", "Njoroge"]
# Names and places chosen to be absent from the recognizer's lists (common/data/detect): found
# only through titles, context phrases or a known neighbour, as real member lists are.
FIRST_UNSEEN = ["Tembo", "Chiumbo", "Wairegi", "Nasieku", "Lokwawi", "Ekai", "Jillo", "Guyo"]
LAST_UNSEEN = ["Lokorio", "Ekiru", "Waqo", "Dida", "Boru", "Kalama", "Mwachofi", "Halakhe"]
PLACES = ["Westlands", "Kilimani", "Embakasi", "Kisumu", "Eldoret", "Nakuru", "Kitengela",
          "Mombasa", "Nyali", "Thika"]
PLACES_UNSEEN = ["Kangundo", "Maralal", "Lodwar", "Kapenguria", "Iten", "Kabarnet"]
NAME_NEGATIVES = ["Grace period applies", "Monday", "May I", "Approved by Kenyatta National Hospital",
                  "Pending M-Pesa reversal", "Sent via Safaricom", "Aga Khan Hospital referral",
                  "Thank you", "Dear Sir", "The Road to recovery is long", "On the Way back",
                  "Street food stalls"]
# Street names and street words of this generator's own (some are also towns or surnames).
STREET_NAMES = ["Ngong", "Moi", "Waiyaki", "Lenana", "Kimathi", "Argwings Kodhek", "Baker",
                "Riverside", "Haile Selassie", "Tom Mboya", "Muthaiga", "Ralph Bunche", "Oloitokitok"]
STREET_WORDS = ["Road", "Avenue", "Street", "Way", "Drive", "Lane", "Rd", "Ave", "Close", "Crescent"]


def luhn_complete(prefix, length, rng):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(rng.randrange(10))
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits.append((10 - total % 10) % 10)
    return "".join(map(str, digits))


def iban(country, bban):
    moved = bban + country + "00"
    num = int("".join(str(int(c, 36)) for c in moved))
    check = 98 - num % 97
    return f"{country}{check:02d}{bban}"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n):
        return "".join(str(self.r.randrange(10)) for _ in range(n))

    def pick(self, xs):
        return self.r.choice(xs)

    # ---- planted values, in the forms people write them ----
    def phone(self):
        mobile = self.pick(["7" + self.pick("01245789"), "1" + self.pick("01")])
        rest = mobile + self.digits(9 - len(mobile))
        f = self.r.randrange(12)
        if f == 0:
            return "0" + rest
        if f == 1:
            return f"0{rest[:3]} {rest[3:6]} {rest[6:]}"
        if f == 2:
            return f"+254 {rest[:3]} {rest[3:6]} {rest[6:]}"
        if f == 3:
            return "+254" + rest
        if f == 4:
            return "254" + rest
        if f == 5:
            return f"0{rest[:3]}-{rest[3:6]}-{rest[6:]}"
        if f == 6:
            return f"({'0' + rest[:3]}) {rest[3:6]} {rest[6:]}"
        if f == 7:  # UK mobile, international
            return f"+44 7{self.digits(3)} {self.digits(6)}"
        if f == 8:  # North America
            area = str(self.r.randrange(2, 10)) + self.digits(2)
            exch = str(self.r.randrange(2, 10)) + self.digits(2)
            return self.pick([f"({area}) {exch}-{self.digits(4)}", f"{area}-{exch}-{self.digits(4)}",
                              f"+1 {area} {exch} {self.digits(4)}"])
        if f == 9:  # Tanzania, Uganda
            return self.pick(["+255 ", "+256 "]) + "7" + self.digits(2) + " " + self.digits(3) + " " + self.digits(3)
        if f == 10:
            return f"+254{rest[:3]} {rest[3:6]} {rest[6:]}"
        return f"0{rest[:3]}.{rest[3:6]}.{rest[6:]}"

    def email(self):
        user = self.pick(FIRST).lower() + self.pick([".", "_", ""]) + self.pick(LAST).lower()
        if self.r.random() < 0.3:
            user += self.digits(2)
        return user + "@" + self.pick(["gmail.com", "yahoo.co.ke", "example.org", "kenyaclinic.co.ke"])

    def card(self):
        kind = self.r.randrange(4)
        if kind == 0:
            n = luhn_complete("4", 16, self.r)
        elif kind == 1:
            n = luhn_complete(str(self.r.randrange(51, 56)), 16, self.r)
        elif kind == 2:
            n = luhn_complete(self.pick(["34", "37"]), 15, self.r)
            return self.pick([n, f"{n[:4]} {n[4:10]} {n[10:]}"])
        else:
            n = luhn_complete("6011", 16, self.r)
        sep = self.pick(["", " ", "-"])
        return sep.join(n[i:i + 4] for i in range(0, 16, 4)) if sep else n

    def iban(self):
        country, bban = self.pick([
            ("GB", "WEST" + self.digits(14)), ("DE", self.digits(18)), ("FR", self.digits(23)),
            ("NL", "ABNA" + self.digits(10)), ("CH", self.digits(17)),
        ])
        value = iban(country, bban)
        if self.r.random() < 0.5:
            value = " ".join(value[i:i + 4] for i in range(0, len(value), 4))
        return value

    def kra(self):
        return self.pick("AP") + self.digits(9) + self.pick("ABCDEFGHJKLMNPQRSTUVWXZ")

    def national_id(self):
        return str(self.r.randrange(1, 10)) + self.digits(self.pick([6, 7]))

    def ip(self):
        return ".".join(str(self.r.randrange(1, 255)) for _ in range(4))

    def mac(self):
        sep = self.pick([":", "-"])
        return sep.join(f"{self.r.randrange(256):02X}" for _ in range(6))

    def dob(self):
        y, m, d = self.r.randrange(1940, 2010), self.r.randrange(1, 13), self.r.randrange(1, 29)
        return self.pick([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}"])

    # ---- hard negatives ----
    def negative(self):
        f = self.r.randrange(10)
        if f == 0:
            return f"KES {self.r.randrange(100, 90000):,}.00"
        if f == 1:
            return f"2024-{self.r.randrange(1, 13):02d}-{self.r.randrange(1, 29):02d} {self.r.randrange(24):02d}:{self.r.randrange(60):02d}:{self.r.randrange(60):02d}"
        if f == 2:
            return f"INV-2024{self.digits(4)}-{self.digits(4)}"
        if f == 3:
            return f"v{self.r.randrange(1, 9)}.{self.r.randrange(20)}.{self.r.randrange(100)}"
        if f == 4:
            return f"claim CLM/{self.r.randrange(2019, 2025)}/{self.digits(5)}"
        if f == 5:
            return f"-1.{self.digits(6)}, 36.{self.digits(6)}"
        if f == 6:
            return f"{self.r.randrange(1, 100)}%"
        if f == 7:
            return f"order #{self.digits(6)}"
        if f == 8:
            return f"ICD-10 E{self.r.randrange(10, 15)}.{self.r.randrange(10)}"
        return f"admitted {self.r.randrange(1, 29)}/{self.r.randrange(1, 13)}/2023"

    # ---- how people (and their software) actually write them ----
    def rewrite(self, kind, value):
        """Unicode spaces and dashes, full-width digits, lower case, labels glued on."""
        r = self.r.random()
        if kind in ("PHONE", "CREDIT_CARD") and r < 0.15:
            value = value.replace(" ", self.pick(["\u00a0", "\u2009", "\u202f"]))
        elif kind == "PHONE" and r < 0.25:
            value = value.replace("-", "\u2013")
        elif kind == "PHONE" and r < 0.30:
            value = "".join(chr(ord(c) - ord("0") + 0xFF10) if c.isdigit() else c for c in value)
        elif kind == "IBAN" and r < 0.2:
            value = value.lower()
        elif kind == "KE_KRA_PIN" and r < 0.2:
            value = value.lower()
        return value

    # ---- documents ----
    def document(self):
        """Returns (text, [(type, value), ...])."""
        planted = []

        def put(kind):
            value = {"PHONE": self.phone, "EMAIL": self.email, "CREDIT_CARD": self.card,
                     "IBAN": self.iban, "KE_KRA_PIN": self.kra, "KE_NATIONAL_ID": self.national_id,
                     "IP_ADDRESS": self.ip, "MAC_ADDRESS": self.mac, "DATE_OF_BIRTH": self.dob}[kind]()
            value = self.rewrite(kind, value)
            planted.append((kind, value))
            return value

        shape = self.r.randrange(7)
        first = self.pick(FIRST_UNSEEN) if self.r.random() < 0.3 else self.pick(FIRST)
        last = self.pick(LAST_UNSEEN) if self.r.random() < 0.3 else self.pick(LAST)
        name = f"{first} {last}"
        place = self.pick(PLACES_UNSEEN) if self.r.random() < 0.25 else self.pick(PLACES)

        def person():
            planted.append(("PERSON", name))
            return name

        def location():
            planted.append(("LOCATION", place))
            return place
        if shape == 0:  # English support note
            title = self.pick(["", "", "Mr ", "Mrs ", "Dr. ", "Spoke to "])
            text = (f"{title}{person()} from {location()} called about {self.negative()}. "
                    f"{self.pick(NAME_NEGATIVES)}. Reach her on {put('PHONE')} or "
                    f"{put('EMAIL')}; card {put('CREDIT_CARD')} was charged {self.negative()}. "
                    f"ID no {put('KE_NATIONAL_ID')}, born {put('DATE_OF_BIRTH')}.")
        elif shape == 1:  # Swahili note
            text = (f"Mteja {person()} wa {location()} alipiga simu {put('PHONE')} kuhusu {self.negative()}. "
                    f"Barua pepe: {put('EMAIL')}. KRA PIN {put('KE_KRA_PIN')}, "
                    f"kitambulisho {put('KE_NATIONAL_ID')}. Malipo {self.negative()}.")
        elif shape == 2:  # CSV row
            box = (f"{self.pick(['P.O. Box', 'P.O Box', 'PO Box', 'S.L.P.'])} "
                   f"{self.r.randrange(1, 99999)}-{self.pick(['00100', '40100', '80100', '20100'])} "
                   f"{self.pick(PLACES + PLACES_UNSEEN)}")
            planted.append(("LOCATION", box))
            text = ",".join([self.digits(5), person(), put("PHONE"), put("EMAIL"),
                             self.negative().replace(",", ""), put("IBAN"), box])
        elif shape == 3:  # key=value log line
            text = (f"{self.negative()} level=info user={put('EMAIL')} msisdn={put('PHONE')} "
                    f"src_ip={put('IP_ADDRESS')} mac={put('MAC_ADDRESS')} ref={self.negative()}")
        elif shape == 5:  # glued labels and fields, as exports and gateways write them
            text = (f"tel:{put('PHONE')}|{person()};{put('PHONE')};"
                    f"kra pin {put('KE_KRA_PIN')} ID:{put('KE_NATIONAL_ID')} "
                    f"{self.negative()} pay card {put('CREDIT_CARD')} to {put('IBAN')}.")
        elif shape == 6:  # a local number after a telephone word, an extension
            local = f"{self.r.randrange(2, 10)}{self.digits(3)} {self.digits(4)}"
            ext = f"{self.r.randrange(2, 10)}{self.digits(2)}-{self.r.randrange(2, 10)}{self.digits(2)}-{self.digits(4)}x{self.digits(3)}"
            planted.extend([("PHONE", local), ("PHONE", ext)])
            if self.r.random() < 0.5:
                home = f"in {location()}"
            else:
                number = self.pick(["", f"{self.r.randrange(1, 400)} ", f"{self.r.randrange(1, 99)}B "])
                street = f"{number}{self.pick(STREET_NAMES)} {self.pick(STREET_WORDS)}"
                if self.r.random() < 0.2:
                    street = f"Barabara ya {self.pick(STREET_NAMES)}"
                planted.append(("LOCATION", street))
                home = f"at {street}, {location()}"
            text = (f"{person()}: call me on {local} after {self.negative()}, "
                    f"or the office at {ext}. I live {home}. Email {put('EMAIL')}.")
        else:  # JSON
            text = json.dumps({"name": person(), "phone": put("PHONE"), "iban": put("IBAN"),
                               "card": put("CREDIT_CARD"), "note": self.negative(),
                               "kra_pin": put("KE_KRA_PIN")}, ensure_ascii=False)
        return text, planted
