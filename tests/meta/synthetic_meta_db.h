#pragma once
// A tiny meta-database made in the test: tasks of synthetic grey images whose accuracy depends
// on the cell in a task-dependent, learnable way. Tasks of type 0 have bright images and reward
// 3x3 convolutions; tasks of type 1 have dark images and reward skip connections and pooling.
// A predictor that ignores the dataset cannot rank both kinds, so a rising per-task validation
// Spearman shows that the dataset encoding is used. No torch here.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "d2a/db/meta_database.h"
#include "d2a/space/nb201.h"

namespace d2a::test {

inline float synthetic_accuracy(const Nb201Cell& cell, int type) {
  float score = 50;
  for (std::size_t e = 0; e < cell.ops().size(); ++e) {
    const Nb201Op op = cell.ops()[e];
    const float weight = 1.0f + 0.25f * static_cast<float>(e);  // later edges matter more
    if (type == 0) {
      score += op == Nb201Op::kNorConv3x3 ? 4 * weight : op == Nb201Op::kNorConv1x1 ? 2 * weight : 0;
    } else {
      score += op == Nb201Op::kSkipConnect ? 4 * weight : op == Nb201Op::kAvgPool3x3 ? 2 * weight : 0;
    }
  }
  return score;
}

// `num_tasks` tasks (types alternate), `classes` classes x `per_class` images of side `side`,
// `cells_per_task` distinct cells each (one run each, plus a second run of the first cell so
// that averaging is exercised).
inline MetaDatabase synthetic_meta_db(int num_tasks, int cells_per_task, unsigned seed,
                                      int classes = 3, int per_class = 24, int side = 8) {
  std::mt19937 rng(seed);
  MetaDatabase db;
  DbBudget budget;
  budget.id = 0;
  budget.name = "synthetic";
  db.add_budget(budget);
  for (int t = 0; t < num_tasks; ++t) {
    const int type = t % 2;
    DbTask task;
    task.id = "syn-" + std::to_string(t);
    task.source = type == 0 ? "synthetic-bright" : "synthetic-dark";
    for (int k = 0; k < classes; ++k) task.classes.push_back("c" + std::to_string(k));
    task.seed = seed + t;
    TaskSplit split;
    split.source_split = "train";
    split.per_class = per_class;
    split.height = split.width = side;
    split.channels = 1;
    for (int k = 0; k < classes; ++k) {
      for (int i = 0; i < per_class; ++i) {
        for (int p = 0; p < side * side; ++p) {
          // Class k draws a stripe pattern; the type sets the brightness.
          const int stripe = ((p % side) + k) % 3 == 0 ? 60 : 0;
          const int base = type == 0 ? 150 : 20;
          split.images.push_back(static_cast<std::uint8_t>(base + stripe + rng() % 40));
        }
      }
    }
    task.splits["train"] = split;
    const int task_pos = db.add_task(task);
    std::vector<int> seen;
    while (static_cast<int>(seen.size()) < cells_per_task) {
      const Nb201Cell cell = Nb201Cell::from_dense_index(static_cast<int>(rng() % kNb201NumCells));
      const int arch = db.add_arch(cell);
      bool repeat = false;
      for (int s : seen) repeat |= s == arch;
      if (repeat) continue;
      seen.push_back(arch);
      DbRecord record;
      record.task = task_pos;
      record.arch = arch;
      record.accuracy = synthetic_accuracy(cell, type) + static_cast<float>(rng() % 100) / 100.0f;
      db.add_record(record);
      if (seen.size() == 1) {
        record.accuracy += 1.0f;  // a second run of the first cell: averaged to +0.5
        record.seed = 1;
        db.add_record(record);
      }
    }
  }
  return db;
}

}  // namespace d2a::test
