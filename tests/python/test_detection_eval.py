"""Held-out detection evaluation: pii_scan() over documents from tests/python/heldout.py (a
generator separate from the demo's), scored per type against the planted truth. The corpus is
drawn from a fixed seed, so the figures are exact and repeatable: the test has no statistical
false-failure rate; a change in detection moves them and the thresholds decide. Thresholds are
issue 11's targets: precision >= 0.97 and recall >= 0.95 for the pattern types, F1 >= 0.75 for
PERSON and >= 0.60 for LOCATION (about a third of the planted names and a quarter of the places
are absent from the built-in lists)."""
import collections
import os
import sqlite3
import unittest

import heldout

EXTENSION = os.environ.get("ANONKIT_EXTENSION", "../../build/anonkit.so")
DOCUMENTS = 3000


def connect():
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(os.path.splitext(os.path.abspath(EXTENSION))[0])
    conn.enable_load_extension(False)
    return conn


def score(db, documents):
    tp, fp, fn = collections.Counter(), collections.Counter(), collections.Counter()
    misses = collections.defaultdict(list)
    false_alarms = collections.defaultdict(list)
    for text, planted in documents:
        found = collections.Counter(
            (t, m) for t, m in db.execute("select type, match from pii_scan(?)", (text,)))
        truth = collections.Counter(planted)
        for item, n in truth.items():
            hit = min(n, found[item])
            tp[item[0]] += hit
            if n > hit:
                fn[item[0]] += n - hit
                misses[item[0]].append((item[1], text))
        for item, n in found.items():
            extra = n - min(n, truth[item])
            if extra:
                fp[item[0]] += extra
                false_alarms[item[0]].append((item[1], text))
    return tp, fp, fn, misses, false_alarms


class HeldOutEvaluation(unittest.TestCase):
    def test_pattern_types_meet_their_targets(self):
        gen = heldout.Gen(20261202)
        documents = [gen.document() for _ in range(DOCUMENTS)]
        tp, fp, fn, misses, false_alarms = score(connect(), documents)
        print(f"\n{'type':16} {'planted':>8} {'found':>6} {'false':>6} {'precision':>10} {'recall':>7}"
              f" {'F1':>6}")
        failures = []
        # Names and places without a language model: F1 targets (issue 11), not the patterns'.
        f1_targets = {"PERSON": 0.75, "LOCATION": 0.60}
        for t in sorted(set(tp) | set(fp) | set(fn)):
            precision = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 1.0
            recall = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 1.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            print(f"{t:16} {tp[t] + fn[t]:8} {tp[t]:6} {fp[t]:6} {precision:10.3f} {recall:7.3f}"
                  f" {f1:6.3f}")
            if t in f1_targets:
                if f1 < f1_targets[t]:
                    failures.append(f"{t} F1 {f1:.3f}, e.g. missed {misses[t][:2]}, "
                                    f"false {false_alarms[t][:2]}")
                continue
            if precision < 0.97:
                failures.append(f"{t} precision {precision:.3f}, e.g. {false_alarms[t][:2]}")
            if recall < 0.95:
                failures.append(f"{t} recall {recall:.3f}, e.g. {misses[t][:2]}")
        self.assertEqual(failures, [])

    def test_the_scorer_can_fail(self):
        """Negative control: with every third planted phone changed by one digit in the truth,
        PHONE recall falls below its threshold."""
        gen = heldout.Gen(7)
        documents = []
        for i in range(300):
            text, planted = gen.document()
            if i % 3 == 0:
                planted = [(t, v[:-1] + str((int(v[-1]) + 1) % 10)) if t == "PHONE" else (t, v)
                           for t, v in planted]
            documents.append((text, planted))
        tp, _, fn, _, _ = score(connect(), documents)
        self.assertLess(tp["PHONE"] / (tp["PHONE"] + fn["PHONE"]), 0.95)


if __name__ == "__main__":
    unittest.main()
