// The detection lists compiled in from common/data/detect/*.txt (generated source).
#pragma once

#include <string>
#include <vector>

namespace anonkit::detect::lists {

const std::vector<std::string>& given_names();
const std::vector<std::string>& surnames();
const std::vector<std::string>& places();
const std::vector<std::string>& titles();     // lower case; may hold spaces
const std::vector<std::string>& stopwords();  // lower case
const std::vector<std::string>& place_context();  // lower case; may hold spaces

}  // namespace anonkit::detect::lists
