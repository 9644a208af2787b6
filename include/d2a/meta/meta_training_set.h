#pragma once
// What meta-training reads: every task of one or more meta-databases as per-image features
// (through one FeatureExtractor, cached per task), and the (task, cell, accuracy) records.
#include <torch/torch.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "d2a/data/image_set.h"
#include "d2a/db/meta_database.h"
#include "d2a/meta/feature_extractor.h"
#include "d2a/space/nb201.h"

namespace d2a {

struct MetaTask {
  std::string id;        // the database's task id
  std::string database;  // the database it came from (name given to add_database)
  std::string source;    // source dataset
  torch::Tensor features;  // float32 [K, P, D]: P feature vectors per class (the train split)
};

struct MetaSample {
  int task = 0;  // position in MetaTrainingSet::tasks
  Nb201Cell cell;
  float accuracy = 0;  // percent; the mean when the database holds several runs
  int runs = 1;        // records averaged into it
};

struct MetaTrainingSet {
  std::vector<MetaTask> tasks;
  std::vector<MetaSample> samples;
  std::string feature_extractor;  // id of the extractor every feature came from
  int feature_dim = 0;
  std::vector<std::string> databases;
};


// Adds every task of `db` that has records (and the records, runs of the same task and cell
// averaged) to `set`, extracting the "train" split's features with `extractor`. A task that
// already stores features of this extractor uses them. With a non-empty `cache_dir`, features are
// cached there in one file per task keyed by the extractor id and a hash of the task's images,
// so a rerun or --resume extracts nothing. `name` names the database in messages and
// provenance; task ids must be unique across databases (bad input otherwise). `progress` is
// called after each task with (done, total).
void add_database(MetaTrainingSet& set, const MetaDatabase& db, const std::string& name,
                  const FeatureExtractor& extractor, const std::string& cache_dir = "",
                  const std::function<void(std::size_t, std::size_t)>& progress = {});

// A fresh draw of a task's dataset: `per_class` feature vectors of each class, without
// replacement (all P, in random order, when P < per_class): features [K, P, D] -> [K, n, D].
torch::Tensor draw_dataset(const torch::Tensor& features, int per_class, std::mt19937_64& rng);

}  // namespace d2a
