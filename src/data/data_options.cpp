#include "d2a/data/data_options.h"

#include "d2a/error.h"

namespace d2a {

void validate_data_options(const DataOptions& options, const std::string& context) {
  if (options.split != "train" && options.split != "test") {
    throw bad_input(context + ": unknown split '" + options.split + "' (expected train or test)");
  }
}

}  // namespace d2a
