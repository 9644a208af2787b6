// The in-memory meta-database: keys, validation and summaries. File I/O lives in
// meta_database_file.cpp.
#include "d2a/db/meta_database.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "d2a/error.h"
#include "d2a/space/nb201_graph.h"
#include "d2a/version.h"

namespace d2a {
namespace {

// Names become HDF5 link names: one path component, not empty.
void check_name(const std::string& what, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw bad_input(what + " name '" + name + "' is not valid (must be non-empty, without '/')");
  }
}

std::size_t product(std::initializer_list<std::int64_t> dims) {
  std::int64_t n = 1;
  for (auto d : dims) n *= d;
  return static_cast<std::size_t>(n);
}

void check_split(const DbTask& task, const std::string& name, const TaskSplit& split) {
  const std::string what = "task '" + task.id + "' split '" + name + "'";
  check_name("task '" + task.id + "' split", name);
  const std::int64_t k = static_cast<std::int64_t>(task.classes.size());
  if (split.per_class < 0) throw bad_input(what + ": negative per_class");
  if (split.images.empty()) {
    if (split.height != 0 || split.width != 0 || split.channels != 0) {
      throw bad_input(what + ": image shape given but no images");
    }
  } else {
    if (split.height <= 0 || split.width <= 0 || split.channels <= 0) {
      throw bad_input(what + ": images need a positive height, width and channels");
    }
    const auto expected = product({k, split.per_class, split.height, split.width, split.channels});
    if (split.images.size() != expected) {
      throw bad_input(
          what + ": " + std::to_string(split.images.size()) +
          " image bytes, expected classes x per_class x H x W x C = " + std::to_string(expected));
    }
  }
  if (split.features.empty()) {
    if (split.feature_dim != 0) throw bad_input(what + ": feature_dim given but no features");
  } else {
    if (split.feature_dim <= 0) throw bad_input(what + ": features need a positive dim");
    const auto expected = product({k, split.per_class, split.feature_dim});
    if (split.features.size() != expected) {
      throw bad_input(
          what + ": " + std::to_string(split.features.size()) +
          " feature values, expected classes x per_class x dim = " + std::to_string(expected));
    }
  }
}

}  // namespace

bool operator==(const DbArch& a, const DbArch& b) {
  return a.cell == b.cell && a.bench_index == b.bench_index &&
         a.equivalence_class == b.equivalence_class;
}

bool operator==(const TaskSplit& a, const TaskSplit& b) {
  return std::tie(a.source_split, a.per_class, a.height, a.width, a.channels, a.images,
                  a.feature_dim, a.features) == std::tie(b.source_split, b.per_class, b.height,
                                                         b.width, b.channels, b.images,
                                                         b.feature_dim, b.features);
}

bool operator==(const DbTask& a, const DbTask& b) {
  return std::tie(a.id, a.source, a.classes, a.seed, a.feature_extractor, a.splits) ==
         std::tie(b.id, b.source, b.classes, b.seed, b.feature_extractor, b.splits);
}

bool operator==(const DbRecord& a, const DbRecord& b) {
  return std::tie(a.task, a.arch, a.accuracy, a.train_seconds, a.budget, a.seed) ==
         std::tie(b.task, b.arch, b.accuracy, b.train_seconds, b.budget, b.seed);
}

bool operator==(const DbBudget& a, const DbBudget& b) {
  return std::tie(a.id, a.name, a.recipe_json, a.epochs, a.channels, a.cells, a.lr, a.batch_size,
                  a.image_size, a.images_per_class) ==
         std::tie(b.id, b.name, b.recipe_json, b.epochs, b.channels, b.cells, b.lr, b.batch_size,
                  b.image_size, b.images_per_class);
}

bool operator==(const DbBenchmark& a, const DbBenchmark& b) {
  return std::tie(a.name, a.values, a.source, a.table_kind, a.metric, a.use) ==
         std::tie(b.name, b.values, b.source, b.table_kind, b.metric, b.use);
}

MetaDatabase::MetaDatabase() : arch_of_dense_(kNb201NumCells, -1) {
  meta_.schema_version = kMetaDatabaseSchema;
  meta_.created_by = std::string("d2a ") + kVersion;
  meta_.op_names = nb201_op_names();
}

int MetaDatabase::insert_arch(const DbArch& arch) {
  int& slot = arch_of_dense_[arch.cell.dense_index()];
  if (slot >= 0) throw bad_input("arch " + arch.cell.str() + " listed twice");
  slot = static_cast<int>(archs_.size());
  archs_.push_back(arch);
  return slot;
}

int MetaDatabase::add_arch(const Nb201Cell& cell, int bench_index) {
  const int existing = find_arch(cell);
  if (existing < 0) {
    return insert_arch({cell, bench_index, Nb201Equivalence::instance().class_of(cell)});
  }
  DbArch& arch = archs_[existing];
  if (bench_index >= 0) {
    if (arch.bench_index >= 0 && arch.bench_index != bench_index) {
      throw bad_input("arch " + cell.str() + " has benchmark index " +
                      std::to_string(arch.bench_index) + ", not " + std::to_string(bench_index));
    }
    arch.bench_index = bench_index;
  }
  return existing;
}

int MetaDatabase::find_arch(const Nb201Cell& cell) const {
  return arch_of_dense_[cell.dense_index()];
}

int MetaDatabase::add_task(DbTask task) {
  check_name("task", task.id);
  if (find_task(task.id) >= 0) throw bad_input("task '" + task.id + "' already exists");
  for (const auto& [name, split] : task.splits) check_split(task, name, split);
  const int index = static_cast<int>(tasks_.size());
  task_of_id_.emplace(task.id, index);
  tasks_.push_back(std::move(task));
  return index;
}

int MetaDatabase::find_task(std::string_view id) const {
  const auto it = task_of_id_.find(id);
  return it == task_of_id_.end() ? -1 : it->second;
}

void MetaDatabase::add_budget(DbBudget budget) {
  if (budget.name.empty()) throw bad_input("a budget needs a name");
  if (find_budget(budget.name) != nullptr) {
    throw bad_input("budget '" + budget.name + "' already exists");
  }
  if (find_budget_by_id(budget.id) != nullptr) {
    throw bad_input("budget id " + std::to_string(budget.id) + " of '" + budget.name +
                    "' is already used by '" + find_budget_by_id(budget.id)->name + "'");
  }
  if (!nlohmann::json::accept(budget.recipe_json)) {
    throw bad_input("budget '" + budget.name + "': recipe is not valid JSON");
  }
  budgets_.push_back(std::move(budget));
}

const DbBudget* MetaDatabase::find_budget(std::string_view name) const {
  for (const auto& b : budgets_) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

const DbBudget* MetaDatabase::find_budget_by_id(std::uint8_t id) const {
  for (const auto& b : budgets_) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

std::uint8_t MetaDatabase::next_budget_id() const {
  for (int id = 0; id < 256; ++id) {
    if (find_budget_by_id(static_cast<std::uint8_t>(id)) == nullptr) {
      return static_cast<std::uint8_t>(id);
    }
  }
  throw bad_input("all 256 budget ids are in use");
}

void MetaDatabase::add_record(const DbRecord& record) {
  if (record.task < 0 || record.task >= static_cast<int>(tasks_.size())) {
    throw bad_input("record refers to task " + std::to_string(record.task) + " of " +
                    std::to_string(tasks_.size()));
  }
  if (record.arch < 0 || record.arch >= static_cast<int>(archs_.size())) {
    throw bad_input("record refers to arch " + std::to_string(record.arch) + " of " +
                    std::to_string(archs_.size()));
  }
  if (find_budget_by_id(record.budget) == nullptr) {
    throw bad_input("record refers to unknown budget id " + std::to_string(record.budget));
  }
  if (!std::isfinite(record.accuracy) || !std::isfinite(record.train_seconds)) {
    throw bad_input("record of task '" + tasks_[record.task].id +
                    "' has a non-finite accuracy or time");
  }
  records_.push_back(record);
}

void MetaDatabase::set_benchmark(DbBenchmark benchmark) {
  check_name("benchmark", benchmark.name);
  if (benchmark.use != kUseEvaluationOnly && benchmark.use != kUseTrainingAllowed) {
    throw bad_input("benchmark '" + benchmark.name + "': use must be '" + kUseEvaluationOnly +
                    "' or '" + kUseTrainingAllowed + "', not '" + benchmark.use + "'");
  }
  for (auto& existing : benchmarks_) {
    if (existing.name == benchmark.name) {
      existing = std::move(benchmark);
      return;
    }
  }
  benchmarks_.push_back(std::move(benchmark));
}

const DbBenchmark* MetaDatabase::find_benchmark(std::string_view name) const {
  for (const auto& b : benchmarks_) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

std::map<std::uint8_t, std::int64_t> MetaDatabase::record_counts_by_budget() const {
  std::map<std::uint8_t, std::int64_t> counts;
  for (const auto& r : records_) ++counts[r.budget];
  return counts;
}

std::vector<std::int32_t> MetaDatabase::equivalence_classes_with_records() const {
  std::set<std::int32_t> classes;
  for (const auto& r : records_) classes.insert(archs_[r.arch].equivalence_class);
  return {classes.begin(), classes.end()};
}

}  // namespace d2a
