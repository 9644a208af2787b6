#include "d2a/db/merge.h"

#include <map>
#include <tuple>

#include "d2a/error.h"

namespace d2a {
MetaDatabase merge_databases(const std::vector<std::pair<std::string, MetaDatabase>>& inputs) {
  if (inputs.empty()) throw bad_input("db merge: no input databases");
  MetaDatabase out;
  // The input each task, budget and benchmark came from, for messages that name both inputs.
  std::map<std::string, std::string> task_origin, budget_origin, benchmark_origin;
  // (task id, cell dense index, budget name, seed) -> input that holds the record
  std::map<std::tuple<std::string, int, std::string, std::int32_t>, std::string> record_origin;

  for (const auto& [name, db] : inputs) {
    for (const DbBenchmark& bench : db.benchmarks()) {
      if (const DbBenchmark* have = out.find_benchmark(bench.name)) {
        if (!(*have == bench)) {
          throw bad_input("db merge: benchmark '" + bench.name + "' differs between " +
                          benchmark_origin[bench.name] + " and " + name);
        }
        continue;
      }
      out.set_benchmark(bench);
      benchmark_origin[bench.name] = name;
    }

    std::map<std::uint8_t, std::uint8_t> budget_id;  // this input's id -> merged id
    for (const DbBudget& budget : db.budgets()) {
      if (const DbBudget* have = out.find_budget(budget.name)) {
        DbBudget renumbered = budget;
        renumbered.id = have->id;
        if (!(renumbered == *have)) {
          throw bad_input("db merge: budget '" + budget.name + "' has a different recipe in " +
                          budget_origin[budget.name] + " and " + name);
        }
        budget_id[budget.id] = have->id;
        continue;
      }
      DbBudget added = budget;
      if (out.find_budget_by_id(added.id) != nullptr) added.id = out.next_budget_id();
      budget_id[budget.id] = added.id;
      out.add_budget(added);
      budget_origin[budget.name] = name;
    }

    std::vector<int> task_pos(db.tasks().size());
    for (std::size_t t = 0; t < db.tasks().size(); ++t) {
      const DbTask& task = db.tasks()[t];
      const int have = out.find_task(task.id);
      if (have >= 0) {
        if (!(out.tasks()[have] == task)) {
          throw bad_input("db merge: task '" + task.id + "' differs between " +
                          task_origin[task.id] + " and " + name +
                          " (built with other data or settings?)");
        }
        task_pos[t] = have;
        continue;
      }
      task_pos[t] = out.add_task(task);
      task_origin[task.id] = name;
    }

    std::vector<int> arch_pos(db.archs().size());
    for (std::size_t a = 0; a < db.archs().size(); ++a) {
      arch_pos[a] = out.add_arch(db.archs()[a].cell, db.archs()[a].bench_index);
    }

    for (const DbRecord& record : db.records()) {
      const DbTask& task = db.tasks().at(record.task);
      const Nb201Cell& cell = db.archs().at(record.arch).cell;
      const DbBudget* budget = db.find_budget_by_id(record.budget);
      const auto key = std::make_tuple(task.id, cell.dense_index(), budget->name, record.seed);
      auto [it, inserted] = record_origin.emplace(key, name);
      if (!inserted) {
        throw bad_input("db merge: overlapping inputs: " + it->second + " and " + name +
                        " both hold the record of task '" + task.id + "', cell " + cell.str() +
                        ", budget '" + budget->name + "'");
      }
      DbRecord merged = record;
      merged.task = task_pos[record.task];
      merged.arch = arch_pos[record.arch];
      merged.budget = budget_id.at(record.budget);
      out.add_record(merged);
    }
  }
  return out;
}

}  // namespace d2a
