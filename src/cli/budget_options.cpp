#include "d2a/cli/budget_options.h"

#include "d2a/cli/common.h"

namespace d2a::cli {

void add_budget_options(CLI::App* command, std::string& budget, const std::string& budget_help,
                        BudgetOverrides& overrides) {
  std::string names;
  for (const Budget& b : named_budgets()) names += "\n  " + b.name + ": " + b.description;
  command->add_option("--budget", budget, budget_help + "; one of:" + names)
      ->check(CLI::IsMember(budget_names()));
  command->add_option("--epochs", overrides.epochs, "Override the budget's epochs")
      ->check(CLI::PositiveNumber);
  command->add_option("--channels", overrides.channels, "Override C")->check(CLI::PositiveNumber);
  command
      ->add_option("--cells", overrides.cells,
                   "Override N (cells per stage; DARTS: cells in total)")
      ->check(CLI::PositiveNumber);
  command->add_option("--image-size", overrides.image_size, "Override the image side")
      ->check(CLI::Range(8, 512));
  command
      ->add_option("--train-per-class", overrides.train_per_class,
                   "Override training images per class (0 = all)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--test-per-class", overrides.test_per_class,
                   "Override test images per class (0 = all)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--batch-size", overrides.batch_size,
                   "Override the images per step (with data-parallel processes: all of them "
                   "together)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--lr", overrides.learning_rate,
                   "Override the learning rate the cosine starts from (with more data-parallel "
                   "processes and a larger --batch-size, the linear scaling rule multiplies it "
                   "by the same factor)")
      ->check(positive_real());
  command->add_flag("--no-flip", overrides.no_flip,
                    "No horizontal flips (digits, glyphs, icons: a mirror image means another "
                    "thing)");
  command
      ->add_option("--precision", overrides.precision,
                   "Forward passes in fp32 (default) or bf16 autocast: convolutions and matmuls in "
                   "bfloat16, weights, gradients and loss in float32 (a GPU, or a CPU with AMX or "
                   "AVX512-BF16, runs it faster; renames the budget '[bf16]')")
      ->check(CLI::IsMember(precision_names()));
}

}  // namespace d2a::cli
