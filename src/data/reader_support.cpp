#include "reader_support.h"

#include <algorithm>
#include <cctype>

#include "d2a/error.h"

namespace d2a {

namespace detail {

std::vector<std::string> numbered_class_names(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back(std::to_string(i));
  return names;
}

void finish_image_set(ImageSet& set, const DataOptions& options) {
  if (set.num_classes() < 2) {
    throw bad_input(set.source + ": found " + std::to_string(set.num_classes()) +
                    " class(es); a classification set needs at least 2");
  }
  const std::vector<std::size_t> counts = class_counts(set);
  for (std::size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) {
      throw bad_input(set.source + ": class '" + set.class_names[c] + "' has no images" +
                      (set.split.empty() ? "" : " in the " + set.split + " split"));
    }
  }
  if (options.max_per_class > 0) set = subset(set, first_per_class(set, options.max_per_class));
}

std::string to_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

}  // namespace detail
}  // namespace d2a
