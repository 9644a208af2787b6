// d2a space info: what the NAS-Bench-201 space holds.
#include "d2a/cli/common.h"
#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"
#include "d2a/space/nb201_graph.h"

namespace d2a::cli {

void add_space_command(CLI::App& app, Action& action) {
  auto* space = app.add_subcommand("space", "Facts about the NAS-Bench-201 cell space");
  space->require_subcommand(1);
  auto* info = space->add_subcommand(
      "info", "Counts of the space: cells, functionally distinct cells, ops, edges, cost range");
  set_action(info, action, [](const CommonOptions& options, const std::string&) {
    const auto& eq = Nb201Equivalence::instance();
    int disconnected = 0;
    NetworkCost lo{1e30, 0}, hi{0, 0};
    for (const auto& cell : all_nb201_cells()) {
      disconnected += nb201_is_disconnected(cell);
      const NetworkCost cost = nb201_network_cost(cell);
      if (cost.flops < lo.flops) lo = cost;
      if (cost.flops > hi.flops) hi = cost;
    }
    const nlohmann::json result = {
        {"space", "nb201"},
        {"cells", kNb201NumCells},
        {"distinct_cells", eq.num_classes()},
        {"disconnected_cells", disconnected},
        {"ops", nb201_op_names()},
        {"edges", kNb201NumEdges},
        {"nodes", kNb201NumNodes},
        {"mflops_min", lo.flops / 1e6},
        {"mflops_max", hi.flops / 1e6},
        {"mparams_min", lo.params / 1e6},
        {"mparams_max", hi.params / 1e6},
    };
    print_result(options, result, [&](std::ostream& out) {
      out << "NAS-Bench-201 cell space\n"
          << "  cells:                   " << kNb201NumCells << " (5 ops on 6 edges)\n"
          << "  functionally distinct:   " << eq.num_classes() << "\n"
          << "  disconnected (zero out): " << disconnected << "\n"
          << "  ops:                     none, skip_connect, nor_conv_1x1, nor_conv_3x3, "
             "avg_pool_3x3\n"
          << "  network C=16 N=5 32x32:  " << lo.flops / 1e6 << " - " << hi.flops / 1e6
          << " MFLOPs, " << lo.params / 1e6 << " - " << hi.params / 1e6 << " M params\n";
    });
    return 0;
  });
}

}  // namespace d2a::cli
