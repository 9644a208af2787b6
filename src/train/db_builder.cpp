#include "d2a/train/db_builder.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <tuple>

#include "d2a/data/open_image_set.h"
#include "d2a/data/task_sampler.h"
#include "d2a/db/meta_database.h"
#include "d2a/db/task_images.h"
#include "d2a/error.h"
#include "d2a/interrupt.h"
#include "d2a/meta/feature_extractor.h"
#include "d2a/progress.h"
#include "d2a/space/nb201_graph.h"
#include "d2a/train/budget.h"
#include "d2a/train/trainer.h"

namespace d2a {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void validate(const DbBuildOptions& o) {
  if (o.data.empty()) throw bad_input("db build: --data needs at least one image source");
  if (o.out.empty()) throw bad_input("db build: --out is required");
  if (o.tasks <= 0) throw bad_input("db build: --tasks must be at least 1");
  if (o.archs_per_task < 0 || o.archs_per_task > 6466) {
    throw bad_input("db build: --archs-per-task must be in [0, 6466]");
  }
  if (o.archs_per_task == 0 && o.extra_cells.empty()) {
    throw bad_input("db build: nothing to train (--archs-per-task 0 and no --arch)");
  }
  if (o.min_classes < 2 || o.max_classes < o.min_classes) {
    throw bad_input("db build: classes per task must satisfy 2 <= --min-classes <= --max-classes");
  }
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count) {
    throw bad_input("db build: --shard " + std::to_string(o.shard_index) + "/" +
                    std::to_string(o.shard_count) + " is not I/N with 0 <= I < N");
  }
  if (o.repeats < 1 || o.repeats > 100) throw bad_input("db build: --repeats must be in [1, 100]");
  if (o.test_split != "train" && o.test_split != "test") {
    throw bad_input("db build: --test-split must be 'train' or 'test', got '" + o.test_split + "'");
  }
  if (std::filesystem::exists(o.out) && !o.resume) {
    throw bad_input(o.out + ": exists; pass --resume to continue it, or choose another --out");
  }
}

Budget effective_budget(const DbBuildOptions& o) {
  Budget budget = apply_overrides(find_budget(o.budget), o.overrides);
  check_nb201_budget(budget);  // the records are NAS-Bench-201 cells
  if (budget.train_per_class == 0) {
    throw bad_input("db build: budget '" + budget.name +
                    "' takes all training images; a task needs a fixed count per class "
                    "(--train-per-class N)");
  }
  if (budget.test_per_class == 0 && o.test_split == "train") {
    throw bad_input("db build: budget '" + budget.name +
                    "' takes all test images, which only --test-split test can give "
                    "(or set --test-per-class N)");
  }
  return budget;
}

DbBudget to_db_budget(const Budget& budget, std::uint8_t id) {
  DbBudget b;
  b.id = id;
  b.name = budget.name;
  b.recipe_json = budget.to_json().dump();
  b.epochs = budget.recipe.epochs;
  b.channels = budget.channels;
  b.cells = budget.cells_per_stage;
  b.lr = budget.recipe.learning_rate;
  b.batch_size = budget.recipe.batch_size;
  b.image_size = budget.image_size;
  b.images_per_class = budget.train_per_class;
  return b;
}

DbTask to_db_task(const std::string& id, const std::string& source, const Task& task, int classes) {
  DbTask t;
  t.id = id;
  t.source = source;
  t.classes = task.class_names;
  t.seed = task.seed;
  t.splits["train"] = to_task_split(task.train, classes, task.train.split);
  t.splits["test"] = to_task_split(task.test, classes, task.test.split);
  return t;
}

// Draws `count` distinct equivalence classes uniformly and returns their representatives.
std::vector<Nb201Cell> draw_cells(std::mt19937_64& rng, int count) {
  const auto& eq = Nb201Equivalence::instance();
  std::vector<Nb201Cell> cells;
  for (std::size_t c : sample_without_replacement(rng, eq.num_classes(), count)) {
    cells.push_back(eq.representative(static_cast<int>(c)));
  }
  return cells;
}

}  // namespace

std::string db_task_id(std::uint64_t seed, int task) {
  return "s" + std::to_string(seed) + "-t" + std::to_string(task);
}

std::uint64_t db_task_seed(std::uint64_t seed, int task) {
  return splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(task));
}

std::int32_t db_record_seed(std::uint64_t task_seed, const Nb201Cell& cell, int repeat) {
  const std::uint64_t first = splitmix64(task_seed ^ cell.dense_index());
  // Repeat 0 keeps the seed builds without repeats always had.
  const std::uint64_t seed =
      repeat == 0 ? first : splitmix64(first ^ static_cast<std::uint64_t>(repeat));
  return static_cast<std::int32_t>(seed & 0x7fffffff);
}

std::vector<int> db_shard_tasks(int tasks, int shard_index, int shard_count) {
  std::vector<int> mine;
  for (int t = shard_index; t < tasks; t += shard_count) mine.push_back(t);
  return mine;
}

DbBuildSummary build_meta_database(const DbBuildOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  validate(o);
  const Budget budget = effective_budget(o);
  const torch::Device device(o.device == "cuda" ? torch::kCUDA : torch::kCPU);

  // Open every source first, so a bad SPEC fails before any training.
  std::vector<ImageSet> sources, test_sources;
  DataOptions data_options;
  data_options.split = "train";
  // Task images train the records' cells at the budget's side and are kept in the database for
  // meta-training, whose feature extractors read them at FeatureInput's side.
  data_options.max_side = std::max(budget.image_size, FeatureInput{}.image_size);
  for (const auto& spec : o.data) sources.push_back(open_image_set(spec, data_options));
  if (o.test_split == "test") {
    data_options.split = "test";
    for (std::size_t s = 0; s < o.data.size(); ++s) {
      test_sources.push_back(open_image_set(o.data[s], data_options));
      if (test_sources.back().split != "test") {
        throw bad_input(o.data[s] +
                        ": has no test split (--test-split test needs train/ and test/)");
      }
    }
  }
  for (std::size_t s = 0; s < sources.size(); ++s) {
    if (sources[s].num_classes() < static_cast<std::size_t>(o.min_classes)) {
      throw bad_input(o.data[s] + ": has " + std::to_string(sources[s].num_classes()) +
                      " classes, fewer than --min-classes " + std::to_string(o.min_classes));
    }
  }

  // Draw each source's smallest task once before the output exists: a source too small for the
  // budget then fails with nothing written, and the rerun with other flags needs no --resume.
  for (std::size_t s = 0; s < sources.size(); ++s) {
    TaskShape shape;
    shape.num_classes = o.min_classes;
    shape.train_per_class = budget.train_per_class;
    shape.test_per_class = budget.test_per_class;
    const TaskSampler sampler(sources[s]);
    try {
      if (test_sources.empty()) {
        sampler.sample(shape, 0);
      } else {
        sampler.sample(shape, 0, test_sources[s]);
      }
    } catch (const Error& e) {
      const std::string what = e.what();
      if (e.kind() != ErrorKind::kBadInput || what.find("a task takes") == std::string::npos) throw;
      throw bad_input(what + "; --train-per-class and --test-per-class set how many");
    }
  }

  MetaDatabase db = std::filesystem::exists(o.out) ? MetaDatabase::load(o.out) : MetaDatabase();
  std::uint8_t budget_id;
  if (const DbBudget* have = db.find_budget(budget.name)) {
    if (have->recipe_json != budget.to_json().dump()) {
      throw bad_input(o.out + ": budget '" + budget.name +
                      "' is stored with another recipe than this d2a's");
    }
    budget_id = have->id;
  } else {
    budget_id = db.next_budget_id();
    db.add_budget(to_db_budget(budget, budget_id));
  }
  db.save(o.out);  // fails now, not after the first record, if `out` cannot be written

  const std::vector<int> my_tasks = db_shard_tasks(o.tasks, o.shard_index, o.shard_count);
  const int per_task = (o.archs_per_task + static_cast<int>(o.extra_cells.size())) * o.repeats;
  DbBuildSummary summary;
  summary.out = o.out;
  summary.budget = budget.name;
  summary.tasks = static_cast<int>(my_tasks.size());
  Progress progress("db build", static_cast<std::int64_t>(my_tasks.size()) * per_task, "records",
                    o.quiet);

  // The records already in the file (a resumed build skips them), by what identifies one.
  using RecordKey = std::tuple<std::int32_t, std::int32_t, std::uint8_t, std::int32_t>;
  std::set<RecordKey> done;
  for (const DbRecord& r : db.records()) done.insert({r.task, r.arch, r.budget, r.seed});

  for (int t : my_tasks) {
    const std::size_t s = static_cast<std::size_t>(t) % sources.size();
    const ImageSet& source = sources[s];
    const std::uint64_t task_seed = db_task_seed(o.seed, t);
    std::mt19937_64 rng(task_seed);
    const int max_k = std::min<int>(o.max_classes, static_cast<int>(source.num_classes()));
    const int min_k = o.min_classes;  // every source has at least this many (checked above)
    TaskShape shape;
    shape.num_classes = min_k + static_cast<int>(uniform_below(rng, max_k - min_k + 1));
    shape.train_per_class = budget.train_per_class;
    shape.test_per_class = budget.test_per_class;
    const TaskSampler sampler(source);
    const Task task = test_sources.empty() ? sampler.sample(shape, task_seed)
                                           : sampler.sample(shape, task_seed, test_sources[s]);
    std::vector<Nb201Cell> cells = draw_cells(rng, o.archs_per_task);
    cells.insert(cells.end(), o.extra_cells.begin(), o.extra_cells.end());

    const std::string id = db_task_id(o.seed, t);
    DbTask db_task = to_db_task(id, o.data[s], task, static_cast<int>(shape.num_classes));
    int task_pos = db.find_task(id);
    if (task_pos >= 0) {
      if (!(db.tasks()[task_pos] == db_task)) {
        throw bad_input(o.out + ": task '" + id +
                        "' differs from the one these options draw: it was built with other "
                        "--data, --seed or budget; use another --out");
      }
    } else {
      task_pos = db.add_task(std::move(db_task));
    }

    const TrainTestData data = make_train_test_data(task.train, task.test, budget.image_size);

    for (const Nb201Cell& cell : cells) {
      const int arch_pos = db.add_arch(cell);
      for (int repeat = 0; repeat < o.repeats; ++repeat) {
        const auto record_seed = db_record_seed(task_seed, cell, repeat);
        if (done.count({task_pos, arch_pos, budget_id, record_seed}) > 0) {
          ++summary.records_skipped;
          progress.advance(1, id + " (resumed)");
          continue;
        }
        const TrainResult result =
            train_and_evaluate(cell, data.train, data.test, budget, record_seed, device);
        DbRecord record;
        record.task = task_pos;
        record.arch = arch_pos;
        record.accuracy = static_cast<float>(result.test_accuracy);
        record.train_seconds = static_cast<float>(result.train_seconds);
        record.budget = budget_id;
        record.seed = record_seed;
        db.add_record(record);
        done.insert({record.task, record.arch, record.budget, record.seed});
        db.save(o.out);
        ++summary.records_added;
        summary.train_seconds += result.train_seconds;
        char note[96];
        std::snprintf(note, sizeof note, "%s  last %.1f%%", id.c_str(), result.test_accuracy);
        progress.advance(1, note);
        if (interrupt_requested()) {  // the record in flight is saved: stop here
          summary.interrupted = true;
          break;
        }
      }
      if (summary.interrupted) break;
    }
    if (summary.interrupted) break;
  }
  progress.finish();
  summary.records_total = static_cast<int>(db.records().size());
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace d2a
