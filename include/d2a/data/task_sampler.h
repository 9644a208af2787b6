#pragma once
// Few-shot tasks drawn from an ImageSet: K classes x n train images (+ m test images) per class,
// relabelled 0..K-1. Seeded and identical on every platform: std::mt19937_64 (fully specified
// by the standard) with d2a's own uniform integers and Fisher-Yates draws, never
// std::uniform_int_distribution or std::shuffle (their outputs differ between libraries).
// No torch here.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "d2a/data/image_set.h"

namespace d2a {

// A uniform integer in [0, bound) by rejection (no modulo bias). bound must be > 0.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound);

// The first `count` entries of a uniform random permutation of [0, n), drawn by a partial
// Fisher-Yates shuffle (count <= n).
std::vector<std::size_t> sample_without_replacement(std::mt19937_64& rng, std::size_t n,
                                                    std::size_t count);

struct TaskShape {
  std::size_t num_classes = 5;       // K >= 2
  std::size_t train_per_class = 20;  // n >= 1
  std::size_t test_per_class = 0;    // m >= 0, disjoint from the n train images
};

struct Task {
  // Images of chosen class k carry label k; class_names are the chosen classes' names.
  // Images are grouped by class (k = 0..K-1), in drawn order within a class.
  ImageSet train;                            // K * n images
  ImageSet test;                             // K * m images (empty when m = 0)
  std::vector<std::int32_t> source_classes;  // [K] original label of task class k
  std::vector<std::string> class_names;      // [K] original name of task class k
  std::vector<std::size_t> train_indices;    // [K*n] index into the source set of each train image
  std::vector<std::size_t> test_indices;     // [K*m] index into the source set of each test image
                                             // (into the test set, when drawn from one)
  std::uint64_t seed = 0;
};

class TaskSampler {
 public:
  // Keeps a reference to `set` (which must outlive the sampler) and indexes its classes.
  explicit TaskSampler(const ImageSet& set);

  // Draws K distinct classes uniformly (their order gives the new labels), then n + m distinct
  // images of each class; the first n are train, the next m test. The same seed, shape and set
  // give the same task everywhere. Throws d2a::Error (bad input) for K < 2, n < 1, K greater
  // than the set's class count, or any class of the set with fewer than n + m images (naming
  // that class and the set; checked over all classes so that the error does not depend on the
  // seed).
  Task sample(const TaskShape& shape, std::uint64_t seed) const;

  // The same draw, with the test images taken from `test_set` (the source's own test split)
  // instead: the K classes and the n train images per class come from this sampler's set exactly
  // as sample() draws them with m = 0; then, for each chosen class (matched by name), m images
  // of that class in `test_set` (m = 0: as many as the smallest chosen class has there), drawn
  // with a stream of their own, so the train draw does not depend on m. Throws d2a::Error (bad
  // input) when a chosen class is missing from `test_set` or has fewer than m images there.
  Task sample(const TaskShape& shape, std::uint64_t seed, const ImageSet& test_set) const;

  const ImageSet& set() const { return set_; }
  // Indices of the images of each class, in stored order: [num_classes][count].
  const std::vector<std::vector<std::size_t>>& class_images() const { return class_images_; }

 private:
  const ImageSet& set_;
  std::vector<std::vector<std::size_t>> class_images_;
};

}  // namespace d2a
