// PERSON and LOCATION from the built-in lists: names after titles and context phrases, full names
// joined, places written capitalized, and the words that look like names but are not.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "anonkit/detect/scanner.hpp"

namespace anonkit::detect {
namespace {

std::vector<std::string> found(std::string_view text, const std::string& type) {
  const Scanner& s = *Scanner::builtin();
  std::vector<std::string> out;
  for (const Entity& e : s.scan(text))
    if (s.types()[e.type] == type) out.emplace_back(text.substr(e.begin, e.end - e.begin));
  return out;
}

struct Case {
  const char* text;
  const char* type;
  std::vector<std::string> expected;
};

class PeoplePlaces : public ::testing::TestWithParam<Case> {};
TEST_P(PeoplePlaces, FindsExactly) {
  EXPECT_EQ(found(GetParam().text, GetParam().type), GetParam().expected) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PeoplePlaces,
    ::testing::Values(
        Case{"Spoke to Achieng Odhiambo about the claim.", "PERSON", {"Achieng Odhiambo"}},
        Case{"Mr Kiprotich called twice.", "PERSON", {"Kiprotich"}},
        Case{"Dr. Akinyi Wanjala reviewed it.", "PERSON", {"Akinyi Wanjala"}},
        Case{"Jina langu ni Baraka Otieno.", "PERSON", {"Baraka Otieno"}},
        Case{"My name is Zawadi Nyambura Kariuki", "PERSON", {"Zawadi Nyambura Kariuki"}},
        Case{"Bi. Halima confirmed.", "PERSON", {"Halima"}},
        Case{"Mr Tembo paid.", "PERSON", {"Tembo"}},  // unknown name after a title
        Case{"Grace Wanjiku sent it", "PERSON", {"Grace Wanjiku"}},
        // Not people: days, months, words that are also names, organisations, lower case.
        Case{"Monday: M-Pesa will be sent. May I call?", "PERSON", {}},
        Case{"Grace period of 30 days.", "PERSON", {}},
        Case{"Referred to Kenyatta National Hospital.", "PERSON", {}},
        Case{"paid by achieng via mpesa", "PERSON", {}},
        Case{"The claim was approved.", "PERSON", {}},
        // Places, capitalized only.
        Case{"She lives in Westlands, Nairobi.", "LOCATION", {"Westlands", "Nairobi"}},
        Case{"moved from Kilimani to Embakasi", "LOCATION", {"Kilimani", "Embakasi"}},
        Case{"Dar es Salaam office", "LOCATION", {"Dar es Salaam"}},
        Case{"the nyeri branch is closed", "LOCATION", {}},
        // Kenyan postal addresses, as one LOCATION with the town.
        Case{
            "Write to P.O. Box 12345-00100 Nairobi.", "LOCATION", {"P.O. Box 12345-00100 Nairobi"}},
        Case{"S.L.P. 45 Mombasa", "LOCATION", {"S.L.P. 45 Mombasa"}},
        Case{"box 4567-40100, Kisumu", "LOCATION", {"box 4567-40100, Kisumu"}},
        Case{"P.O Box 99 Please call", "LOCATION", {"P.O Box 99"}},
        Case{"a box of 12 gloves", "LOCATION", {}},
        // A name at the end of a sentence is still a name; an organisation word in the same
        // sentence still makes the run something else's name.
        Case{"I spoke to Achieng Odhiambo. She said hi.", "PERSON", {"Achieng Odhiambo"}},
        Case{"Paid Kamau Njoroge. The claim closed.", "PERSON", {"Kamau Njoroge"}},
        Case{"Achieng Odhiambo Hospital", "PERSON", {}},
        // Street addresses: house number, name, street word; sentence words are not names.
        Case{"I live at 14 Ngong Road, Kilimani.", "LOCATION", {"14 Ngong Road", "Kilimani"}},
        Case{"Office on Moi Avenue next to the bank", "LOCATION", {"Moi Avenue"}},
        Case{"221B Baker Street", "LOCATION", {"221B Baker Street"}},
        Case{"along Haile Selassie Ave", "LOCATION", {"Haile Selassie Ave"}},
        Case{"Nyumbani ni Barabara ya Moi", "LOCATION", {"Barabara ya Moi"}},
        Case{"On the Way home. The Road was closed. Street food.", "LOCATION", {}},
        Case{"along The Main Street", "LOCATION", {"Main Street"}},
        // Close, Drive and Way need a house number or a preposition, and a name that is not a
        // product or an instruction.
        Case{"Saved on Google Drive. Kindly Close the ticket. Click Close. Test Drive today.",
             "LOCATION", {}},
        Case{"Lives on Waiyaki Way near 12 Acacia Close", "LOCATION", {"Waiyaki Way", "12 Acacia Close"}},
        Case{"Meet at Riverside Drive. Riverside Drive office", "LOCATION", {"Riverside Drive"}},
        // After a place phrase, a capitalized word no list holds is a place.
        Case{"She lives in Iten. Anaishi Lodwar.", "LOCATION", {"Iten", "Lodwar"}},
        Case{"I live in Iten. Anaishi katika Maralal", "LOCATION", {"Iten", "Maralal"}},
        Case{"Born in March, lives in The Hague", "LOCATION", {}},
        Case{"Born in Kapenguria", "PERSON", {}},
        // A unit after a number is not a title.
        Case{"Both are under 100 ms. Access grows.", "PERSON", {}},
        Case{"took 20ms. Review the log", "PERSON", {}},
        Case{"Ms. Tembo called", "PERSON", {"Tembo"}}));

}  // namespace
}  // namespace anonkit::detect
