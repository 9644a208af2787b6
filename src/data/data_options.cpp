#include "d2a/data/data_options.h"

#include "d2a/error.h"

namespace d2a {

void validate_data_options(const DataOptions& options, const std::string& context) {
  if (options.split != "train" && options.split != "test") {
    throw bad_input(context + ": unknown split '" + options.split + "' (expected train or test)");
  }
  if (options.max_side < 0) {
    throw bad_input(context + ": max side " + std::to_string(options.max_side) +
                    " (0 keeps every image's size, or a positive side)");
  }
  if (options.threads < 0) {
    throw bad_input(context + ": " + std::to_string(options.threads) +
                    " reading threads (0 = every core, or a positive count)");
  }
}

}  // namespace d2a
