#include "d2a/data/image_set.h"

#include <algorithm>
#include <cstring>

#include "d2a/error.h"

namespace d2a {

std::vector<std::size_t> class_counts(const ImageSet& set) {
  std::vector<std::size_t> counts(set.num_classes(), 0);
  for (const std::int32_t label : set.labels) {
    if (label < 0 || static_cast<std::size_t>(label) >= counts.size()) {
      throw runtime_failure(set.source + ": label " + std::to_string(label) +
                            " outside the class list of " + std::to_string(counts.size()));
    }
    ++counts[label];
  }
  return counts;
}

std::vector<std::size_t> first_per_class(const ImageSet& set, std::size_t per_class) {
  std::vector<std::size_t> taken(set.num_classes(), 0);
  std::vector<std::size_t> indices;
  indices.reserve(set.size());
  for (std::size_t i = 0; i < set.size(); ++i) {
    const auto label = static_cast<std::size_t>(set.labels[i]);
    if (per_class == 0 || taken.at(label) < per_class) {
      ++taken.at(label);
      indices.push_back(i);
    }
  }
  return indices;
}

ImageSet subset(const ImageSet& set, const std::vector<std::size_t>& indices) {
  ImageSet out;
  out.class_names = set.class_names;
  out.channels = set.channels;
  out.height = set.height;
  out.width = set.width;
  out.source = set.source;
  out.split = set.split;
  out.skipped_files = set.skipped_files;
  out.resized_images = set.resized_images;
  const std::size_t bytes = set.image_bytes();
  out.pixels.resize(indices.size() * bytes);
  out.labels.reserve(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const std::size_t i = indices[k];
    if (i >= set.size()) {
      throw runtime_failure(set.source + ": image index " + std::to_string(i) +
                            " out of range (the set holds " + std::to_string(set.size()) + ")");
    }
    if (bytes > 0) std::memcpy(out.pixels.data() + k * bytes, set.image(i), bytes);
    out.labels.push_back(set.labels[i]);
  }
  return out;
}

HoldOut hold_out_every(const ImageSet& set, std::size_t every, std::size_t train_per_class,
                       std::size_t test_per_class) {
  if (every < 2) throw runtime_failure("hold_out_every: every must be >= 2");
  std::vector<std::size_t> seen(set.num_classes(), 0), trained(seen), tested(seen);
  HoldOut parts;
  for (std::size_t i = 0; i < set.size(); ++i) {
    const auto label = static_cast<std::size_t>(set.labels[i]);
    if (++seen.at(label) % every == 0) {
      if (test_per_class == 0 || tested[label]++ < test_per_class) parts.test.push_back(i);
    } else if (train_per_class == 0 || trained[label]++ < train_per_class) {
      parts.train.push_back(i);
    }
  }
  return parts;
}

std::size_t hold_out_read_cap(std::size_t every, std::size_t train_per_class,
                              std::size_t test_per_class) {
  if (every < 2) throw runtime_failure("hold_out_read_cap: every must be >= 2");
  if (train_per_class == 0 || test_per_class == 0) return 0;
  // The first n images hold n / every test images and n - n / every training images.
  const std::size_t for_train = train_per_class + (train_per_class - 1) / (every - 1);
  return std::max(every * test_per_class, for_train);
}

}  // namespace d2a
