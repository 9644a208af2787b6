#include "d2a/data/task_sampler.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "d2a/error.h"

namespace d2a {
namespace {

// `part` holds per_class images of each task class in order: labels 0..K-1, the task's names.
ImageSet relabelled(ImageSet part, const std::vector<std::string>& class_names,
                    std::size_t per_class) {
  part.class_names = class_names;
  for (std::size_t t = 0; t < class_names.size(); ++t) {
    for (std::size_t j = 0; j < per_class; ++j) {
      part.labels[t * per_class + j] = static_cast<std::int32_t>(t);
    }
  }
  return part;
}

}  // namespace

std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  if (bound == 0) throw runtime_failure("uniform_below: bound must be positive");
  // Reject the top (2^64 mod bound) values so that every residue is equally likely.
  const std::uint64_t threshold = (std::numeric_limits<std::uint64_t>::max() - bound + 1) % bound;
  for (;;) {
    const std::uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

std::vector<std::size_t> sample_without_replacement(std::mt19937_64& rng, std::size_t n,
                                                    std::size_t count) {
  if (count > n) {
    throw runtime_failure("sample_without_replacement: cannot draw " + std::to_string(count) +
                          " of " + std::to_string(n));
  }
  std::vector<std::size_t> items(n);
  for (std::size_t i = 0; i < n; ++i) items[i] = i;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(uniform_below(rng, n - i));
    std::swap(items[i], items[j]);
  }
  items.resize(count);
  return items;
}

TaskSampler::TaskSampler(const ImageSet& set) : set_(set), class_images_(set.num_classes()) {
  for (std::size_t i = 0; i < set.size(); ++i) {
    const std::int32_t label = set.labels[i];
    if (label < 0 || static_cast<std::size_t>(label) >= class_images_.size()) {
      throw runtime_failure(set.source + ": image " + std::to_string(i) + " has label " +
                            std::to_string(label) + " outside the " +
                            std::to_string(class_images_.size()) + " classes");
    }
    class_images_[label].push_back(i);
  }
}

Task TaskSampler::sample(const TaskShape& shape, std::uint64_t seed) const {
  const std::size_t k = shape.num_classes, n = shape.train_per_class, m = shape.test_per_class;
  const std::string where = set_.source.empty() ? std::string("image set") : set_.source;
  if (k < 2) {
    throw bad_input(where + ": a task needs at least 2 classes (asked for " + std::to_string(k) +
                    ")");
  }
  if (n < 1) throw bad_input(where + ": a task needs at least 1 train image per class");
  if (k > class_images_.size()) {
    throw bad_input(where + ": asked for " + std::to_string(k) +
                    " classes per task but the set has " + std::to_string(class_images_.size()));
  }
  for (std::size_t c = 0; c < class_images_.size(); ++c) {
    if (class_images_[c].size() < n + m) {
      throw bad_input(where + ": class '" + set_.class_names[c] + "' has " +
                      std::to_string(class_images_[c].size()) + " images, fewer than the " +
                      std::to_string(n + m) + " a task takes per class (" + std::to_string(n) +
                      " train + " + std::to_string(m) + " test)");
    }
  }

  Task task;
  task.seed = seed;
  std::mt19937_64 rng(seed);
  const std::vector<std::size_t> classes = sample_without_replacement(rng, class_images_.size(), k);
  for (const std::size_t c : classes) {
    const std::vector<std::size_t>& pool = class_images_[c];
    const std::vector<std::size_t> picks = sample_without_replacement(rng, pool.size(), n + m);
    for (std::size_t j = 0; j < n + m; ++j) {
      (j < n ? task.train_indices : task.test_indices).push_back(pool[picks[j]]);
    }
    task.source_classes.push_back(static_cast<std::int32_t>(c));
    task.class_names.push_back(set_.class_names[c]);
  }

  task.train = relabelled(subset(set_, task.train_indices), task.class_names, n);
  task.test = relabelled(subset(set_, task.test_indices), task.class_names, m);
  return task;
}

Task TaskSampler::sample(const TaskShape& shape, std::uint64_t seed, const ImageSet& test_set) const {
  TaskShape train_only = shape;
  train_only.test_per_class = 0;
  Task task = sample(train_only, seed);
  const std::string where = test_set.source.empty() ? std::string("test set") : test_set.source;
  const TaskSampler test_sampler(test_set);
  std::vector<const std::vector<std::size_t>*> pools;
  std::size_t m = shape.test_per_class;
  std::size_t smallest = std::numeric_limits<std::size_t>::max();
  for (const std::string& name : task.class_names) {
    const auto it = std::find(test_set.class_names.begin(), test_set.class_names.end(), name);
    if (it == test_set.class_names.end()) {
      throw bad_input(where + ": has no class '" + name + "' (the train split has it)");
    }
    pools.push_back(&test_sampler.class_images()[it - test_set.class_names.begin()]);
    smallest = std::min(smallest, pools.back()->size());
  }
  if (m == 0) m = smallest;
  if (smallest < m || m == 0) {
    throw bad_input(where + ": a chosen class has " + std::to_string(smallest) +
                    " test images, fewer than the " + std::to_string(m) + " a task takes");
  }
  std::mt19937_64 rng(seed ^ 0x7465737473706c74ull);  // "testsplt": a stream of its own
  for (const auto* pool : pools) {
    for (std::size_t pick : sample_without_replacement(rng, pool->size(), m)) {
      task.test_indices.push_back((*pool)[pick]);
    }
  }
  task.test = relabelled(subset(test_set, task.test_indices), task.class_names, m);
  return task;
}

}  // namespace d2a
