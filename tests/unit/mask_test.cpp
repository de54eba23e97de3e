// Typed masks, mask_partial, free-text styles, the token form and its inverse.
#include <gtest/gtest.h>

#include "anonkit/error.hpp"
#include "anonkit/mask/text.hpp"
#include "anonkit/mask/typed.hpp"

namespace anonkit::mask {
namespace {

std::string typed(std::string_view v, std::string_view type) {
  return mask_typed(v, parse_mask_type(type).value());
}

TEST(TypedMask, KnownAnswers) {
  EXPECT_EQ(typed("jane.doe@example.com", "email"), "j***@example.com");
  EXPECT_EQ(typed("+254 712 345 678", "phone"), "+254 *** *** *78");
  EXPECT_EQ(typed("+1 (415) 555-0132", "phone"), "+1 (***) ***-**32");
  EXPECT_EQ(typed("0712 345 678", "phone"), "**** *** *78");
  EXPECT_EQ(typed("4111 1111 1111 1234", "card"), "**** **** **** 1234");
  EXPECT_EQ(typed("4111-1111-1111-1234", "CREDIT_CARD"), "****-****-****-1234");
  EXPECT_EQ(typed("GB82 WEST 1234 5698 7654 32", "iban"), "GB** **** **** **** **54 32");
  EXPECT_EQ(typed("123-45-6789", "ssn"), "***-**-6789");
  EXPECT_EQ(typed("Wanjiru Kamau", "name"), "W. K.");
  EXPECT_EQ(typed("Émile  Zola-Durand", "name"), "É. Z. D.");
  EXPECT_EQ(typed("192.168.1.77", "ip"), "192.168.1.0");
  EXPECT_EQ(typed("2001:db8:85a3:8d3:1319:8a2e:370:7348", "ip"), "2001:db8:85a3::");
  EXPECT_EQ(typed("2001:db8::1", "ip"), "2001:db8::");
  EXPECT_EQ(typed("00:1A:2B:3C:4D:5E", "mac"), "00:1A:2B:**:**:**");
  EXPECT_EQ(typed("https://user:pw@example.com/claims/42?x=1", "url"),
            "https://***@example.com/***");
  EXPECT_EQ(typed("1984-03-12", "date"), "1984-**-**");
  EXPECT_EQ(typed("12/03/1984", "dob"), "**/**/1984");
  EXPECT_EQ(typed("A012345678Z", "kra_pin"), "*********8Z");
}

TEST(TypedMask, ValueWithoutTheTypesShapeIsMaskedCompletely) {
  EXPECT_EQ(typed("not an email", "email"), "*** ** *****");
  EXPECT_EQ(typed("12", "card"), "**");
  EXPECT_EQ(typed("999.1.1.1", "ip"), "***.*.*.*");
  EXPECT_EQ(typed("12-34", "ssn"), "**-**");
  EXPECT_EQ(typed("", "email"), "");
}

TEST(TypedMask, TypeNames) {
  EXPECT_FALSE(parse_mask_type("creditcard").has_value());
  EXPECT_EQ(parse_mask_type("EMAIL"), MaskType::kEmail);
  EXPECT_EQ(parse_mask_type("Us_Ssn"), MaskType::kSsn);
}

TEST(MaskPartial, KeepsEnds) {
  EXPECT_EQ(mask_partial("0712345678", 2, 2), "07******78");
  EXPECT_EQ(mask_partial("Müller", 1, 1, "•"), "M••••r");
  EXPECT_EQ(mask_partial("abcdef", 0, 0, "x"), "xxxxxx");
  EXPECT_EQ(mask_partial("abcdef", 6, 0), "******");  // nothing hidden -> everything hidden
  EXPECT_EQ(mask_partial("abc", 2, 2), "***");
  EXPECT_EQ(mask_partial("abc", INT64_MAX, INT64_MAX), "***");
  EXPECT_EQ(mask_partial("", 1, 1), "");
}

TEST(MaskPartial, Errors) {
  EXPECT_THROW((void)mask_partial("abc", -1, 0), InvalidArgument);
  EXPECT_THROW((void)mask_partial("abc", 0, 0, "ab"), InvalidArgument);
  EXPECT_THROW((void)mask_partial("abc", 0, 0, ""), InvalidArgument);
  try {
    (void)mask_partial("abc", 0, -2);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(),
                 "anonkit: mask_partial expects keep_first and keep_last >= 0, got 0 and -2");
  }
}

const detect::Scanner& scanner() { return *detect::Scanner::builtin(); }

TEST(MaskText, Styles) {
  const std::string text = "call 0712 345 678 or mail jane@example.com";
  EXPECT_EQ(mask_text(text, scanner(), {}), "call [PHONE] or mail [EMAIL]");
  EXPECT_EQ(mask_text(text, scanner(), parse_mask_options(R"({"style":"partial"})", scanner())),
            "call **** *** *78 or mail j***@example.com");
  EXPECT_EQ(mask_text(text, scanner(), parse_mask_options(R"({"style":"token"})", scanner())),
            "call [PHONE_1] or mail [EMAIL_1]");
  EXPECT_EQ(mask_text(text, scanner(), parse_mask_options(R"({"types":["email"]})", scanner())),
            "call 0712 345 678 or mail [EMAIL]");
  EXPECT_EQ(mask_text("no personal data here", scanner(), {}), "no personal data here");
}

TEST(MaskText, TokenNumbering) {
  const auto options = parse_mask_options(R"({"style":"token"})", scanner());
  EXPECT_EQ(mask_text("a@x.com b@x.com a@x.com 0712345678", scanner(), options),
            "[EMAIL_1] [EMAIL_2] [EMAIL_1] [PHONE_1]");
  // A token that already stands in the text is never reused.
  EXPECT_EQ(mask_text("literal [EMAIL_1] then a@x.com", scanner(), options),
            "literal [EMAIL_1] then [EMAIL_2]");
}

TEST(Tokens, RoundTripAndClosedDelimiters) {
  std::string text;
  for (int i = 1; i <= 11; ++i) text += "u" + std::to_string(i) + "@example.com ";
  const Tokenized t = tokenize(text, scanner(), {});
  EXPECT_NE(t.text.find("[EMAIL_10]"), std::string::npos);
  EXPECT_EQ(t.items.at("[EMAIL_1]"), "u1@example.com");
  EXPECT_EQ(t.items.at("[EMAIL_10]"), "u10@example.com");
  EXPECT_EQ(unmask(t.text, tokenized_json(t)), text);
  // Restoring [EMAIL_1] never touches [EMAIL_10].
  EXPECT_EQ(unmask("[EMAIL_10] [EMAIL_1]", R"({"[EMAIL_1]":"a@b.co"})"), "[EMAIL_10] a@b.co");
  // A restored value that looks like a token is not restored again.
  EXPECT_EQ(unmask("[X_1]", R"({"[X_1]":"[X_2]","[X_2]":"no"})"), "[X_2]");
  EXPECT_EQ(unmask("[ [ ] ]] [", R"({})"), "[ [ ] ]] [");
}

TEST(Tokens, InvalidUtf8IsRefusedNotAltered) {
  // JSON cannot carry the bytes: the token form refuses, naming the offset and never the text.
  const std::string bad = "call 0712 345 678 \xff\xfe end";
  try {
    (void)tokenize(bad, scanner(), {});
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.starts_with("anonkit: mask_tokens expects valid UTF-8")) << what;
    EXPECT_NE(what.find("byte 18"), std::string::npos) << what;
    EXPECT_EQ(what.find("0712"), std::string::npos) << what;
  }
  // mask() keeps the bytes; unmask keeps every byte of its text outside the tokens.
  EXPECT_EQ(mask_text(bad, scanner(), {}), "call [PHONE] \xff\xfe end");
  const Tokenized t = tokenize("call 0712 345 678", scanner(), {});
  EXPECT_EQ(unmask("\xc3(" + t.text + "\xe2\x82", tokenized_json(t)),
            "\xc3(call 0712 345 678\xe2\x82");
  // Valid non-ASCII text round-trips exactly.
  const std::string swahili = "Piga simu kwa Wanjiku\u2014 0712\u00a0345\u00a0678, asante \u00e9";
  const Tokenized s = tokenize(swahili, scanner(), {});
  EXPECT_EQ(unmask(s.text, tokenized_json(s)), swahili);
}

TEST(Options, Errors) {
  auto message = [](std::string_view json) {
    try {
      (void)parse_mask_options(json, scanner());
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(R"({"style":"blur"})").rfind("anonkit: option \"style\" must be one of", 0),
            0u);
  EXPECT_EQ(message(R"({"types":["EMAIL","NOPE"]})").rfind("anonkit: unknown type \"NOPE\"", 0),
            0u);
  EXPECT_NE(message(R"({"types":["NOPE"]})").find("EMAIL, PHONE, CREDIT_CARD"), std::string::npos);
  EXPECT_EQ(message(R"({"type":["EMAIL"]})").rfind("anonkit: unknown option \"type\"", 0), 0u);
  EXPECT_EQ(message("{").rfind("anonkit: options must be a JSON object", 0), 0u);
  EXPECT_EQ(message("[1]").rfind("anonkit: options must be a JSON object", 0), 0u);
  EXPECT_EQ(message(R"({"types":[]})").rfind("anonkit: option \"types\" must be a non-empty", 0),
            0u);
  // Found by mask_fuzz: a number nlohmann cannot represent must be an anonkit error, not a crash.
  EXPECT_EQ(message(R"({"min_confidence":222e2002201})").rfind("anonkit: options must be", 0), 0u);
  EXPECT_THROW((void)unmask("x", R"({"[A_1]":1e99999})"), InvalidArgument);
  EXPECT_THROW((void)unmask("x", "[]"), InvalidArgument);
  EXPECT_THROW((void)unmask("x", R"({"[A_1]":1})"), InvalidArgument);
}

TEST(MaskText, PseudonymStyleNeedsAKey) {
  const auto options = parse_mask_options(R"({"style":"pseudonym"})", scanner());
  EXPECT_THROW((void)mask_text("a@b.co", scanner(), options), InvalidArgument);
}

}  // namespace
}  // namespace anonkit::mask

namespace anonkit::mask {
namespace {

TEST(JsonArguments, DeepNestingIsAClearErrorNotACrash) {
  const std::string deep = std::string(70000, '[') + std::string(70000, ']');
  const std::string doc = R"({"style":)" + deep + "}";
  try {
    (void)parse_mask_options(doc, *detect::Scanner::builtin());
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("nested more than 32 levels"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)unmask("x", std::string(100000, '{')), InvalidArgument);
}

TEST(JsonArguments, ADuplicateKeyIsAnError) {
  try {
    (void)parse_mask_options(R"({"style":"token","style":"redact"})", *detect::Scanner::builtin());
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("a key appears twice in one object: \"style\""),
              std::string::npos)
        << e.what();
  }
}

TEST(JsonArguments, ADuplicateKeyThatIsNotAnOptionNameIsNotEchoed) {
  try {
    (void)unmask("x", R"({"jane@example.com":"a","jane@example.com":"b"})");
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("a key appears twice"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("jane"), std::string::npos) << e.what();
  }
}

TEST(Unmask, OnlyTokensAreRestored) {
  EXPECT_THROW((void)unmask("see [here]", R"({"[here]":"x"})"), InvalidArgument);
  EXPECT_THROW((void)unmask("see [1]", R"({"[1]":"x"})"), InvalidArgument);
  EXPECT_EQ(unmask("see [here] and [EMAIL_1]", R"({"[EMAIL_1]":"a@b.co"})"),
            "see [here] and a@b.co");
}

// A million "[" and no "]": the old search for "]" from each "[" was quadratic and would not
// finish; bounded by the longest token it is one pass.
TEST(Unmask, ManyOpenBracketsStayLinear) {
  const std::string text(1000000, '[');
  EXPECT_EQ(unmask(text, R"({"[EMAIL_1]":"a@b.co"})"), text);
  // And a token namer over 20,000 e-mails keeps each assigned token unique and restorable.
  std::string mails;
  for (int i = 0; i < 20000; ++i) mails += "u" + std::to_string(i) + "@example.com ";
  const Tokenized t = tokenize(mails, *detect::Scanner::builtin(), {});
  EXPECT_EQ(t.items.size(), 20000u);
  EXPECT_EQ(unmask(t.text, tokenized_json(t)), mails);
}

}  // namespace
}  // namespace anonkit::mask

namespace anonkit::mask {
namespace {

// Every value inside a URL is masked: overlapping findings are masked as their union.
TEST(NestedEntities, AUrlLosesItsQueryValuesAndUserinfo) {
  const auto& scanner = *detect::Scanner::builtin();
  const std::string url = "https://clinic.example/p?name=Jane+Doe&phone=0712345678&email=j@x.co";
  const std::string masked = mask_text("see " + url + " today", scanner, {});
  for (const char* leak : {"0712345678", "j@x.co", "Jane"})
    EXPECT_EQ(masked.find(leak), std::string::npos) << masked;
  EXPECT_EQ(masked, "see [URL] today");
  const std::string creds = mask_text("login https://jane:secret@example.com/ ok", scanner, {});
  EXPECT_EQ(creds.find("jane"), std::string::npos) << creds;
  EXPECT_EQ(creds.find("secret"), std::string::npos) << creds;
  // Partial style keeps only the host.
  MaskOptions partial;
  partial.style = Style::kPartial;
  EXPECT_EQ(mask_text(url, scanner, partial), "https://clinic.example/***");
  // The typed URL mask never returns its input unmasked.
  EXPECT_EQ(mask_typed("not a url at all", MaskType::kUrl).find("url"), std::string::npos);
}

}  // namespace
}  // namespace anonkit::mask
