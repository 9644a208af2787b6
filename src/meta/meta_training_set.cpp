#include "d2a/meta/meta_training_set.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "d2a/data/task_sampler.h"
#include "d2a/db/task_images.h"
#include "d2a/error.h"
#include "fnv1a.h"

namespace d2a {
namespace fs = std::filesystem;
namespace {

std::string cache_key(const DbTask& task, const TaskSplit& split, const std::string& extractor_id) {
  Fnv1a hash;
  hash.add(extractor_id);
  hash.add(task.id);
  const std::int32_t shape[4] = {split.per_class, split.height, split.width, split.channels};
  hash.add(shape, sizeof shape);
  hash.add(split.images.data(), split.images.size());
  return hash.hex();
}

torch::Tensor load_cached(const fs::path& path, int64_t classes, int64_t per_class, int dim) {
  if (!fs::is_regular_file(path)) return {};
  try {
    torch::Tensor t;
    torch::load(t, path.string());
    if (t.dim() == 3 && t.size(0) == classes && t.size(1) == per_class && t.size(2) == dim) return t;
  } catch (const std::exception&) {  // c10::Error, or the TorchScript parser's runtime_error
    // A damaged cache entry is recomputed below.
  }
  return {};
}

torch::Tensor task_features(const DbTask& task, const FeatureExtractor& extractor,
                            const std::string& cache_dir) {
  const auto found = task.splits.find("train");
  if (found == task.splits.end()) throw bad_input("task '" + task.id + "': no 'train' split");
  const TaskSplit& split = found->second;
  const auto classes = static_cast<int64_t>(task.classes.size());
  if (split.feature_dim > 0 && task.feature_extractor == extractor.id()) {
    return torch::from_blob(const_cast<float*>(split.features.data()),
                            {classes, split.per_class, split.feature_dim}, torch::kFloat32)
        .clone();
  }
  fs::path cached;
  if (!cache_dir.empty() && !split.images.empty()) {
    cached = fs::path(cache_dir) / (cache_key(task, split, extractor.id()) + ".pt");
    torch::Tensor hit = load_cached(cached, classes, split.per_class, extractor.dim());
    if (hit.defined()) return hit;
  }
  const torch::Tensor features =
      extractor.extract(task_images(task, "train")).view({classes, split.per_class, extractor.dim()});
  if (!cached.empty()) {
    std::error_code error;
    fs::create_directories(cached.parent_path(), error);
    const fs::path tmp = cached.string() + ".tmp";
    try {
      torch::save(features, tmp.string());
      fs::rename(tmp, cached, error);
    } catch (const c10::Error&) {
      fs::remove(tmp, error);  // the cache is an optimisation: a failed write costs only time
    }
  }
  return features;
}

}  // namespace


void add_database(MetaTrainingSet& set, const MetaDatabase& db, const std::string& name,
                  const FeatureExtractor& extractor, const std::string& cache_dir,
                  const std::function<void(std::size_t, std::size_t)>& progress) {
  if (!set.feature_extractor.empty() && set.feature_extractor != extractor.id()) {
    throw runtime_failure("meta-training set: features of two extractors cannot be mixed");
  }
  set.feature_extractor = extractor.id();
  set.feature_dim = extractor.dim();
  set.databases.push_back(name);

  // Mean accuracy of each (task, arch) over its runs, in record order of first appearance.
  std::map<std::pair<int, int>, std::size_t> slot;
  std::vector<std::pair<std::pair<int, int>, std::pair<double, int>>> runs;
  for (const DbRecord& r : db.records()) {
    const auto key = std::make_pair(static_cast<int>(r.task), static_cast<int>(r.arch));
    const auto [it, inserted] = slot.emplace(key, runs.size());
    if (inserted) runs.push_back({key, {0.0, 0}});
    runs[it->second].second.first += r.accuracy;
    runs[it->second].second.second += 1;
  }
  std::map<int, int> position;  // database task -> position in set.tasks
  for (const auto& run : runs) position.emplace(run.first.first, -1);

  std::size_t done = 0;
  for (auto& [db_task, pos] : position) {
    const DbTask& task = db.tasks()[db_task];
    for (const MetaTask& other : set.tasks) {
      if (other.id == task.id) {
        throw bad_input(name + ": task '" + task.id + "' is also in " + other.database +
                        " (task ids must be unique across the databases)");
      }
    }
    pos = static_cast<int>(set.tasks.size());
    set.tasks.push_back({task.id, name, task.source, task_features(task, extractor, cache_dir)});
    if (progress) progress(++done, position.size());
  }
  for (const auto& [key, sum] : runs) {
    MetaSample sample;
    sample.task = position.at(key.first);
    sample.cell = db.archs()[key.second].cell;
    sample.accuracy = static_cast<float>(sum.first / sum.second);
    sample.runs = sum.second;
    set.samples.push_back(sample);
  }
}

torch::Tensor draw_dataset(const torch::Tensor& features, int per_class, std::mt19937_64& rng) {
  const int64_t classes = features.size(0);
  const auto available = static_cast<std::size_t>(features.size(1));
  const std::size_t n = std::min(available, static_cast<std::size_t>(per_class));
  std::vector<int64_t> index;
  index.reserve(classes * n);
  for (int64_t k = 0; k < classes; ++k) {
    for (std::size_t i : sample_without_replacement(rng, available, n)) {
      index.push_back(k * static_cast<int64_t>(available) + static_cast<int64_t>(i));
    }
  }
  return features.reshape({classes * static_cast<int64_t>(available), features.size(2)})
      .index_select(0, torch::tensor(index, torch::kLong))
      .view({classes, static_cast<int64_t>(n), features.size(2)});
}

}  // namespace d2a
