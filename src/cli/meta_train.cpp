// d2a meta-train: meta-train MetaD2A (set encoders, generator, predictor) on meta-databases and
// write a meta-model directory (meta/meta_model.h) that `d2a suggest` reads.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include "d2a/bench/nb201_table.h"
#include "d2a/cli/common.h"
#include "d2a/cli/distributed_options.h"
#include "d2a/db/meta_database.h"
#include "d2a/dist/process_group.h"
#include "d2a/error.h"
#include "d2a/interrupt.h"
#include "d2a/meta/bench_columns.h"
#include "d2a/meta/meta_model.h"
#include "d2a/meta/meta_trainer.h"
#include "d2a/output_lock.h"
#include "d2a/progress.h"
#include "d2a/version.h"

namespace d2a::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDefaultFeatures = "models/features";

struct MetaTrainCommandOptions {
  std::vector<std::string> databases;
  std::string out;
  std::string features = kDefaultFeatures;
  std::string bench_columns;
  std::string bench;
  bool resume = false;
  bool no_generator = false;
  double residual_weight = 1.0;  // stored in the saved predictor; not a training option
  bool dataset_gate = false;     // scale it by the data's distance from the database's tasks
  MetaTrainOptions train;
  DistributedOptions distributed;
};

// Every check that needs no heavy reading, before any work starts.
std::vector<std::string> validate(const MetaTrainCommandOptions& o) {
  for (const auto& db : o.databases) {
    if (!fs::is_regular_file(db)) throw bad_input(db + ": no such meta-database");
  }
  if (!fs::exists(o.features)) {
    throw bad_input(o.features + ": no such feature extractor (train one with `d2a features train`, "
                    "or pass --features DIR_OR_TORCHSCRIPT_FILE)");
  }
  std::vector<std::string> columns;
  if (!o.bench_columns.empty()) {
    columns = parse_bench_column_list(o.bench_columns);
    for (const auto& c : columns) {
      if (is_held_out_metric(c)) {
        throw bad_input("--bench-columns: refusing '" + c +
                        "': CIFAR-10 is the held-out target, nothing that trains a model may read "
                        "its accuracies (use cifar100-* or imagenet16-120-*)");
      }
    }
    if (o.bench.empty()) throw bad_input("--bench-columns needs --bench TABLE.csv (a NAS-Bench-201 accuracy table)");
    if (!fs::is_regular_file(o.bench)) throw bad_input(o.bench + ": no such benchmark table");
  } else if (!o.bench.empty()) {
    throw bad_input("--bench given without --bench-columns (name the columns to learn from)");
  } else if (o.train.bench_use == "prior") {
    throw bad_input("--bench-use prior needs --bench-columns (the prior is fitted to them)");
  }
  if (o.residual_weight != 1.0 && o.train.bench_use != "prior") {
    throw bad_input("--residual-weight applies to a predictor with a prior (--bench-use prior)");
  }
  if (o.dataset_gate && o.train.bench_use != "prior") {
    throw bad_input("--dataset-gate applies to a predictor with a prior (--bench-use prior)");
  }
  const fs::path checkpoint = fs::path(o.out) / "checkpoint";
  if (!o.resume && (fs::exists(checkpoint) || fs::exists(checkpoint.string() + ".old"))) {
    throw bad_input(o.out + ": holds a meta-training checkpoint; pass --resume to continue it or "
                    "choose another --out");
  }
  o.train.validate();
  return columns;
}

std::string command_line(const MetaTrainCommandOptions& o, const CommonOptions& common) {
  std::ostringstream line;
  line << "d2a meta-train --db";
  for (const auto& db : o.databases) line << ' ' << db;
  line << " --out " << o.out << " --features " << o.features << " --epochs " << o.train.epochs
       << " --lr " << o.train.learning_rate << " --batch-size " << o.train.batch_size
       << " --images-per-class " << o.train.images_per_class << " --val-fraction "
       << o.train.validation_fraction << " --top-k " << o.train.generator_top_k << " --hidden "
       << o.train.graph_hidden << " --seed " << common.seed;
  if (o.train.standardise != "all") line << " --standardise " << o.train.standardise;
  if (!o.bench_columns.empty()) {
    line << " --bench " << o.bench << " --bench-columns " << o.bench_columns << " --bench-weight "
         << o.train.bench_weight << " --bench-use " << o.train.bench_use;
    if (o.train.bench_batch > 0) line << " --bench-batch " << o.train.bench_batch;
    if (o.residual_weight != 1.0) line << " --residual-weight " << o.residual_weight;
    if (o.dataset_gate) line << " --dataset-gate";
  }
  if (o.no_generator) line << " --no-generator";
  return line.str();
}

std::string model_card(const nlohmann::json& training, const MetaTrainer& trainer) {
  const auto& d = training["data"];
  std::ostringstream card;
  card << "# d2a meta-model (MetaD2A)\n\n"
       << "Reads a dataset (per-image features -> set encoder) and scores or generates "
          "NAS-Bench-201 cells for it. Written by `d2a meta-train` (d2a "
       << kVersion << ").\n\n## Data\n\n";
  for (const auto& db : training["databases"]) {
    card << "- meta-database `" << db["path"].get<std::string>() << "`: " << db["tasks"] << " tasks, "
         << db["records"] << " records\n";
  }
  card << "- tasks used: " << d["tasks"] << " (" << d["train_tasks"] << " for training, "
       << d["validation_tasks"].size() << " held out for validation: ";
  for (std::size_t i = 0; i < d["validation_tasks"].size(); ++i) {
    card << (i ? ", " : "") << d["validation_tasks"][i].get<std::string>();
  }
  card << ")\n- feature extractor: `" << d["feature_extractor"].get<std::string>() << "`\n";
  if (d["benchmark_columns"].empty()) {
    card << "- benchmark columns: none (pure MetaD2A on the meta-database)\n";
  } else {
    for (const auto& c : d["benchmark_columns"]) {
      card << "- benchmark column `" << c["metric"].get<std::string>() << "` of `"
           << c["source"].get<std::string>() << "` (" << c["cells"] << " cells)\n";
    }
    card << "- how the columns are used: " << d["benchmark_use"].get<std::string>() << "\n";
    if (training.contains("residual_weight")) {
      card << "- `suggest` scores prior(cell) + " << training["residual_weight"].get<double>()
           << (training.value("dataset_gate", false)
                   ? " x g(data) x the dataset-conditioned term by default, g in [0, 1] falling "
                     "from 1 to 0 as the data's features lie farther from the database's tasks "
                     "(meta/dataset_gate.h)"
                   : " x the dataset-conditioned term by default")
           << " (`--residual-weight` changes it)\n";
    }
  }
  card << "- CIFAR-10: no CIFAR-10 image and no CIFAR-10 accuracy was read (the held-out "
          "target; `--bench-columns` refuses cifar10-*)\n\n## Command and seeds\n\n```\n"
       << training["command"].get<std::string>() << "\n```\n\nSeed " << training["seed"]
       << " (task split, draws, initialisation, batch order).\n\n## Metrics\n\n"
       << "| epoch | predictor loss | bench loss | generator loss | val Spearman | val prior Spearman | val MSE | val generator loss |\n"
       << "|---|---|---|---|---|---|---|---|\n";
  char row[256];
  for (const auto& r : trainer.history()) {
    std::snprintf(row, sizeof row, "| %d%s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f%s |\n", r.epoch,
                  r.best_predictor ? " *" : "", r.predictor_loss, r.bench_loss, r.generator_loss,
                  r.validation_spearman, r.validation_prior_spearman, r.validation_mse, r.validation_generator_loss,
                  r.best_generator ? " *" : "");
    card << row;
  }
  card << "\nKept: the predictor of epoch " << trainer.best_predictor_epoch()
       << " (best validation Spearman, averaged per held-out task, plus the prior's Spearman on the held-out benchmark cells when there is a prior) and the generator of epoch "
       << trainer.best_generator_epoch() << " (lowest validation VAE loss).\n\n## Limits\n\n"
       << "- Validation tasks come from the same sources as the training tasks (other class "
          "subsets), so the validation Spearman is optimistic for a dataset unlike them.\n"
       << "- The meta-database accuracies come from short training budgets; rankings at full "
          "budget can differ.\n";
  return card.str();
}

}  // namespace

void add_meta_train_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand("meta-train", "Meta-train MetaD2A on meta-databases");
  command->footer(
      "Extracts per-image features of every task (cached in MODEL_DIR/cache), holds out a "
      "seeded share of the tasks for validation, and trains the predictor (MSE on standardised "
      "accuracy; the epoch with the best validation Spearman is kept) and the generator (VAE "
      "on the top-k cells of each task). --bench-columns adds NAS-Bench-201 columns (e.g. "
      "cifar100-test,imagenet16-120-test of --bench nb201_test_acc_200ep.csv) as image-less "
      "tasks; CIFAR-10 columns are refused. A checkpoint is written every epoch; --resume "
      "continues it.\n\n"
      "Data parallel: started by torchrun or srun (as d2a train), each process takes its share "
      "of every batch of records and benchmark cells and the gradients are averaged over the "
      "processes; rank 0 writes --out and reports.");
  auto o = std::make_shared<MetaTrainCommandOptions>();
  command->add_option("--db", o->databases, "Meta-databases (.h5)")->required();
  command->add_option("--out", o->out, "Meta-model directory to write")->required();
  command->add_option("--features", o->features, "Feature extractor: d2a directory or TorchScript file")
      ->capture_default_str();
  command->add_option("--epochs", o->train.epochs, "Epochs")->check(CLI::Range(1, 100000))->capture_default_str();
  command->add_flag("--resume", o->resume, "Continue the checkpoint in --out");
  command->add_option("--bench-columns", o->bench_columns,
                      "Benchmark columns to learn from, comma-separated (never cifar10-*)");
  command->add_option("--bench", o->bench, "NAS-Bench-201 table holding --bench-columns");
  command->add_option("--bench-weight", o->train.bench_weight, "Weight of the benchmark loss")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_option("--bench-use", o->train.bench_use,
                      "How the columns teach the predictor: 'task' (each column an image-less task "
                      "with a learned dataset vector) or 'prior' (a dataset-agnostic prior(cell) "
                      "term fitted to the columns, the database fitting the dataset-conditioned "
                      "residual)")
      ->check(CLI::IsMember({"task", "prior"}))
      ->capture_default_str();
  command->add_option("--residual-weight", o->residual_weight,
                      "With --bench-use prior: the weight of the dataset-conditioned term that "
                      "`suggest` uses by default (stored in the model; training always fits it "
                      "at 1; changing it on a finished run with --resume re-writes the model "
                      "without training)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  command->add_flag("--dataset-gate", o->dataset_gate,
                    "With --bench-use prior: scale the residual weight by how close the data's "
                    "features lie to the database's tasks (full weight as close as a typical new "
                    "source, none beyond the farthest), so data unlike any task is ranked by the "
                    "prior alone; like --residual-weight, settable on a finished run with --resume");
  command->add_option("--standardise", o->train.standardise,
                      "Database targets standardised over 'all' training records (MetaD2A) or "
                      "within each 'task' (the cell terms then explain rankings, not task "
                      "difficulty; a task head predicts each task's mean and spread)")
      ->check(CLI::IsMember({"all", "task"}))
      ->capture_default_str();
  command->add_option("--bench-batch", o->train.bench_batch,
                      "Benchmark cells per step (0 = --batch-size)")
      ->check(CLI::Range(0, 65536))
      ->capture_default_str();
  command->add_option("--lr", o->train.learning_rate, "Adam learning rate")
      ->check(positive_real())
      ->capture_default_str();
  command->add_option("--batch-size", o->train.batch_size, "Records per batch")->check(CLI::Range(1, 4096))->capture_default_str();
  command->add_option("--images-per-class", o->train.images_per_class, "Images per class of a dataset draw")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  command->add_option("--val-fraction", o->train.validation_fraction, "Share of tasks held out")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  command->add_option("--top-k", o->train.generator_top_k, "Cells per task the generator learns")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command->add_option("--hidden", o->train.graph_hidden, "GRU width of graph encoder and decoder")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  command->add_flag("--no-generator", o->no_generator, "Train the predictor only");
  add_distributed_options(command, o->distributed);

  set_action(command, action, [o](const CommonOptions& options, const std::string& device_name) {
    o->train.seed = options.seed;
    o->train.train_generator = !o->no_generator;
    const std::vector<std::string> metrics = validate(*o);
    // Data parallel (torchrun, srun): every rank reads the data and validates; each trains on
    // its share of every batch; rank 0 alone uses the feature cache (the others compute the
    // features, so that no two processes write one file), writes the checkpoints and the
    // model, and reports.
    join_distributed_job(o->distributed, device_name, options.threads);
    dist::ProcessGroup& group = dist::world();
    const bool root = group.is_root();
    const bool quiet = !root;        // logs (progress, epochs) go to stderr, --json or not
    std::optional<OutputLock> lock;  // one writer per model folder: rank 0, the one that writes
    if (root) lock.emplace(o->out, true, invocation());
    const fs::path out(o->out);
    const fs::path checkpoint = out / "checkpoint";

    // The cheap reads first, so that a wrong column fails before minutes of feature extraction.
    std::vector<BenchColumn> columns;
    if (!metrics.empty()) columns = select_bench_columns(Nb201Table::load(o->bench), metrics);
    const FeatureExtractor extractor = FeatureExtractor::load(o->features);
    MetaTrainingSet set;
    nlohmann::json databases = nlohmann::json::array();
    for (const auto& path : o->databases) {
      const MetaDatabase db = MetaDatabase::load(path);
      Progress progress("features " + fs::path(path).filename().string(),
                        static_cast<std::int64_t>(db.tasks().size()), "tasks", quiet);
      const std::size_t before = set.samples.size();
      add_database(set, db, path, extractor, root ? (out / "cache").string() : std::string(),
                   [&](std::size_t done, std::size_t) { progress.set(static_cast<std::int64_t>(done)); });
      progress.finish();
      nlohmann::json budgets = nlohmann::json::array();
      for (const DbBudget& b : db.budgets()) {
        budgets.push_back(nlohmann::json::parse(b.recipe_json));
      }
      databases.push_back({{"path", path},
                           {"tasks", db.tasks().size()},
                           {"records", db.records().size()},
                           {"samples", set.samples.size() - before},
                           {"budgets", budgets}});
    }

    MetaTrainer trainer(std::move(set), std::move(columns), o->train);
    if (o->resume && (fs::exists(checkpoint) || fs::exists(checkpoint.string() + ".old"))) {
      trainer.load_checkpoint(checkpoint.string());
      if (!quiet) {
        std::fprintf(stderr, "resuming after epoch %d of %d\n", trainer.epochs_done(), o->train.epochs);
      }
    }

    nlohmann::json training = {{"command", command_line(*o, options)},
                               {"seed", options.seed},
                               {"databases", databases},
                               {"data", trainer.describe()}};
    if (o->train.bench_use == "prior") {
      training["residual_weight"] = o->residual_weight;
      training["dataset_gate"] = o->dataset_gate;
    }
    // The gate's references: each task's mean feature vector (its train split's images).
    std::optional<DatasetGate> gate;
    if (o->dataset_gate) {
      std::vector<std::vector<float>> summaries;
      std::vector<std::string> sources;
      for (const MetaTask& task : trainer.data().tasks) {
        const torch::Tensor mean = task.features.mean(std::vector<int64_t>{0, 1}).contiguous();
        summaries.emplace_back(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
        sources.push_back(task.source);
      }
      gate = DatasetGate::fit(std::move(summaries), std::move(sources), o->residual_weight);
    }
    auto write_model = [&] {
      nlohmann::json history = nlohmann::json::array();
      for (const auto& r : trainer.history()) history.push_back(r.to_json());
      const MetaEpochReport* best = nullptr;
      for (const auto& r : trainer.history()) {
        if (r.epoch == trainer.best_predictor_epoch()) best = &r;
      }
      training["metrics"] = {{"epochs_done", trainer.epochs_done()},
                             {"best_predictor_epoch", trainer.best_predictor_epoch()},
                             {"best_generator_epoch", trainer.best_generator_epoch()},
                             {"validation_spearman", best ? best->validation_spearman : 0.0},
                             {"validation_mse", best ? best->validation_mse : 0.0},
                             {"history", history}};
      Predictor predictor = trainer.best_predictor();
      if (predictor->options.prior()) predictor->options.residual_weight(o->residual_weight);
      MetaModel model{extractor,
                      trainer.best_generator(),
                      predictor,
                      trainer.accuracy_mean(),
                      trainer.accuracy_std(),
                      o->train.images_per_class,
                      {{"training", training}},
                      gate,
                      torch::Tensor()};
      save_meta_model(o->out, model, model_card(training, trainer));
      return model;
    };

    const InterruptScope interrupts;  // Ctrl-C / SIGTERM: finish the epoch, save, stop
    while (trainer.epochs_done() < o->train.epochs) {
      const MetaEpochReport r = trainer.train_epoch();
      const bool stop = group.any(interrupt_requested()) && trainer.epochs_done() < o->train.epochs;
      if (!root) {
        if (stop) return kInterruptedExitStatus;
        continue;
      }
      trainer.save_checkpoint(checkpoint.string());
      if (!quiet) {
        std::fprintf(stderr,
                     "epoch %d/%d  pred %.4f  bench %.4f  gen %.4f  val spearman %.4f  prior %.4f%s  "
                     "val mse %.4f  val gen %.4f%s  %.0f s\n",
                     r.epoch, o->train.epochs, r.predictor_loss, r.bench_loss, r.generator_loss,
                     r.validation_spearman, r.validation_prior_spearman, r.best_predictor ? "*" : " ", r.validation_mse,
                     r.validation_generator_loss, r.best_generator ? "*" : " ", r.seconds);
      }
      if (r.best_predictor || r.best_generator) write_model();
      if (stop) {
        std::fprintf(stderr,
                     "d2a: meta-train stopped by %s after epoch %d of %d, saved in %s: run the "
                     "same command with --resume to continue\n",
                     interrupt_signal_name()[0] != '\0' ? interrupt_signal_name() : "a signal",
                     trainer.epochs_done(), o->train.epochs, checkpoint.string().c_str());
        return kInterruptedExitStatus;
      }
    }
    if (!root) return 0;
    // Final metrics, and a model even when the checkpoint was already complete; then the cache
    // of the space's embeddings that suggest's percentiles read.
    save_space_embeddings(o->out, write_model());

    const nlohmann::json& metrics_json = training["metrics"];
    const nlohmann::json result = {{"out", o->out},
                                   {"epochs_done", trainer.epochs_done()},
                                   {"best_predictor_epoch", trainer.best_predictor_epoch()},
                                   {"best_generator_epoch", trainer.best_generator_epoch()},
                                   {"validation_spearman", metrics_json["validation_spearman"]},
                                   {"train_records", trainer.train_samples()},
                                   {"validation_records", trainer.validation_samples()},
                                   {"benchmark_columns", metrics},
                                   {"feature_extractor", extractor.id()},
                                   {"seed", options.seed}};
    print_result(options, result, [&](std::ostream& os) {
      os << "Wrote " << o->out << "\n"
         << "  epochs:               " << trainer.epochs_done() << "\n"
         << "  records:              " << trainer.train_samples() << " train, "
         << trainer.validation_samples() << " validation\n"
         << "  validation Spearman:  " << metrics_json["validation_spearman"].get<double>()
         << " (epoch " << trainer.best_predictor_epoch() << ")\n"
         << "  feature extractor:    " << extractor.id() << "\n";
    });
    return 0;
  });
}

}  // namespace d2a::cli
