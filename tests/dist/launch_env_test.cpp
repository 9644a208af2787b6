// Reading torchrun's and Slurm's variables, and refusing bad ones with the variable's name.
#include "d2a/dist/launch_env.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "d2a/error.h"

namespace d2a::dist {
namespace {

LaunchEnv read(const std::map<std::string, std::string>& vars) {
  return read_launch_env([&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    read(vars);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_status(), 2);
    return e.what();
  }
  return "";
}

TEST(LaunchEnv, NoVariablesIsOneProcess) {
  const LaunchEnv env = read({});
  EXPECT_FALSE(env.distributed());
  EXPECT_EQ(env.world_size, 1);
  EXPECT_EQ(env.launcher, "none");
  // sbatch's batch script has SLURM_PROCID but no job step: still one process.
  EXPECT_FALSE(read({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}}).distributed());
}

TEST(LaunchEnv, ReadsTorchrun) {
  const LaunchEnv env = read({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
                              {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29511"}});
  EXPECT_EQ(env.launcher, "torchrun");
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.master_addr, "node7");
  EXPECT_EQ(env.master_port, 29511);
}

TEST(LaunchEnv, ReadsSlurmUnderSrun) {
  const LaunchEnv env =
      read({{"SLURM_PROCID", "1"}, {"SLURM_STEP_ID", "0"}, {"SLURM_NTASKS", "2"},
            {"SLURM_LOCALID", "1"}, {"SLURM_JOB_NODELIST", "gpu[07-09,12],cpu1"},
            {"SLURM_JOB_ID", "123456"}});
  EXPECT_EQ(env.launcher, "slurm");
  EXPECT_EQ(env.rank, 1);
  EXPECT_EQ(env.world_size, 2);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.master_addr, "gpu07");
  EXPECT_EQ(env.master_port, 29500 + 456);
  // The step's task count wins over the job's; MASTER_* override the node list.
  const LaunchEnv step = read({{"SLURM_PROCID", "0"}, {"SLURM_STEP_ID", "1"},
                               {"SLURM_NTASKS", "8"}, {"SLURM_STEP_NUM_TASKS", "3"},
                               {"SLURM_JOB_NODELIST", "a"}, {"MASTER_ADDR", "b"},
                               {"MASTER_PORT", "4000"}});
  EXPECT_EQ(step.world_size, 3);
  EXPECT_EQ(step.master_addr, "b");
  EXPECT_EQ(step.master_port, 4000);
}

TEST(LaunchEnv, FirstSlurmHost) {
  EXPECT_EQ(first_slurm_host("node1"), "node1");
  EXPECT_EQ(first_slurm_host("node[01-04,07],gpu2"), "node01");
  EXPECT_EQ(first_slurm_host("a,b"), "a");
  EXPECT_EQ(first_slurm_host("rack[3]-n[1-2]"), "rack3-n1");
  EXPECT_THROW(first_slurm_host(""), Error);
  EXPECT_THROW(first_slurm_host("node[x-y]"), Error);
}

TEST(LaunchEnv, BadVariablesNameThemselves) {
  const std::map<std::string, std::string> good = {
      {"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};
  auto with = [&](const std::string& name, const std::string& value) {
    auto vars = good;
    if (value.empty()) {
      vars.erase(name);
    } else {
      vars[name] = value;
    }
    return vars;
  };
  EXPECT_NE(error_of(with("RANK", "2")).find("RANK=2"), std::string::npos);
  EXPECT_NE(error_of(with("RANK", "one")).find("RANK='one'"), std::string::npos);
  EXPECT_NE(error_of(with("WORLD_SIZE", "0")).find("WORLD_SIZE"), std::string::npos);
  EXPECT_NE(error_of(with("MASTER_PORT", "70000")).find("MASTER_PORT"), std::string::npos);
  EXPECT_NE(error_of(with("MASTER_PORT", "")).find("MASTER_PORT"), std::string::npos);
  EXPECT_NE(error_of(with("MASTER_ADDR", "")).find("MASTER_ADDR"), std::string::npos);
  EXPECT_NE(error_of({{"SLURM_PROCID", "x"}, {"SLURM_STEP_ID", "0"}, {"SLURM_NTASKS", "2"}})
                .find("SLURM_PROCID"),
            std::string::npos);
  EXPECT_EQ(error_of(good), "");
}

}  // namespace
}  // namespace d2a::dist

namespace d2a::dist {
namespace {

std::pair<int, int> shard(const std::string& spec, const std::map<std::string, std::string>& vars) {
  return scheduler_shard(spec, [&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(SchedulerShard, SlurmArrayAndKubernetesIndexedJob) {
  EXPECT_EQ(shard("auto", {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}),
            std::make_pair(2, 4));
  // --array=5-8: the index counts from the array's first task.
  EXPECT_EQ(shard("auto", {{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_MIN", "5"},
                           {"SLURM_ARRAY_TASK_COUNT", "4"}}),
            std::make_pair(2, 4));
  EXPECT_EQ(shard("auto/3", {{"JOB_COMPLETION_INDEX", "1"}}), std::make_pair(1, 3));
  EXPECT_EQ(shard("auto/3", {{"SLURM_ARRAY_TASK_ID", "0"}}), std::make_pair(0, 3));
}

TEST(SchedulerShard, RefusesWhatItCannotRead) {
  auto message = [](const std::string& spec, const std::map<std::string, std::string>& vars) {
    try {
      shard(spec, vars);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message("auto", {}).find("SLURM_ARRAY_TASK_COUNT"), std::string::npos);
  EXPECT_NE(message("auto/2", {}).find("JOB_COMPLETION_INDEX"), std::string::npos);
  EXPECT_NE(message("auto/2", {{"JOB_COMPLETION_INDEX", "2"}}).find("not below"), std::string::npos);
  EXPECT_NE(message("auto/0", {{"JOB_COMPLETION_INDEX", "0"}}).find("auto/N"), std::string::npos);
  EXPECT_NE(message("auto/2", {{"JOB_COMPLETION_INDEX", "x"}}).find("JOB_COMPLETION_INDEX='x'"),
            std::string::npos);
}

TEST(LaunchEnv, LocalWorldSizeFromTorchrunOrLoopback) {
  const std::map<std::string, std::string> torchrun = {{"RANK", "3"},
                                                       {"WORLD_SIZE", "4"},
                                                       {"LOCAL_RANK", "1"},
                                                       {"MASTER_ADDR", "node7"},
                                                       {"MASTER_PORT", "29511"}};
  EXPECT_EQ(read(torchrun).local_world_size, 0);  // another host: unknown
  auto with_local = torchrun;
  with_local["LOCAL_WORLD_SIZE"] = "2";
  EXPECT_EQ(read(with_local).local_world_size, 2);
  auto loopback = torchrun;
  loopback["MASTER_ADDR"] = "127.0.0.1";
  EXPECT_EQ(read(loopback).local_world_size, 4);  // every rank is on this machine
  with_local["LOCAL_WORLD_SIZE"] = "1";           // LOCAL_RANK 1 is not below it
  EXPECT_NE(error_of(with_local).find("LOCAL_WORLD_SIZE=1"), std::string::npos);
  with_local["LOCAL_WORLD_SIZE"] = "5";  // more than the world
  EXPECT_NE(error_of(with_local).find("LOCAL_WORLD_SIZE"), std::string::npos);
}

TEST(CpuPlan, SlicesTheAllowedCpusPerLocalRank) {
  LaunchEnv env;
  env.launcher = "torchrun";
  env.world_size = env.local_world_size = 2;
  // Two ranks on two CPUs, one thread each (the scaling benchmark): one CPU each.
  env.local_rank = 1;
  CpuPlan plan = plan_cpus(env, {0, 1}, 1, true);
  EXPECT_EQ(plan.threads, 1);
  EXPECT_EQ(plan.cpus, std::vector<int>({1}));
  // --threads 0 on a mask of 4 CPUs: half each, rank 1 the second half.
  plan = plan_cpus(env, {2, 3, 6, 7}, 0, true);
  EXPECT_EQ(plan.threads, 2);
  EXPECT_EQ(plan.cpus, std::vector<int>({6, 7}));
  EXPECT_EQ(cpu_list_text(plan.cpus), "6-7");
  // --cpu-bind none: the threads still divided, nothing bound.
  plan = plan_cpus(env, {2, 3, 6, 7}, 0, false);
  EXPECT_EQ(plan.threads, 2);
  EXPECT_TRUE(plan.cpus.empty());
  // More threads than fit: as asked, unbound (the OS shares the CPUs).
  plan = plan_cpus(env, {0, 1}, 2, true);
  EXPECT_EQ(plan.threads, 2);
  EXPECT_TRUE(plan.cpus.empty());
  // Under Slurm (which binds tasks itself) or with the local count unknown: nothing bound,
  // --threads 0 is every allowed CPU.
  env.launcher = "slurm";
  plan = plan_cpus(env, {0, 1, 2, 3}, 0, true);
  EXPECT_EQ(plan.threads, 4);
  EXPECT_TRUE(plan.cpus.empty());
  env.launcher = "torchrun";
  env.local_world_size = 0;
  EXPECT_TRUE(plan_cpus(env, {0, 1, 2, 3}, 1, true).cpus.empty());
  // One process: never bound.
  EXPECT_TRUE(plan_cpus(LaunchEnv{}, {0, 1}, 1, true).cpus.empty());
  EXPECT_EQ(plan_cpus(LaunchEnv{}, {0, 1, 2}, 0, true).threads, 3);
  EXPECT_EQ(cpu_list_text({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(cpu_list_text({}), "");
}

TEST(LaunchEnv, EachLocalRankGetsAGpuOfItsOwn) {
  LaunchEnv env = read({{"RANK", "5"},
                        {"WORLD_SIZE", "8"},
                        {"LOCAL_RANK", "1"},
                        {"MASTER_ADDR", "10.0.0.1"},
                        {"MASTER_PORT", "29500"}});
  EXPECT_EQ(cuda_device_for(env, 4), 1);  // the local rank, not the global one
  env.local_rank = 3;
  EXPECT_EQ(cuda_device_for(env, 4), 3);
  // Two local ranks on one GPU: NCCL would refuse ("invalid usage"); d2a says why first.
  env.local_rank = 1;
  std::string message;
  try {
    cuda_device_for(env, 1);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_status(), 2);
    message = e.what();
  }
  EXPECT_NE(message.find("local rank 1 has no GPU of its own"), std::string::npos) << message;
  EXPECT_NE(message.find("--nproc-per-node 1"), std::string::npos) << message;
  // Under srun a task may see only the GPUs Slurm bound it to: local rank 3 of 4, one GPU each.
  env.launcher = "slurm";
  env.local_rank = 3;
  EXPECT_EQ(cuda_device_for(env, 1), 0);
  EXPECT_EQ(cuda_device_for(env, 2), 1);
  EXPECT_THROW(cuda_device_for(env, 0), Error);
}

}  // namespace
}  // namespace d2a::dist
