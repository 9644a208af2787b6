#pragma once
// Internal helpers shared by the readers in src/data (not a public header).
#include <cstddef>
#include <string>
#include <vector>

#include "d2a/data/data_options.h"
#include "d2a/data/image_set.h"

namespace d2a::detail {

// "0", "1", ..., n-1: class names for sources that carry none.
std::vector<std::string> numbered_class_names(std::size_t n);

// The last step of every reader: throws d2a::Error (bad input) naming set.source when the set
// has fewer than 2 classes or a class without images, then keeps the first
// options.max_per_class images of each class.
void finish_image_set(ImageSet& set, const DataOptions& options);

// Lower-cased copy, for matching file extensions and names.
std::string to_lower(std::string text);

}  // namespace d2a::detail
