// d2a db build: train sampled cells on sampled tasks and record their accuracies.

#include <cstdio>
#include <cstdlib>

#include "d2a/cli/budget_options.h"
#include "d2a/cli/common.h"
#include "d2a/dist/launch_env.h"
#include "d2a/error.h"
#include "d2a/interrupt.h"
#include "d2a/output_lock.h"
#include "d2a/space/cell_list.h"
#include "d2a/train/budget.h"
#include "d2a/train/db_builder.h"

namespace d2a::cli {
namespace {

// "I/N" with 0 <= I < N, or "auto" / "auto/N" from the scheduler's variables.
std::pair<int, int> parse_shard(const std::string& text) {
  if (text.rfind("auto", 0) == 0) {
    return dist::scheduler_shard(text, [](const char* name) { return std::getenv(name); });
  }
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used_i = 0, used_n = 0;
    const int i = std::stoi(text.substr(0, slash), &used_i);
    const int n = std::stoi(text.substr(slash + 1), &used_n);
    if (used_i != slash || used_n != text.size() - slash - 1) throw std::invalid_argument("junk");
    if (n < 1 || i < 0 || i >= n) throw std::out_of_range("range");
    return {i, n};
  } catch (const std::exception&) {
    throw bad_input("--shard '" + text + "': expected I/N with 0 <= I < N (e.g. 0/4 ... 3/4)");
  }
}

}  // namespace

void add_db_build(CLI::App* db, Action& action) {
  auto* command = db->add_subcommand(
      "build", "Sample tasks from image data, train sampled cells on them, record accuracies");
  command->footer(
      "Task t draws K classes (uniform in [--min-classes, --max-classes]) from source "
      "t mod (number of --data), then the budget's images per class for training and testing "
      "(both from the source's train split, disjoint; or the test images from its test split with "
      "--test-split test), and --archs-per-task cells uniformly over "
      "the 6,466 equivalence classes. Every (task, cell) pair is trained under the budget and "
      "its test accuracy appended. The file is rewritten atomically after every record: kill "
      "the build at any moment and run the same command with --resume to continue. "
      "--shard I/N builds only the tasks t with t mod N = I, so N processes (a Slurm array, a "
      "Kubernetes indexed job, N shells) split the work; join them with `d2a db merge`. "
      "--shard auto takes I and N from a Slurm job array (SLURM_ARRAY_TASK_ID, "
      "SLURM_ARRAY_TASK_COUNT); --shard auto/N takes I from a Kubernetes Indexed Job "
      "(JOB_COMPLETION_INDEX). tools/cluster/ has an sbatch script and a Job manifest.");
  auto o = std::make_shared<DbBuildOptions>();
  auto shard = std::make_shared<std::string>("0/1");
  auto cells = std::make_shared<std::vector<std::string>>();
  auto cells_file = std::make_shared<std::string>();
  command->add_option("--data", o->data, data_help(true))->required();
  command->add_option("--out", o->out, "Meta-database to write (.h5)")->required();
  command->add_option("--tasks", o->tasks, "Tasks in the whole build (all shards)")->required();
  command->add_option("--archs-per-task", o->archs_per_task, "Cells drawn per task")->required();
  command->add_option("--arch", *cells, "A cell trained on every task as well (repeatable)");
  command->add_option("--archs-file", *cells_file,
                      "File of cells (one per line) trained on "
                      "every task as well");
  command->add_option("--min-classes", o->min_classes, "Fewest classes per task")
      ->capture_default_str();
  command->add_option("--max-classes", o->max_classes, "Most classes per task")
      ->capture_default_str();
  add_budget_options(command, o->budget, "Training budget (default cpu-fast)", o->overrides);
  command
      ->add_option("--test-split", o->test_split,
                   "Draw the test images from the source's 'train' split (disjoint from the "
                   "training images) or its own 'test' split (unseen typefaces, themes, "
                   "pictures; --test-per-class 0 takes as many as the smallest chosen class has)")
      ->check(CLI::IsMember({"train", "test"}))
      ->capture_default_str();
  command->add_option("--repeats", o->repeats,
                      "Training runs per (task, cell), each with its own seed (their spread is "
                      "the records' noise)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  command->add_option("--shard", *shard, "Build shard I of N (0-based), or auto / auto/N (see below)")
      ->capture_default_str();
  command->add_flag("--resume", o->resume, "Continue an existing --out");
  set_action(
      command, action,
      [o, shard, cells, cells_file](const CommonOptions& options, const std::string& device) {
        std::tie(o->shard_index, o->shard_count) = parse_shard(*shard);
        *shard = std::to_string(o->shard_index) + "/" + std::to_string(o->shard_count);
        std::vector<std::string> lists = *cells;
        if (!cells_file->empty()) lists.push_back(*cells_file);
        o->extra_cells = read_cell_list(lists);
        o->seed = options.seed;
        o->device = device;
        const OutputLock lock(o->out, false, invocation());  // one writer per database
        const InterruptScope interrupts;  // Ctrl-C / SIGTERM: finish the record, save, stop
        const DbBuildSummary s = build_meta_database(*o);
        if (s.interrupted) {
          std::fprintf(stderr,
                       "d2a: %s: stopped by %s after saving %d new records (%d in the file); "
                       "run the same command with --resume to continue\n",
                       s.out.c_str(), interrupt_signal_name(), s.records_added, s.records_total);
          return kInterruptedExitStatus;
        }
        const nlohmann::json result = {
            {"out", s.out},
            {"budget", s.budget},
            {"shard", *shard},
            {"seed", o->seed},
            {"tasks", s.tasks},
            {"records_added", s.records_added},
            {"records_skipped", s.records_skipped},
            {"records_total", s.records_total},
            {"seconds", s.seconds},
            {"train_seconds", s.train_seconds},
            {"seconds_per_record", s.records_added > 0 ? s.train_seconds / s.records_added : 0.0},
        };
        print_result(options, result, [&](std::ostream& out) {
          out << s.out << ": " << s.records_added << " records added, " << s.records_skipped
              << " already there, " << s.records_total << " in total (shard " << *shard << ", "
              << s.tasks << " tasks, budget " << s.budget << ", seed " << o->seed << ")\n"
              << "  " << s.seconds << " s wall, "
              << (s.records_added > 0 ? s.train_seconds / s.records_added : 0.0)
              << " s of training per record\n";
        });
        return 0;
      });
}

}  // namespace d2a::cli
